"""The contact card: fields, lists, consent, suppressions and the timeline."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts import actions
from contacts.actions import EventKind
from contacts.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactEvent,
    FieldType,
    SuppressionReason,
)
from lists import actions as list_actions
from lists.models import ContactList, ListKind
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
def contact(account):
    outcome = actions.upsert_contact(
        account,
        {
            "email": "ruth@example.com",
            "first_name": "רות",
            "last_name": "כהן",
            "mobile": "0501234567",
        },
        source="manual",
    )
    return outcome.contact


def card(client, contact):
    return client.get(reverse("contacts:detail", args=[contact.pk]))


def field_cell(page, key):
    """Return the text of the card's value cell for a field, tags removed."""
    cell = re.search(rf'data-field="{key}">(.*?)</td>', page, re.S)
    assert cell is not None, f"no cell for {key}"
    return re.sub(r"<[^>]+>", "", cell.group(1)).strip()


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_card_renders_for_account_members(request, client_name, contact):
    response = card(request.getfixturevalue(client_name), contact)

    assert response.status_code == 200
    assert "רות כהן" in response.content.decode()


def test_card_renders_right_to_left_by_default(owner, contact):
    from tests.conftest import client_for

    response = card(client_for(owner), contact)

    assert response.status_code == 200
    assert 'dir="rtl"' in response.content.decode()


def test_card_shows_phone_readable(owner_client, contact):
    page = card(owner_client, contact).content.decode()

    assert field_cell(page, "mobile") == "050-123-4567"
    assert 'href="tel:+972501234567"' in page


def test_card_shows_custom_fields_by_label(owner_client, account, contact):
    actions.create_custom_field(
        account, label="Favourite flower", key="flower", type=FieldType.TEXT
    )
    actions.create_custom_field(account, label="Joined club", key="club_day", type=FieldType.DATE)
    actions.create_custom_field(account, label="VIP", key="vip", type=FieldType.BOOLEAN)
    actions.create_custom_field(
        account,
        label="Colours",
        key="colours",
        type=FieldType.MULTI_CHOICE,
        choices=["red", "blue"],
    )
    actions.update_contact(
        account,
        contact,
        {"flower": "Rose", "club_day": "2024-03-05", "vip": "yes", "colours": "red, blue"},
        source="manual",
    )

    page = card(owner_client, contact).content.decode()

    assert "Favourite flower" in page
    assert field_cell(page, "flower") == "Rose"
    assert field_cell(page, "club_day") == "05/03/2024"
    assert field_cell(page, "colours") == "red, blue"
    assert field_cell(page, "vip") == "Yes"
    assert field_cell(page, "city") == "—"


def test_card_uses_the_account_label_for_external_id(owner_client, account, contact):
    account.external_id_label = "Member number"
    account.save(update_fields=["external_id_label"])

    page = card(owner_client, contact).content.decode()

    assert "Member number" in page


def test_card_marks_contact_over_plan(owner_client, contact):
    Contact.objects.filter(pk=contact.pk).update(over_plan=True)

    page = card(owner_client, contact).content.decode()

    assert 'data-testid="over-plan"' in page


def test_card_has_no_over_plan_mark_within_plan(owner_client, contact):
    page = card(owner_client, contact).content.decode()

    assert 'data-testid="over-plan"' not in page


def test_card_lists_memberships_and_joinable_lists(owner_client, account, contact):
    joined = list_actions.create_list(account, name="Newsletter")
    list_actions.add_contacts(account, joined, [contact], source="manual")
    list_actions.create_list(account, name="Workshop")
    list_actions.create_list(
        account,
        name="Gmail-less",
        kind=ListKind.DYNAMIC,
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "email", "op": "contains", "value": "example"}],
        },
    )

    page = card(owner_client, contact).content.decode()

    assert reverse("lists:remove_members", args=[joined.pk]) in page
    assert "Gmail-less" in page
    joinable = page.split('data-testid="joinable-lists"')[1].split("</ul>")[0]
    assert "Workshop" in joinable
    assert "Newsletter" not in joinable


