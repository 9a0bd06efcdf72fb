"""Creating, editing, deleting and exporting one contact from its card."""

import json
import re

import pytest
from django.urls import reverse

from contacts import actions
from contacts.actions import EventKind
from contacts.models import Channel, ConsentStatus, Contact, ContactEvent, FieldType
from lists import actions as list_actions
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


@pytest.fixture
def custom_fields(account):
    return [
        actions.create_custom_field(account, label="Visits", key="visits", type=FieldType.NUMBER),
        actions.create_custom_field(
            account, label="Anniversary", key="anniversary", type=FieldType.DATE
        ),
        actions.create_custom_field(account, label="VIP", key="vip", type=FieldType.BOOLEAN),
        actions.create_custom_field(
            account, label="Branch", key="branch", type=FieldType.CHOICE, choices=["Holon", "Haifa"]
        ),
        actions.create_custom_field(
            account,
            label="Interests",
            key="interests",
            type=FieldType.MULTI_CHOICE,
            choices=["roses", "tulips"],
        ),
    ]


@pytest.fixture
def contact(account):
    outcome = actions.upsert_contact(
        account,
        {"email": "ruth@example.com", "first_name": "רות", "city": "חולון"},
        source="manual",
    )
    return outcome.contact


def edit_data(contact, **changes):
    """Return the edit form's submission with the stored values, then changes."""
    data = {
        "email": contact.email,
        "mobile": "",
        "phone": "",
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "city": contact.city,
        "gender": contact.gender,
        "birthday": "",
        "external_id": contact.external_id,
    }
    data.update(changes)
    return data


