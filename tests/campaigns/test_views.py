import json

import pytest
from django.urls import reverse

from campaigns import actions
from campaigns.models import Message, OutboxMessage, Send, SendStatus
from tests.campaigns.conftest import email_message, make_contact, make_list
from tests.campaigns.test_sending import run_send


@pytest.mark.django_db
def test_message_list_shows_the_accounts_messages(owner_client, account):
    email_message(account, name="ניוזלטר מרץ")

    response = owner_client.get(reverse("campaigns:index"))

    assert response.status_code == 200
    assert "ניוזלטר מרץ" in response.content.decode()


@pytest.mark.django_db
def test_message_list_counts_flow_sends(owner_client, account, mailbox, english):
    from campaigns import sending

    message = email_message(account, name="ברוכים הבאים")
    contact = make_contact(account, email="flow@example.com")
    claim = actions.send_to_contacts(account, message, [contact])
    sending.deliver_claimed(message, claim.token)

    body = owner_client.get(reverse("campaigns:index")).content.decode()

    assert "Sent by flows to 1 contact" in body


@pytest.mark.django_db
def test_create_email_from_a_starter_template(owner_client, account):
    response = owner_client.post(
        reverse("campaigns:create"), {"name": "חדש", "channel": "email", "starter": "newsletter"}
    )

    message = Message.objects.get(account=account, name="חדש")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:edit", args=[message.pk])
    assert any(block["type"] == "columns" for block in message.blocks)


@pytest.mark.django_db
def test_editor_saves_blocks_and_reports_unknown_tags(owner_client, account):
    message = email_message(account)
    url = reverse("campaigns:edit", args=[message.pk])
    blocks = [{"id": "b1", "type": "text", "text": "שלום [[עיר מגורים]]"}]

    rejected = owner_client.post(
        url,
        {"name": "n", "subject": "פרסומת: x", "blocks": json.dumps(blocks), "is_advertising": "on"},
    )

    assert rejected.status_code == 400
    assert "[[עיר מגורים]]" in rejected.content.decode()
    message.refresh_from_db()
    assert message.blocks[0]["id"] == "h1"

    blocks[0]["text"] = "שלום [[עיר]]"
    saved = owner_client.post(
        url,
        {"name": "n", "subject": "פרסומת: x", "blocks": json.dumps(blocks), "is_advertising": "on"},
    )

    assert saved.status_code == 302
    message.refresh_from_db()
    assert message.blocks == blocks


@pytest.mark.django_db
def test_editor_names_blocks_and_fields_in_errors(owner_client, account, english):
    message = email_message(account)
    url = reverse("campaigns:edit", args=[message.pk])
    blocks = [
        {"id": "h1", "type": "heading", "text": "שלום"},
        {"id": "b7", "type": "text", "text": "שלום [[עיר מגורים]]"},
    ]

    rejected = owner_client.post(
        url,
        {"name": "n", "subject": "[[nope]]", "blocks": json.dumps(blocks), "is_advertising": "on"},
    )

    body = rejected.content.decode()
    assert '<span class="pill warn">Subject</span>' in body
    assert '<span class="pill warn">Block 2 (Text)</span>' in body
    assert ">block:b7" not in body


