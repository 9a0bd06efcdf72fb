import datetime

import pytest
from django.utils import timezone

from campaigns import actions, queries, sending
from campaigns.models import Delivery, DeliveryStatus, OutboxMessage, Recipient, SendStatus
from contacts import actions as contact_actions
from contacts.models import Contact, ContactEvent
from tests.campaigns.conftest import email_message, make_contact, make_list
from tests.campaigns.fake_twilio import FakeTwilio


def run_send(send, now=None):
    """Prepare the queue, release every pulse due at `now`, and deliver synchronously."""
    send.refresh_from_db()
    if send.status == SendStatus.PREPARING:
        actions.prepare_send(send)
    sending.release_due_pulses(now or timezone.now())
    send.refresh_from_db()
    sending.deliver_released(send)
    send.refresh_from_db()
    return send


@pytest.fixture
def twilio(settings):
    fake = FakeTwilio()
    fake.start()
    settings.TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000001"
    settings.TWILIO_AUTH_TOKEN = "fake0auth0token00000000000000000"
    settings.TWILIO_API_BASE_URL = fake.url
    settings.TWILIO_SMS_FROM = "+972550000000"
    settings.CAMPAIGNS_TEXT_BACKEND = "twilio"
    yield fake
    fake.stop()


@pytest.mark.django_db
def test_send_skips_contacts_with_counted_reasons(account, mailbox):
    ok = make_contact(account, email="ok@example.com")
    unconsented = make_contact(account, email="noconsent@example.com", consent=())
    suppressed = make_contact(account, email="gone@example.com")
    contact_actions.suppress(account, suppressed, channel="email", reason="unsubscribed")
    over = make_contact(account, email="over@example.com")
    Contact.objects.filter(pk=over.pk).update(over_plan=True)
    excluded = make_contact(account, email="excluded@example.com")
    audience = make_list(account, "כולם", [ok, unconsented, suppressed, over, excluded])
    blocked = make_list(account, "לא לשלוח", [excluded])
    message = email_message(account)

    send = actions.create_send(
        account, message, list_ids=[audience.pk], exclude_list_ids=[blocked.pk]
    )
    send = run_send(send)

    assert [m["To"] for m in mailbox.messages] == ["ok@example.com"]
    assert send.recipient_count == 5
    assert send.skipped == {"no_consent": 1, "suppressed": 1, "over_plan": 1, "excluded": 1}
    assert send.status == SendStatus.DONE
    skipped = queries.skipped_recipients(send, "no_consent")
    assert [r.contact_id for r in skipped] == [unconsented.pk]


@pytest.mark.django_db
def test_non_advertising_skips_no_consent_check(account, mailbox):
    unconsented = make_contact(account, email="noconsent@example.com", consent=())
    audience = make_list(account, "כולם", [unconsented])
    message = email_message(account, is_advertising=False, subject="עדכון חשוב")

    run_send(actions.create_send(account, message, list_ids=[audience.pk]))

    assert len(mailbox.messages) == 1


@pytest.mark.django_db
def test_dynamic_list_is_an_audience(account, mailbox):
    from lists import actions as list_actions

    make_contact(account, email="h@example.com", city="חולון")
    make_contact(account, email="t@example.com", city="תל אביב")
    holon = list_actions.create_list(
        account,
        name="חולון",
        kind="dynamic",
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
        },
    )
    message = email_message(account)

    run_send(actions.create_send(account, message, list_ids=[holon.pk]))

    assert [m["To"] for m in mailbox.messages] == ["h@example.com"]


@pytest.mark.django_db
def test_email_has_list_unsubscribe_headers_and_sender_override(account, mailbox):
    contact = make_contact(account, email="dana@example.com", first_name="דנה")
    audience = make_list(account, "כולם", [contact])
    message = email_message(
        account, sender_name="Yahav – Sales", sender_email="yahav@shop.example.co.il"
    )

    run_send(actions.create_send(account, message, list_ids=[audience.pk]))

    received = mailbox.messages[0]
    assert received["From"].addresses[0].display_name == "Yahav – Sales"
    assert received["From"].addresses[0].addr_spec == "yahav@shop.example.co.il"
    assert received["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/u/")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Django folds an encoded subject onto its own line, which the parser
    # reads back with a leading space.
    assert received["Subject"].strip() == "פרסומת: דנה – ביקשת? קיבלת!"
    assert received.get_body(preferencelist=("html",)) is not None
    assert received.get_body(preferencelist=("plain",)) is not None
    account.refresh_from_db()
    assert account.default_sender_name != "Yahav – Sales"