# Create.


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_create_form_renders_for_account_members(request, client_name, custom_fields):
    response = request.getfixturevalue(client_name).get(reverse("contacts:create"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'type="date"' in page
    assert 'type="number" name="visits"' in page
    assert '<select name="vip"' in page
    assert '<select name="branch"' in page
    assert 'type="checkbox" name="interests"' in page


def test_create_saves_contact_and_event(owner_client, account, custom_fields):
    response = owner_client.post(
        reverse("contacts:create"),
        {
            "email": "Noa@Example.com",
            "mobile": "052-7654321",
            "first_name": "נועה",
            "visits": "3",
            "anniversary": "2020-06-01",
            "vip": "true",
            "branch": "Haifa",
            "interests": ["roses", "tulips"],
        },
    )

    contact = Contact.objects.get(account=account, email="noa@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:detail", args=[contact.pk])
    assert contact.mobile == "+972527654321"
    assert contact.fields == {
        "visits": 3,
        "anniversary": "2020-06-01",
        "vip": True,
        "branch": "Haifa",
        "interests": ["roses", "tulips"],
    }
    event = ContactEvent.objects.get(contact=contact)
    assert event.kind == EventKind.CREATED
    assert event.data["source"] == "manual"


def test_create_with_existing_identifier_updates_that_contact(owner_client, account, contact):
    response = owner_client.post(
        reverse("contacts:create"), {"email": "RUTH@example.com", "last_name": "לוי"}, follow=True
    )

    page = response.content.decode()
    assert Contact.objects.filter(account=account).count() == 1
    assert response.redirect_chain[-1][0] == reverse("contacts:detail", args=[contact.pk])
    assert "already existed, so it was updated" in page
    contact.refresh_from_db()
    assert contact.last_name == "לוי"
    assert contact.city == "חולון"


def test_create_requires_the_identifying_field(owner_client, account):
    response = owner_client.post(reverse("contacts:create"), {"first_name": "בלי מייל"})

    assert response.status_code == 200
    assert "Enter Email: it identifies contacts in this account." in response.content.decode()
    assert not Contact.objects.filter(account=account).exists()


def test_create_shows_invalid_values_beside_fields(owner_client, account):
    response = owner_client.post(
        reverse("contacts:create"), {"email": "not-an-address", "mobile": "abc"}
    )

    page = response.content.decode()
    assert "“not-an-address” is not a valid email address." in page
    assert not Contact.objects.filter(account=account).exists()
    email_row = page.split('name="email"')[1].split('class="form-row"')[0]
    assert "not a valid email address" in email_row


def test_create_warns_when_over_plan(owner_client, account, contact):
    account.contact_limit = 1
    account.save(update_fields=["contact_limit"])

    response = owner_client.post(
        reverse("contacts:create"), {"email": "extra@example.com"}, follow=True
    )

    assert "so it will receive no messages" in response.content.decode()
    assert Contact.objects.get(account=account, email="extra@example.com").over_plan


# Edit.


def test_edit_form_shows_stored_values(owner_client, account, contact, custom_fields):
    actions.update_contact(
        account,
        contact,
        {"mobile": "0501234567", "anniversary": "2021-02-03", "interests": ["tulips"]},
        source="manual",
    )

    page = owner_client.get(reverse("contacts:edit", args=[contact.pk])).content.decode()

    assert 'value="050-123-4567"' in page
    assert 'value="2021-02-03"' in page
    assert re.search(r'<input[^>]*value="tulips"[^>]*\schecked', page)
    assert not re.search(r'<input[^>]*value="roses"[^>]*\schecked', page)


def test_edit_changes_and_clears_values_with_event(owner_client, account, contact, custom_fields):
    actions.update_contact(account, contact, {"visits": 4}, source="manual")

    response = owner_client.post(
        reverse("contacts:edit", args=[contact.pk]),
        edit_data(contact, city="", first_name="רותי", visits="", branch="Holon"),
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.city == ""
    assert contact.first_name == "רותי"
    assert contact.fields == {"branch": "Holon"}
    event = ContactEvent.objects.filter(contact=contact, kind=EventKind.UPDATED).latest("id")
    assert set(event.data["changes"]) == {"city", "first_name", "visits", "branch"}


def test_edit_without_changes_records_no_event(owner_client, contact):
    before = ContactEvent.objects.filter(contact=contact).count()

    response = owner_client.post(reverse("contacts:edit", args=[contact.pk]), edit_data(contact))

    assert response.status_code == 302
    assert ContactEvent.objects.filter(contact=contact).count() == before


def test_edit_keeps_removed_choice(owner_client, account, contact, custom_fields):
    branch = custom_fields[3]
    actions.update_contact(account, contact, {"branch": "Haifa"}, source="manual")
    actions.update_custom_field(account, branch, label="Branch", choices=["Holon"])

    form = owner_client.get(reverse("contacts:edit", args=[contact.pk])).content.decode()
    response = owner_client.post(
        reverse("contacts:edit", args=[contact.pk]),
        edit_data(contact, city="בת ים", branch="Haifa"),
    )

    assert "Haifa (no longer a choice)" in form
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.city == "בת ים"
    assert contact.fields["branch"] == "Haifa"


def test_edit_rejects_clearing_the_identifier(owner_client, contact):
    response = owner_client.post(
        reverse("contacts:edit", args=[contact.pk]), edit_data(contact, email="")
    )

    assert response.status_code == 200
    assert "it identifies contacts in this account" in response.content.decode()
    contact.refresh_from_db()
    assert contact.email == "ruth@example.com"


def test_edit_rejects_another_contacts_identifier(owner_client, account, contact):
    actions.upsert_contact(account, {"email": "taken@example.com"}, source="manual")

    response = owner_client.post(
        reverse("contacts:edit", args=[contact.pk]), edit_data(contact, email="taken@example.com")
    )

    assert response.status_code == 200
    assert "Another contact already has this value." in response.content.decode()
    contact.refresh_from_db()
    assert contact.email == "ruth@example.com"


def test_edit_shows_invalid_number_beside_field(owner_client, contact, custom_fields):
    response = owner_client.post(
        reverse("contacts:edit", args=[contact.pk]), edit_data(contact, visits="many")
    )

    page = response.content.decode()
    visits_row = page.split('name="visits"')[1].split('class="form-row"')[0]
    assert response.status_code == 200
    assert "Enter a number." in visits_row


# Delete.


def test_delete_needs_post(owner_client, contact):
    response = owner_client.get(reverse("contacts:delete", args=[contact.pk]))

    assert response.status_code == 405
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_card_offers_delete_confirmation(owner_client, contact):
    page = owner_client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()

    assert f'action="{reverse("contacts:delete", args=[contact.pk])}"' in page
    assert "This cannot be undone." in page


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_delete_removes_contact(request, client_name, account, contact):
    client = request.getfixturevalue(client_name)

    response = client.post(reverse("contacts:delete", args=[contact.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:index")
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not ContactEvent.objects.filter(contact_id=contact.pk).exists()


# Data export.


def test_data_export_contains_everything(owner_client, account, contact, custom_fields):
    actions.update_contact(account, contact, {"visits": 7, "interests": ["roses"]}, source="manual")
    newsletter = list_actions.create_list(account, name="Newsletter")
    list_actions.add_contacts(account, newsletter, [contact], source="manual")
    actions.record_consent(
        account,
        contact,
        channel=Channel.EMAIL,
        status=ConsentStatus.GRANTED,
        source="form",
        wording="שלחו לי מבצעים",
    )

    response = owner_client.get(reverse("contacts:data_export", args=[contact.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="contact-{contact.pk}.json"'
    assert "שלחו לי מבצעים" in response.content.decode()
    data = json.loads(response.content)
    assert data["contact"]["email"] == "ruth@example.com"
    assert data["contact"]["visits"] == 7
    assert data["contact"]["interests"] == ["roses"]
    assert data["lists"][0]["list"] == "Newsletter"
    assert data["consent"][0]["wording"] == "שלחו לי מבצעים"
    kinds = [event["kind"] for event in data["events"]]
    assert kinds[0] == EventKind.CREATED
    assert EventKind.LIST_JOINED in kinds
    assert EventKind.CONSENT_CHANGED in kinds


# Another account.


@pytest.mark.parametrize(
    ("method", "url_name", "data"),
    [
        ("get", "contacts:edit", None),
        ("post", "contacts:edit", {"email": "stolen@example.org", "first_name": "X"}),
        ("post", "contacts:delete", {}),
        ("get", "contacts:data_export", None),
    ],
)
def test_outsider_gets_404_and_changes_nothing(outsider_client, contact, method, url_name, data):
    before = Contact.objects.values().get(pk=contact.pk)
    events_before = ContactEvent.objects.filter(contact=contact).count()

    url = reverse(url_name, args=[contact.pk])
    response = outsider_client.get(url) if method == "get" else outsider_client.post(url, data)

    assert response.status_code == 404
    assert Contact.objects.values().get(pk=contact.pk) == before
    assert ContactEvent.objects.filter(contact=contact).count() == events_before


def test_outsider_create_does_not_reach_this_account(
    outsider_client, account, outsider_account, contact
):
    outsider_client.post(reverse("contacts:create"), {"email": "ruth@example.com", "city": "Eilat"})

    contact.refresh_from_db()
    assert contact.city == "חולון"
    assert Contact.objects.filter(account=outsider_account, email="ruth@example.com").exists()