def test_card_shows_consent_in_account_time_zone(owner_client, account, contact):
    record = actions.record_consent(
        account,
        contact,
        channel=Channel.EMAIL,
        status=ConsentStatus.GRANTED,
        source="form",
        source_ref="Spring sale page",
        wording="Yes, send me the weekly deals",
    )
    summer_noon_utc = datetime.datetime(2024, 7, 1, 9, 0, tzinfo=datetime.UTC)
    ConsentRecord.objects.filter(pk=record.pk).update(recorded_at=summer_noon_utc)

    page = card(owner_client, contact).content.decode()
    email_row = page.split('data-channel="email"')[1].split("</tr>")[0]

    assert "Granted" in email_row
    assert "Spring sale page" in email_row
    assert "Yes, send me the weekly deals" in email_row
    assert "01/07/2024 12:00" in email_row


def test_card_shows_consent_missing_per_channel(owner_client, contact):
    page = card(owner_client, contact).content.decode()
    sms_row = page.split('data-channel="sms"')[1].split("</tr>")[0]

    assert "No consent recorded" in sms_row


def test_card_shows_suppressions(owner_client, account, contact):
    actions.suppress(account, contact, channel=Channel.SMS, reason=SuppressionReason.COMPLAINED)

    page = card(owner_client, contact).content.decode()
    suppressions = page.split('data-testid="suppressions"')[1].split("</table>")[0]

    assert "Marked as spam" in suppressions


def timeline_text(page):
    return page.split('data-testid="timeline"')[1].split("</ol>")[0]


def test_timeline_words_each_known_kind(owner_client, account, contact):
    newsletter = list_actions.create_list(account, name="Newsletter")
    list_actions.add_contacts(account, newsletter, [contact], source="manual")
    list_actions.remove_contacts(account, newsletter, [contact], source="manual")
    actions.update_contact(
        account, contact, {"city": "חולון", "first_name": "רותי"}, source="manual"
    )
    actions.record_consent(
        account, contact, channel=Channel.WHATSAPP, status=ConsentStatus.REVOKED, source="manual"
    )
    actions.suppress(account, contact, channel=Channel.EMAIL, reason=SuppressionReason.BOUNCED)
    actions.record_event(
        account,
        contact,
        EventKind.CUSTOM,
        {"name": "webinar_attended", "properties": {"minutes": 42}},
    )
    actions.record_event(account, contact, "message_opened", {"message_id": 5})

    timeline = timeline_text(card(owner_client, contact).content.decode())

    assert "Contact created" in timeline
    assert "Source: Entered by hand" in timeline
    assert "Joined the list “Newsletter”" in timeline
    assert "Left the list “Newsletter”" in timeline
    assert "Changed: " in timeline
    assert "City: — → חולון" in timeline
    assert "First name: רות → רותי" in timeline
    assert "Consent to WhatsApp revoked" in timeline
    assert "Suppressed on Email: Bounced" in timeline
    assert "Custom event “webinar_attended”" in timeline
    assert "minutes: 42" in timeline
    assert "Opened a message" in timeline
    assert "message_id: 5" in timeline


def test_timeline_names_deleted_list(owner_client, account, contact):
    deleted_list = list_actions.create_list(account, name="Old promo")
    list_actions.add_contacts(account, deleted_list, [contact], source="manual")
    list_actions.delete_list(account, deleted_list)

    timeline = timeline_text(card(owner_client, contact).content.decode())

    assert "Joined a list that was since deleted" in timeline


def test_timeline_shows_unknown_kind_with_data(owner_client, account, contact):
    actions.record_event(account, contact, "purchase_made", {"order": "A-17", "total": 240})

    timeline = timeline_text(card(owner_client, contact).content.decode())

    assert "Event “purchase_made”" in timeline
    assert "order: A-17" in timeline
    assert "total: 240" in timeline


