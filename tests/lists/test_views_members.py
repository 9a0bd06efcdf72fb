"""Adding contacts to a static list by search, and removing chosen members."""

import re

import pytest
from django.urls import reverse

from contacts import actions as contact_actions
from contacts.actions import EventKind
from contacts.models import ContactEvent
from lists import actions
from lists.models import ListKind, ListMembership
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
def people(account):
    return {
        "dana": add_contact(account, "dana@example.com", first_name="דנה", last_name="לוי"),
        "avi": add_contact(account, "avi@example.com", first_name="אבי", mobile="0527654321"),
        "tal": add_contact(account, "tal@example.com", first_name="טל"),
    }


@pytest.fixture
def newsletter(account, people):
    contact_list = actions.create_list(account, name="Newsletter")
    actions.add_contacts(account, contact_list, [people["tal"]], source="manual")
    return contact_list


def member_ids(contact_list):
    return set(
        ListMembership.objects.filter(contact_list=contact_list).values_list(
            "contact_id", flat=True
        )
    )


# The add page and its search.


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_add_page_renders(request, client_name, newsletter):
    response = request.getfixturevalue(client_name).get(
        reverse("lists:add_members", args=[newsletter.pk])
    )

    assert response.status_code == 200
    assert 'type="search"' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "found"),
    [("דנה", "dana"), ("AVI@example", "avi"), ("052-7654321", "avi"), ("לוי", "dana")],
)
def test_search_finds_by_name_email_or_phone(owner_client, newsletter, people, query, found):
    response = owner_client.get(
        reverse("lists:add_members", args=[newsletter.pk]), {"q": query}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert "<html" not in page
    assert f'value="{people[found].pk}"' in page
    others = [name for name in people if name != found]
    for name in others:
        assert f'value="{people[name].pk}"' not in page


def test_search_marks_existing_members(owner_client, newsletter, people):
    page = owner_client.get(
        reverse("lists:add_members", args=[newsletter.pk]), {"q": "tal@"}
    ).content.decode()

    assert "Already in the list" in page
    assert f'name="contact" value="{people["tal"].pk}"' not in page


def test_search_keeps_ticked_contacts(owner_client, newsletter, people):
    response = owner_client.get(
        reverse("lists:add_members", args=[newsletter.pk]),
        {"q": "avi", "contact": [str(people["dana"].pk)]},
        HTTP_HX_REQUEST="true",
    )

    page = response.content.decode()
    assert re.search(rf'<input[^>]*value="{people["dana"].pk}"[^>]*\schecked', page)
    assert f'value="{people["avi"].pk}"' in page


def test_search_shows_phone_readable(owner_client, newsletter, people):
    page = owner_client.get(
        reverse("lists:add_members", args=[newsletter.pk]), {"q": "avi"}
    ).content.decode()

    assert "052-765-4321" in page


def test_search_does_not_find_other_accounts_contacts(owner_client, outsider_account, newsletter):
    add_contact(outsider_account, "stranger@example.org", first_name="זר")

    page = owner_client.get(
        reverse("lists:add_members", args=[newsletter.pk]), {"q": "stranger"}
    ).content.decode()

    assert "stranger@example.org" not in page


# Adding and removing.


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_add_chosen_contacts(request, client_name, newsletter, people):
    client = request.getfixturevalue(client_name)

    response = client.post(
        reverse("lists:add_members", args=[newsletter.pk]),
        {"contact": [people["dana"].pk, people["avi"].pk]},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("lists:detail", args=[newsletter.pk])
    assert member_ids(newsletter) == {people["dana"].pk, people["avi"].pk, people["tal"].pk}
    joined = ContactEvent.objects.filter(kind=EventKind.LIST_JOINED, data__list_id=newsletter.pk)
    assert joined.count() == 3


def test_add_reports_how_many_joined(owner_client, newsletter, people):
    response = owner_client.post(
        reverse("lists:add_members", args=[newsletter.pk]),
        {"contact": [people["dana"].pk, people["tal"].pk]},
        follow=True,
    )

    assert "1 contact joined the list “Newsletter”." in response.content.decode()


def test_add_without_choice_shows_error(owner_client, newsletter):
    response = owner_client.post(reverse("lists:add_members", args=[newsletter.pk]), follow=True)

    assert "Choose at least one contact." in response.content.decode()


def test_add_from_the_card_goes_back_to_it(owner_client, newsletter, people):
    card = reverse("contacts:detail", args=[people["dana"].pk])

    response = owner_client.post(
        reverse("lists:add_members", args=[newsletter.pk]),
        {"contact": people["dana"].pk, "next": card},
    )

    assert response["Location"] == card
    assert people["dana"].pk in member_ids(newsletter)


def test_add_ignores_next_to_another_site(owner_client, newsletter, people):
    response = owner_client.post(
        reverse("lists:add_members", args=[newsletter.pk]),
        {"contact": people["dana"].pk, "next": "https://evil.example.net/"},
    )

    assert response["Location"] == reverse("lists:detail", args=[newsletter.pk])


def test_add_rejects_another_accounts_contact(owner_client, outsider_account, newsletter):
    stranger = add_contact(outsider_account, "stranger@example.org")

    response = owner_client.post(
        reverse("lists:add_members", args=[newsletter.pk]), {"contact": stranger.pk}, follow=True
    )

    assert f"No contact has the ID {stranger.pk}." in response.content.decode()
    assert stranger.pk not in member_ids(newsletter)


def test_add_to_dynamic_list_is_rejected(owner_client, account, people):
    everyone = actions.create_list(account, name="Everyone", kind=ListKind.DYNAMIC)

    page = owner_client.get(reverse("lists:add_members", args=[everyone.pk])).content.decode()
    response = owner_client.post(
        reverse("lists:add_members", args=[everyone.pk]),
        {"contact": people["dana"].pk},
        follow=True,
    )

    assert "Contacts join a dynamic list by its conditions" in page
    assert "Contacts join a dynamic list by its conditions" in response.content.decode()
    assert not ListMembership.objects.filter(contact_list=everyone).exists()


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_remove_chosen_members(request, client_name, newsletter, people):
    client = request.getfixturevalue(client_name)

    response = client.post(
        reverse("lists:remove_members", args=[newsletter.pk]), {"contact": people["tal"].pk}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("lists:detail", args=[newsletter.pk])
    assert member_ids(newsletter) == set()
    left = ContactEvent.objects.get(kind=EventKind.LIST_LEFT, contact=people["tal"])
    assert left.data["list_id"] == newsletter.pk


def test_remove_from_the_card_goes_back_to_it(owner_client, newsletter, people):
    card = reverse("contacts:detail", args=[people["tal"].pk])

    response = owner_client.post(
        reverse("lists:remove_members", args=[newsletter.pk]),
        {"contact": people["tal"].pk, "next": card},
    )

    assert response["Location"] == card


def test_remove_of_non_member_reports_it(owner_client, newsletter, people):
    response = owner_client.post(
        reverse("lists:remove_members", args=[newsletter.pk]),
        {"contact": people["dana"].pk},
        follow=True,
    )

    assert "No contact left: those chosen were not in the list." in response.content.decode()


def test_remove_needs_post(owner_client, newsletter, people):
    response = owner_client.get(reverse("lists:remove_members", args=[newsletter.pk]))

    assert response.status_code == 405
    assert member_ids(newsletter) == {people["tal"].pk}


# Another account.


@pytest.mark.parametrize(
    ("method", "url_name"),
    [
        ("get", "lists:add_members"),
        ("post", "lists:add_members"),
        ("post", "lists:remove_members"),
    ],
)
def test_outsider_gets_404_and_changes_nothing(
    outsider_client, outsider_account, newsletter, people, method, url_name
):
    stranger = add_contact(outsider_account, "stranger@example.org")
    url = reverse(url_name, args=[newsletter.pk])
    events_before = ContactEvent.objects.count()

    if method == "get":
        response = outsider_client.get(url, {"q": "example"})
    else:
        response = outsider_client.post(url, {"contact": [stranger.pk, people["tal"].pk]})

    assert response.status_code == 404
    assert member_ids(newsletter) == {people["tal"].pk}
    assert ContactEvent.objects.count() == events_before