@pytest.mark.django_db
def test_message_is_never_sent_twice_to_a_contact(account, mailbox):
    contact = make_contact(account, email="dana@example.com")
    first = make_list(account, "א", [contact])
    second = make_list(account, "ב", [contact])
    message = email_message(account)

    run_send(actions.create_send(account, message, list_ids=[first.pk, second.pk]))
    again = run_send(actions.create_send(account, message, list_ids=[second.pk]))

    assert len(mailbox.messages) == 1
    assert again.skipped == {"already_sent": 1}
    assert Delivery.objects.filter(message=message).count() == 1


@pytest.mark.django_db
def test_sent_event_lands_in_the_contact_log(account, mailbox):
    contact = make_contact(account, email="dana@example.com")
    message = email_message(account)

    run_send(
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])
    )

    event = ContactEvent.objects.get(contact=contact, kind="message_sent")
    assert event.data["message_id"] == message.pk


@pytest.mark.django_db
def test_pulses_release_n_every_interval(account, mailbox):
    contacts = [make_contact(account, email=f"c{i}@example.com") for i in range(5)]
    audience = make_list(account, "כולם", contacts)
    message = email_message(account)
    send = actions.create_send(
        account, message, list_ids=[audience.pk], pulse_size=2, pulse_interval_minutes=10
    )
    actions.prepare_send(send)
    send.refresh_from_db()
    start = send.next_pulse_at

    run_send(send, start)
    assert len(mailbox.messages) == 2
    assert sending.eta(send, start) == start + datetime.timedelta(minutes=20)

    run_send(send, start + datetime.timedelta(minutes=5))
    assert len(mailbox.messages) == 2

    run_send(send, start + datetime.timedelta(minutes=10))
    assert len(mailbox.messages) == 4

    send = run_send(send, start + datetime.timedelta(minutes=20))
    assert len(mailbox.messages) == 5
    assert send.status == SendStatus.DONE
    assert send.pulses_released == 3


def test_eta_for_pulses():
    start = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)

    assert sending.eta_for(50_000, 500, 1, start) == start + datetime.timedelta(minutes=99)
    assert sending.eta_for(10, None, 1, start) == start
    assert sending.eta_for(0, 500, 1, start) is None


@pytest.mark.django_db
def test_pause_returns_released_recipients_and_resume_continues(account, mailbox):
    contacts = [make_contact(account, email=f"c{i}@example.com") for i in range(3)]
    audience = make_list(account, "כולם", contacts)
    send = actions.create_send(
        account, email_message(account), list_ids=[audience.pk], pulse_size=2
    )
    actions.prepare_send(send)
    sending.release_due_pulses(timezone.now())

    actions.pause_send(account, send)
    sending.deliver_released(send)

    assert mailbox.messages == []
    assert Recipient.objects.filter(send=send, state="queued").count() == 3

    actions.resume_send(account, send)
    send = run_send(send)
    assert len(mailbox.messages) == 2


@pytest.mark.django_db
def test_cancel_stops_the_rest(account, mailbox):
    contacts = [make_contact(account, email=f"c{i}@example.com") for i in range(3)]
    audience = make_list(account, "כולם", contacts)
    send = actions.create_send(
        account, email_message(account), list_ids=[audience.pk], pulse_size=1
    )
    run_send(send)

    actions.cancel_send(account, send)
    send = run_send(send, timezone.now() + datetime.timedelta(hours=1))

    assert len(mailbox.messages) == 1
    assert send.status == SendStatus.CANCELLED
    assert Recipient.objects.filter(send=send, skip_reason="cancelled").count() == 2
    assert queries.report(send)["skipped"] == {"cancelled": 2}


@pytest.mark.django_db
def test_send_refuses_advertising_without_the_word(account):
    contact = make_contact(account, email="dana@example.com")
    message = email_message(account, subject="מבצע")

    with pytest.raises(actions.CampaignError) as caught:
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])

    assert "compliance" in caught.value.errors


@pytest.mark.django_db
def test_send_rejects_another_accounts_list(account, outsider_account):
    foreign = make_list(outsider_account, "זרה")

    with pytest.raises(actions.CampaignError) as caught:
        actions.create_send(account, email_message(account), list_ids=[foreign.pk])

    assert "list_ids" in caught.value.errors


@pytest.mark.django_db
def test_sending_sms_through_twilio_sdk(account, twilio):
    contact = make_contact(
        account, email="d@example.com", mobile="050-1234567", first_name="דנה", consent=("sms",)
    )
    message = actions.save_message(
        account,
        None,
        {
            "name": "SMS",
            "text": "פרסומת: שלום [[שם פרטי]] https://shop.example/sale",
            "sender_name": "פרחי דנה",
        },
        channel="sms",
    )

    send = run_send(
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])
    )

    assert len(twilio.requests) == 1
    request = twilio.requests[0]
    assert (
        request["path"] == "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json"
    )
    assert request["To"] == "+972501234567"
    assert request["From"] == "+972550000000"
    assert request["Body"].startswith("פרסומת: שלום דנה http://127.0.0.1:8000/t/c/")
    assert "/u/" in request["Body"]
    assert request["StatusCallback"].endswith("/hooks/twilio/status")
    delivery = Delivery.objects.get(send=send)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_id == f"SM{1:032x}"