def test_timeline_shows_newest_first(owner_client, account, contact):
    actions.record_event(account, contact, "later_event", {})

    timeline = timeline_text(card(owner_client, contact).content.decode())

    assert timeline.index("later_event") < timeline.index("Contact created")


def card_queries(client, contact):
    with CaptureQueriesContext(connection) as queries:
        response = card(client, contact)
    assert response.status_code == 200
    return len(queries)


def add_lists_and_events(account, contact, first, last):
    for index in range(first, last):
        static = list_actions.create_list(account, name=f"Static {index}")
        list_actions.add_contacts(account, static, [contact], source="manual")
        list_actions.create_list(account, name=f"Dynamic {index}", kind=ListKind.DYNAMIC)
        actions.record_event(account, contact, "custom", {"name": f"event {index}"})


def test_card_query_count_constant(owner_client, account, contact):
    add_lists_and_events(account, contact, 0, 1)
    few = card_queries(owner_client, contact)

    add_lists_and_events(account, contact, 1, 6)
    many = card_queries(owner_client, contact)

    assert many == few


def test_card_leaves_out_unmatched_and_broken_dynamic_lists(owner_client, account, contact):
    list_actions.create_list(
        account,
        name="In Eilat",
        kind=ListKind.DYNAMIC,
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "city", "op": "equals", "value": "Eilat"}],
        },
    )
    broken = list_actions.create_list(account, name="Broken", kind=ListKind.DYNAMIC)
    ContactList.objects.filter(pk=broken.pk).update(
        conditions={"rules": [{"type": "field", "field": "gone", "op": "empty"}]}
    )

    response = card(owner_client, contact)

    page = response.content.decode()
    lists_section = page.split('id="lists"')[1].split("</section>")[0]
    assert response.status_code == 200
    assert "In Eilat" not in lists_section
    assert "Broken" not in lists_section


def test_outsider_gets_404_for_card(outsider_client, contact):
    assert card(outsider_client, contact).status_code == 404


def test_card_of_missing_contact_is_404(owner_client):
    assert owner_client.get(reverse("contacts:detail", args=[999999])).status_code == 404


def test_events_are_not_changed_by_viewing(owner_client, contact):
    before = ContactEvent.objects.filter(contact=contact).count()

    card(owner_client, contact)

    assert ContactEvent.objects.filter(contact=contact).count() == before


@pytest.mark.django_db
def test_card_describes_a_form_submission_in_words(owner_client, account, english):
    from contacts.actions import record_event
    from contacts.models import FieldType
    from forms.models import Form

    actions.create_custom_field(account, label="Source", key="source", type=FieldType.TEXT)
    newsletter = list_actions.create_list(account, name="Newsletter")
    form = Form.objects.create(account=account, name="Winter sign-up")
    contact = actions.upsert_contact(
        account, {"email": "visitor@example.com"}, source="form"
    ).contact
    record_event(
        account,
        contact,
        "form_submitted",
        {
            "form_id": form.pk,
            "page_id": None,
            "hidden": {"source": "facebook"},
            "list_ids": [newsletter.pk],
        },
    )

    page = owner_client.get(f"/contacts/{contact.pk}/").content.decode()

    assert "Submitted the form “Winter sign-up”" in page
    assert "Hidden field Source: facebook" in page
    assert "Lists: Newsletter" in page
    assert "form_id" not in page


def test_timeline_names_the_message_of_message_events(owner_client, account, contact):
    from tests.campaigns.conftest import email_message

    message = email_message(account, name="מבצע חורף")
    actions.record_event(
        account,
        contact,
        "message_clicked",
        {
            "message_id": message.pk,
            "delivery_id": 7,
            "link_id": 3,
            "url": "https://shop.example.co.il/winter",
        },
    )

    timeline = timeline_text(card(owner_client, contact).content.decode())

    assert "Clicked a link in a message" in timeline
    assert "Message: מבצע חורף" in timeline
    assert "Link: https://shop.example.co.il/winter" in timeline
    assert "delivery_id" not in timeline
    assert "link_id" not in timeline
