"""The list index and the create, edit and delete screens of static lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts import actions as contact_actions
from contacts.models import Contact
from lists import actions
from lists.models import ContactList, ListKind, ListMembership
from smoove.middleware import LANGUAGE_SESSION_KEY

pytestmark = pytest.mark.django_db


def in_english(client):
    """Switch a client's interface to English, so the asserted wording is the source text."""
    session = client.session
    session[LANGUAGE_SESSION_KEY] = "en"
    session.save()
    return client


@pytest.fixture
def owner_client(owner_client):
    return in_english(owner_client)


@pytest.fixture
def teammate_client(teammate_client):
    return in_english(teammate_client)


def add_contact(account, email, **values):
    return contact_actions.upsert_contact(
        account, {"email": email, **values}, source="manual"
    ).contact


@pytest.fixture
def newsletter(account):
    contact_list = actions.create_list(account, name="Newsletter", is_public=True)
    members = [add_contact(account, f"n{index}@example.com") for index in range(3)]
    actions.add_contacts(account, contact_list, members, source="manual")
    return contact_list


@pytest.fixture
def holon(account):
    add_contact(account, "h1@example.com", city="חולון")
    add_contact(account, "h2@example.com", city="חולון")
    return actions.create_list(
        account,
        name="Holon",
        kind=ListKind.DYNAMIC,
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
        },
    )


def row_of(page, contact_list):
    return page.split(f'data-list="{contact_list.pk}"')[1].split("</tr>")[0]


def count_in(row):
    return row.split('data-testid="member-count">')[1].split("</td>")[0].strip()


# Index.


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_index_renders_for_account_members(request, client_name, newsletter, holon):
    response = request.getfixturevalue(client_name).get(reverse("lists:index"))

    assert response.status_code == 200


def test_index_shows_kind_public_flag_and_counts(owner_client, newsletter, holon):
    page = owner_client.get(reverse("lists:index")).content.decode()

    static_row = row_of(page, newsletter)
    dynamic_row = row_of(page, holon)
    assert "Static list" in static_row
    assert "Public" in static_row
    assert count_in(static_row) == "3"
    assert "Dynamic list" in dynamic_row
    assert "Public" not in dynamic_row
    assert count_in(dynamic_row) == "2"


def test_index_flags_dynamic_list_with_broken_conditions(owner_client, holon):
    ContactList.objects.filter(pk=holon.pk).update(
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "gone", "op": "equals", "value": "x"}],
        }
    )

    page = owner_client.get(reverse("lists:index")).content.decode()

    assert "Conditions need fixing" in row_of(page, holon)


def index_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("lists:index"))
    assert response.status_code == 200
    return len(queries)


def add_lists(account, first, last):
    for index in range(first, last):
        actions.create_list(account, name=f"Static {index}")
        actions.create_list(
            account,
            name=f"Dynamic {index}",
            kind=ListKind.DYNAMIC,
            conditions={
                "match": "any",
                "rules": [{"type": "field", "field": "city", "op": "equals", "value": str(index)}],
            },
        )


def test_index_query_count_constant(owner_client, account):
    add_lists(account, 0, 1)
    few = index_queries(owner_client)

    add_lists(account, 1, 8)
    many = index_queries(owner_client)

    assert many == few


def test_index_hides_other_accounts_lists(outsider_client, newsletter):
    page = outsider_client.get(reverse("lists:index")).content.decode()

    assert "Newsletter" not in page


# Create and edit a static list.


def test_create_form_renders(owner_client):
    page = owner_client.get(reverse("lists:create")).content.decode()

    assert 'name="is_public"' in page
    assert "Description shown on forms" in page


def test_create_static_list(owner_client, account):
    response = owner_client.post(
        reverse("lists:create"),
        {
            "kind": "static",
            "name": " VIP ",
            "is_public": "on",
            "public_description": "Early access",
        },
    )

    created = ContactList.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == reverse("lists:detail", args=[created.pk])
    assert created.name == "VIP"
    assert created.kind == ListKind.STATIC
    assert created.is_public
    assert created.public_description == "Early access"