@pytest.mark.django_db
def test_twilio_rejection_fails_the_delivery(account, twilio):
    twilio.fail_with = 400
    contact = make_contact(account, email="d@example.com", mobile="050-1234567", consent=("sms",))
    message = actions.save_message(
        account, None, {"name": "SMS", "text": "עדכון", "is_advertising": False}, channel="sms"
    )

    send = run_send(
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])
    )

    delivery = Delivery.objects.get(send=send)
    assert delivery.status == DeliveryStatus.FAILED
    assert "21211" in delivery.error


@pytest.mark.django_db
def test_outbox_keeps_messages_when_chosen(account, settings, mailbox):
    settings.CAMPAIGNS_EMAIL_BACKEND = "outbox"
    contact = make_contact(account, email="dana@example.com", first_name="דנה")
    message = email_message(account)

    run_send(
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])
    )

    kept = OutboxMessage.objects.get(account=account)
    assert kept.to == "dana@example.com"
    assert kept.subject == "פרסומת: דנה – ביקשת? קיבלת!"
    assert "שלום דנה" in kept.html
    assert kept.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mailbox.messages == []


@pytest.mark.django_db
def test_reaper_recovers_stale_deliveries(account, mailbox, settings):
    settings.CAMPAIGNS_CLAIM_LEASE_SECONDS = 60
    first = make_contact(account, email="a@example.com")
    second = make_contact(account, email="b@example.com")
    send = actions.create_send(
        account, email_message(account), list_ids=[make_list(account, "א", [first, second]).pk]
    )
    actions.prepare_send(send)
    sending.release_due_pulses(timezone.now())
    claimed = sending.claim_batch(send)
    assert len(claimed) == 2
    # A worker died: it had started the provider call for the first delivery
    # and never reached the second.
    Delivery.objects.filter(pk=claimed[0].pk).update(status=DeliveryStatus.SENDING)
    later = timezone.now() + datetime.timedelta(minutes=5)

    to_redeliver = sending.reap(later)
    assert to_redeliver == [(account.pk, send.pk)]
    sending.redeliver(send, later)

    statuses = dict(Delivery.objects.filter(send=send).values_list("contact_id", "status"))
    assert statuses[first.pk] == DeliveryStatus.AMBIGUOUS
    assert statuses[second.pk] == DeliveryStatus.SENT
    assert [m["To"] for m in mailbox.messages] == ["b@example.com"]
    assert sending.progress(send).ambiguous == 1
    assert sending.finish_if_done(send) is True


@pytest.mark.django_db
def test_stale_worker_cannot_send_a_reclaimed_delivery(account, mailbox, settings):
    settings.CAMPAIGNS_CLAIM_LEASE_SECONDS = 60
    contact = make_contact(account, email="a@example.com")
    send = actions.create_send(
        account, email_message(account), list_ids=[make_list(account, "א", [contact]).pk]
    )
    actions.prepare_send(send)
    sending.release_due_pulses(timezone.now())
    old_claim = sending.claim_batch(send)
    later = timezone.now() + datetime.timedelta(minutes=5)

    sending.redeliver(send, later)
    sending.deliver(send.message, old_claim)

    assert len(mailbox.messages) == 1


@pytest.mark.django_db
def test_channel_limit_holds_across_sends_whatever_the_pulses(account, mailbox, settings):
    settings.CAMPAIGNS_MAX_PER_MINUTE = {"email": 3}
    first = [make_contact(account, email=f"a{i}@example.com") for i in range(2)]
    second = [make_contact(account, email=f"b{i}@example.com") for i in range(3)]
    send_a = actions.create_send(
        account, email_message(account, name="א"), list_ids=[make_list(account, "א", first).pk]
    )
    send_b = actions.create_send(
        account, email_message(account, name="ב"), list_ids=[make_list(account, "ב", second).pk]
    )
    actions.prepare_send(send_a)
    actions.prepare_send(send_b)
    now = timezone.now()

    sending.release_due_pulses(now)
    assert Recipient.objects.filter(state="released").count() == 3

    sending.release_due_pulses(now + datetime.timedelta(seconds=30))
    assert Recipient.objects.filter(state="released").count() == 3

    later = now + datetime.timedelta(seconds=61)
    sending.release_due_pulses(later)
    for send in (send_a, send_b):
        send.refresh_from_db()
        sending.deliver_released(send)
    assert len(mailbox.messages) == 5