@pytest.mark.django_db
def test_editor_page_lists_fields_for_the_merge_picker(owner_client, account):
    message = email_message(account)

    response = owner_client.get(reverse("campaigns:edit", args=[message.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="merge-picker"' in body
    assert "editor-data" in body
    assert "campaigns/editor.js" in body


@pytest.mark.django_db
def test_preview_as_two_contacts(owner_client, account):
    first = make_contact(account, email="a@example.com", first_name="אורי")
    second = make_contact(account, email="b@example.com", first_name="יעל")
    message = email_message(account)
    url = reverse("campaigns:preview", args=[message.pk])

    as_first = owner_client.get(
        url, {"contact": first.pk, "device": "mobile"}, HTTP_HX_REQUEST="true"
    )
    as_second = owner_client.get(url, {"contact": second.pk})

    assert "שלום אורי" in as_first.content.decode()
    assert 'class="preview-frame mobile"' in as_first.content.decode()
    assert "שלום יעל" in as_second.content.decode()


@pytest.mark.django_db
def test_preview_renders_unsaved_edits_without_saving(owner_client, account):
    contact = make_contact(account, email="a@example.com", first_name="אורי")
    message = email_message(account)
    saved = (message.subject, message.blocks)
    url = reverse("campaigns:preview", args=[message.pk])

    response = owner_client.post(
        url,
        {
            "name": message.name,
            "subject": "פרסומת: טיוטה ל[[שם פרטי]]",
            "blocks": json.dumps(
                [{"id": "n", "type": "text", "text": "פסקה שעוד לא נשמרה"}], ensure_ascii=False
            ),
            "subject_rules": "[]",
            "is_advertising": "on",
            "contact": contact.pk,
            "device": "mobile",
        },
        HTTP_HX_REQUEST="true",
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "פרסומת: טיוטה לאורי" in page
    assert "פסקה שעוד לא נשמרה" in page
    assert 'class="preview-frame mobile"' in page
    message.refresh_from_db()
    assert (message.subject, message.blocks) == saved


@pytest.mark.django_db
def test_preview_of_unsaved_edits_shows_their_problems(owner_client, account):
    message = email_message(account)

    response = owner_client.post(
        reverse("campaigns:preview", args=[message.pk]),
        {"name": message.name, "subject": "פרסומת: [[shoe_size]]", "is_advertising": "on"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert 'data-testid="preview-errors"' in response.content.decode()
    assert "shoe_size" in response.content.decode()
    message.refresh_from_db()
    assert "shoe_size" not in message.subject


@pytest.mark.django_db
def test_outsider_cannot_preview_edits_of_a_message(outsider_client, account):
    message = email_message(account)

    response = outsider_client.post(
        reverse("campaigns:preview", args=[message.pk]), {"name": "x", "subject": "y"}
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_preview_of_another_accounts_contact_is_not_found(owner_client, account, outsider_account):
    stranger = make_contact(outsider_account, email="s@example.org")
    message = email_message(account)

    response = owner_client.get(
        reverse("campaigns:preview", args=[message.pk]), {"contact": stranger.pk}
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_test_send_reaches_typed_addresses(owner_client, account, mailbox):
    contact = make_contact(account, email="a@example.com", first_name="אורי")
    message = email_message(account)

    response = owner_client.post(
        reverse("campaigns:test_send", args=[message.pk]),
        {"to": "me@example.com\nboss@example.com", "contact": contact.pk},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert sorted(m["To"] for m in mailbox.messages) == ["boss@example.com", "me@example.com"]
    assert "אורי" in mailbox.messages[0]["Subject"]


@pytest.mark.django_db
def test_sms_length_fragment_counts_segments(owner_client, english):
    response = owner_client.post(reverse("campaigns:sms_length"), {"text": "ש" * 71})

    assert "2 SMS segments" in response.content.decode()


@pytest.mark.django_db
def test_send_setup_starts_a_send_and_estimates(owner_client, account, english):
    contacts = [make_contact(account, email=f"c{i}@example.com") for i in range(5)]
    audience = make_list(account, "כולם", contacts)
    message = email_message(account)

    estimate = owner_client.post(
        reverse("campaigns:estimate", args=[message.pk]),
        {"lists": [audience.pk], "pulse_size": "2", "pulse_interval_minutes": "10"},
    )
    started = owner_client.post(
        reverse("campaigns:send_setup", args=[message.pk]),
        {"lists": [audience.pk], "pulse_size": "2", "pulse_interval_minutes": "10"},
    )

    assert "5 contacts" in estimate.content.decode()
    assert "about 20 min." in estimate.content.decode()
    send = Send.objects.get(message=message)
    assert started.status_code == 302
    assert started["Location"] == reverse("campaigns:send_detail", args=[send.pk])
    assert send.pulse_size == 2


@pytest.mark.django_db
def test_send_setup_shows_compliance_errors(owner_client, account):
    message = email_message(account, subject="מבצע")
    audience = make_list(account, "כולם", [make_contact(account, email="a@example.com")])

    response = owner_client.post(
        reverse("campaigns:send_setup", args=[message.pk]), {"lists": [audience.pk]}
    )

    assert response.status_code == 400
    assert "פרסומת" in response.content.decode()
    assert not Send.objects.exists()


@pytest.mark.django_db
def test_send_page_pause_and_report_segments(owner_client, account, mailbox):
    first = make_contact(account, email="a@example.com")
    second = make_contact(account, email="b@example.com")
    message = email_message(account)
    owner_client.post(
        reverse("campaigns:send_setup", args=[message.pk]),
        {"lists": [make_list(account, "כולם", [first, second]).pk], "pulse_size": "1"},
    )
    send = run_send(Send.objects.get(message=message))

    page = owner_client.get(reverse("campaigns:send_detail", args=[send.pk]))
    paused = owner_client.post(
        reverse("campaigns:send_pause", args=[send.pk]), HTTP_HX_REQUEST="true"
    )
    not_opened = owner_client.get(reverse("campaigns:send_segment", args=[send.pk, "not_opened"]))

    assert page.status_code == 200
    assert 'data-testid="n-sent"' in page.content.decode()
    send.refresh_from_db()
    assert send.status == SendStatus.PAUSED
    assert paused.status_code == 200
    sent_to = mailbox.messages[0]["To"]
    assert sent_to in not_opened.content.decode()


@pytest.mark.django_db
def test_outbox_page_shows_kept_messages(owner_client, account, settings):
    settings.CAMPAIGNS_EMAIL_BACKEND = "outbox"
    contact = make_contact(account, email="dana@example.com", first_name="דנה")
    message = email_message(account)
    run_send(
        actions.create_send(account, message, list_ids=[make_list(account, "כולם", [contact]).pk])
    )
    kept = OutboxMessage.objects.get(account=account)

    listing = owner_client.get(reverse("campaigns:outbox"))
    detail = owner_client.get(reverse("campaigns:outbox_detail", args=[kept.pk]))

    assert "dana@example.com" in listing.content.decode()
    assert "שלום דנה" in detail.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["campaigns:edit", "campaigns:preview", "campaigns:send_setup"],
)
def test_outsider_gets_404_for_a_message(outsider_client, account, name):
    message = email_message(account)

    assert outsider_client.get(reverse(name, args=[message.pk])).status_code == 404
    assert outsider_client.post(reverse(name, args=[message.pk]), {"name": "x"}).status_code in (
        404,
        405,
    )
    message.refresh_from_db()
    assert message.name == "ניוזלטר"


@pytest.mark.django_db
def test_outsider_cannot_control_a_send(outsider_client, account):
    contact = make_contact(account, email="a@example.com")
    send = run_send(
        actions.create_send(
            account,
            email_message(account),
            list_ids=[make_list(account, "כולם", [contact]).pk],
            pulse_size=1,
        )
    )
    running = send.status

    assert outsider_client.get(reverse("campaigns:send_detail", args=[send.pk])).status_code == 404
    assert outsider_client.post(reverse("campaigns:send_cancel", args=[send.pk])).status_code == 404
    send.refresh_from_db()
    assert send.status == running


@pytest.mark.django_db
def test_sms_editor_shows_the_segment_count(owner_client, account):
    created = owner_client.post(reverse("campaigns:create"), {"name": "SMS", "channel": "sms"})
    message = Message.objects.get(account=account, name="SMS")

    page = owner_client.get(created["Location"])

    assert message.text.startswith("פרסומת")
    assert 'data-testid="sms-length"' in page.content.decode()
    assert "UCS-2" in page.content.decode()


@pytest.mark.django_db
def test_message_list_shows_times_in_the_account_zone(owner_client, account):
    import datetime

    message = email_message(account, name="חורף")
    winter_noon_utc = datetime.datetime(2026, 1, 15, 10, 0, tzinfo=datetime.UTC)
    Message.objects.filter(pk=message.pk).update(updated_at=winter_noon_utc)

    body = owner_client.get(reverse("campaigns:index")).content.decode()

    assert "15/01/2026 12:00" in body