def test_create_rejects_taken_name_beside_the_field(owner_client, account, newsletter):
    response = owner_client.post(reverse("lists:create"), {"kind": "static", "name": "Newsletter"})

    page = response.content.decode()
    name_row = page.split('name="name"')[1].split('class="form-row"')[0]
    assert response.status_code == 200
    assert "A list named “Newsletter” exists." in name_row
    assert ContactList.objects.filter(account=account).count() == 1


def test_create_requires_a_name(owner_client, account):
    response = owner_client.post(reverse("lists:create"), {"kind": "static", "name": "  "})

    assert response.status_code == 200
    assert not ContactList.objects.filter(account=account).exists()


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_edit_form_renders_for_account_members(request, client_name, newsletter):
    response = request.getfixturevalue(client_name).get(reverse("lists:edit", args=[newsletter.pk]))

    assert response.status_code == 200
    assert 'value="Newsletter"' in response.content.decode()


def test_edit_static_list(owner_client, newsletter):
    response = owner_client.post(
        reverse("lists:edit", args=[newsletter.pk]),
        {"name": "Weekly deals", "public_description": "Every Sunday"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("lists:detail", args=[newsletter.pk])
    newsletter.refresh_from_db()
    assert newsletter.name == "Weekly deals"
    assert not newsletter.is_public
    assert newsletter.public_description == "Every Sunday"
    assert newsletter.memberships.count() == 3


# Delete.


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_delete_confirmation_renders(request, client_name, newsletter):
    response = request.getfixturevalue(client_name).get(
        reverse("lists:delete", args=[newsletter.pk])
    )

    assert response.status_code == 200
    assert "The list has 3 contacts." in response.content.decode()


def test_delete_removes_list_and_keeps_contacts(owner_client, account, newsletter):
    response = owner_client.post(reverse("lists:delete", args=[newsletter.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("lists:index")
    assert not ContactList.objects.filter(pk=newsletter.pk).exists()
    assert not ListMembership.objects.filter(contact_list_id=newsletter.pk).exists()
    assert Contact.objects.filter(account=account).count() == 3


def test_delete_rejected_while_dynamic_list_refers(owner_client, account, newsletter):
    readers = actions.create_list(
        account,
        name="Not subscribed",
        kind=ListKind.DYNAMIC,
        conditions={
            "match": "all",
            "rules": [{"type": "list", "op": "not_member", "list_id": newsletter.pk}],
        },
    )

    page = owner_client.get(reverse("lists:delete", args=[newsletter.pk])).content.decode()
    response = owner_client.post(reverse("lists:delete", args=[newsletter.pk]))

    assert reverse("lists:edit", args=[readers.pk]) in page
    assert response.status_code == 409
    assert ContactList.objects.filter(pk=newsletter.pk).exists()


def test_delete_dynamic_list(owner_client, holon):
    response = owner_client.post(reverse("lists:delete", args=[holon.pk]))

    assert response.status_code == 302
    assert not ContactList.objects.filter(pk=holon.pk).exists()


# Another account.


@pytest.mark.parametrize(
    ("method", "url_name", "data"),
    [
        ("get", "lists:edit", None),
        ("post", "lists:edit", {"name": "Hijacked"}),
        ("get", "lists:delete", None),
        ("post", "lists:delete", {}),
    ],
)
def test_outsider_gets_404_and_changes_nothing(outsider_client, newsletter, method, url_name, data):
    url = reverse(url_name, args=[newsletter.pk])

    response = outsider_client.get(url) if method == "get" else outsider_client.post(url, data)

    assert response.status_code == 404
    newsletter.refresh_from_db()
    assert newsletter.name == "Newsletter"
    assert newsletter.is_public
    assert newsletter.memberships.count() == 3