@pytest.mark.django_db
def test_send_to_contacts_skips_and_sends_once(account, mailbox):
    ok = make_contact(account, email="ok@example.com")
    unconsented = make_contact(account, email="noconsent@example.com", consent=())
    suppressed = make_contact(account, email="gone@example.com")
    contact_actions.suppress(account, suppressed, channel="email", reason="complained")
    message = email_message(account)

    claim = actions.send_to_contacts(account, message, [ok, unconsented, suppressed])
    sent = sending.deliver_claimed(message, claim.token)
    again = actions.send_to_contacts(account, message, [ok])

    assert claim.claimed == 1
    assert claim.skipped == {"no_consent": 1, "suppressed": 1}
    assert sent == 1
    assert [m["To"] for m in mailbox.messages] == ["ok@example.com"]
    assert again.claimed == 0
    assert again.skipped == {"already_sent": 1}


@pytest.mark.django_db
def test_reaper_resends_stale_claims_outside_sends(account, mailbox, settings):
    settings.CAMPAIGNS_CLAIM_LEASE_SECONDS = 60
    contact = make_contact(account, email="ok@example.com")
    message = email_message(account)
    actions.send_to_contacts(account, message, [contact])
    later = timezone.now() + datetime.timedelta(minutes=5)

    due = sending.messages_due_again(later)
    sending.redeliver_message(message, later)

    assert due == [(account.pk, message.pk)]
    assert [m["To"] for m in mailbox.messages] == ["ok@example.com"]


@pytest.mark.django_db
def test_scheduled_send_waits_for_its_time(account, mailbox):
    from campaigns import queries

    contact = make_contact(account, email="a@example.com")
    at = timezone.now() + datetime.timedelta(hours=2)
    send = actions.create_send(
        account,
        email_message(account),
        list_ids=[make_list(account, "א", [contact]).pk],
        scheduled_at=at,
    )
    actions.prepare_send(send)
    send.refresh_from_db()
    assert send.status == SendStatus.SCHEDULED

    assert queries.start_scheduled(timezone.now()) == 0
    assert queries.start_scheduled(at + datetime.timedelta(seconds=1)) == 1
    run_send(send, at + datetime.timedelta(seconds=1))

    assert len(mailbox.messages) == 1


@pytest.mark.django_db
def test_whatsapp_template_goes_through_twilio(account, twilio, settings):
    settings.TWILIO_WHATSAPP_FROM = "+14155238886"
    contact = make_contact(
        account,
        email="w@example.com",
        mobile="050-7654321",
        first_name="נועה",
        consent=("whatsapp",),
    )
    message = actions.save_message(
        account,
        None,
        {
            "name": "WA",
            "text": "פרסומת: שלום [[שם פרטי]]",
            "sender_name": "פרחי דנה",
            "whatsapp_content_sid": "HX00000000000000000000000000000001",
        },
        channel="whatsapp",
    )

    run_send(
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])
    )

    request = twilio.requests[0]
    assert request["To"] == "whatsapp:+972507654321"
    assert request["From"] == "whatsapp:+14155238886"
    assert request["ContentSid"] == "HX00000000000000000000000000000001"
    assert "Body" not in request


@pytest.mark.django_db
def test_whatsapp_free_text_needs_an_open_conversation(account, twilio):
    from contacts import actions as contact_actions

    quiet = make_contact(
        account, email="q@example.com", mobile="050-1111111", consent=("whatsapp",)
    )
    replied = make_contact(
        account, email="r@example.com", mobile="050-2222222", consent=("whatsapp",)
    )
    contact_actions.record_event(account, replied, "whatsapp_received", {"body": "היי"})
    message = actions.save_message(
        account,
        None,
        {"name": "WA", "text": "תודה על פנייתך", "is_advertising": False},
        channel="whatsapp",
    )

    send = run_send(
        actions.create_send(
            account, message, list_ids=[make_list(account, "א", [quiet, replied]).pk]
        )
    )

    assert send.skipped == {"no_session": 1}
    assert [r["To"] for r in twilio.requests] == ["whatsapp:+972502222222"]


@pytest.mark.django_db
def test_broken_dynamic_list_stops_the_send_with_a_reason(account, owner_client):
    from django.urls import reverse

    from contacts.models import CustomField
    from lists import actions as list_actions

    contact_actions.create_custom_field(account, label="צבע", key="color", type="text")
    make_contact(account, email="a@example.com", color="כחול")
    blue = list_actions.create_list(
        account,
        name="כחולים",
        kind="dynamic",
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "color", "op": "equals", "value": "כחול"}],
        },
    )
    send = actions.create_send(account, email_message(account), list_ids=[blue.pk])
    CustomField.objects.filter(account=account, key="color").delete()

    actions.prepare_send(send)

    send.refresh_from_db()
    assert send.status == SendStatus.CANCELLED
    assert "color" in send.error
    page = owner_client.get(reverse("campaigns:send_detail", args=[send.pk]))
    assert 'data-testid="send-error"' in page.content.decode()
