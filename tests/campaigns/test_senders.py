"""Sender addresses: verification by email, the settings screen, and the rule at save and send."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns import actions, senders, sending
from campaigns.models import Delivery, Message, Recipient, Sender, SendStatus
from smoove.demo_login import DEMO_EMAIL
from smoove.models import Account
from tests.campaigns.conftest import email_message, make_contact, make_list, verified_sender
from tests.campaigns.test_sending import run_send

pytestmark = pytest.mark.django_db
LINK_RE = re.compile(r"http://127\.0\.0\.1:8000(/senders/verify/[^/\s]+/)")


def verification_path(received):
    return LINK_RE.search(received.get_body(preferencelist=("plain",)).get_content()).group(1)


def test_adding_a_sender_emails_a_hebrew_verification_link(owner_client, account, mailbox):
    response = owner_client.post(
        reverse("campaigns:senders"),
        {"name": "Yahav – Sales", "email": "Yahav@Shop.example.co.il", "reply_to": ""},
    )

    assert response.status_code == 302
    sender = Sender.objects.get(account=account)
    assert sender.email == "yahav@shop.example.co.il"
    assert sender.verified_at is None
    received = mailbox.messages[0]
    assert received["To"] == "yahav@shop.example.co.il"
    assert received["Subject"].strip().startswith("אישור הכתובת yahav@shop.example.co.il")
    body = received.get_body(preferencelist=("plain",)).get_content()
    assert "Yahav – Sales" in body
    assert "התעלמו" in body
    assert verification_path(received).startswith("/senders/verify/")


def test_verify_link_get_changes_nothing(owner_client, client, account, mailbox):
    actions.add_sender(account, name="חנות", email="news@shop.example.co.il")
    path = verification_path(mailbox.messages[0])

    shown = client.get(path)
    still_waiting = Sender.objects.get(account=account).verified_at is None
    confirmed = client.post(path)

    assert shown.status_code == 200
    assert "news@shop.example.co.il" in shown.content.decode()
    assert still_waiting
    assert confirmed.status_code == 200
    assert 'data-testid="sender-verified"' in confirmed.content.decode()
    assert Sender.objects.get(account=account).is_verified


def test_verify_link_forged_or_expired(client, account, mailbox, settings):
    sender = actions.add_sender(account, name="חנות", email="news@shop.example.co.il")
    path = verification_path(mailbox.messages[0])

    forged = client.post(path[:-3] + "x/")
    later = timezone.now() + senders.VERIFICATION_MAX_AGE + datetime.timedelta(minutes=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("time.time", lambda: later.timestamp())
        expired = client.post(path)

    assert forged.status_code == 404
    assert expired.status_code == 410
    sender.refresh_from_db()
    assert sender.verified_at is None


def test_verify_link_of_deleted_sender(client, account, mailbox):
    first = actions.add_sender(account, name="חנות", email="news@shop.example.co.il")
    path = verification_path(mailbox.messages[0])
    actions.delete_sender(account, first)
    actions.add_sender(account, name="חנות", email="news@shop.example.co.il")

    response = client.post(path)

    assert response.status_code == 404
    assert not Sender.objects.get(account=account).is_verified


def test_resending_waits_a_minute(owner_client, account, mailbox):
    sender = actions.add_sender(account, name="חנות", email="news@shop.example.co.il")
    url = reverse("campaigns:sender_resend", args=[sender.pk])

    owner_client.post(url)
    Sender.objects.filter(pk=sender.pk).update(
        verification_sent_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    owner_client.post(url)

    assert len(mailbox.messages) == 2


def test_senders_screen_lists_status_and_sets_the_default(owner_client, account, mailbox):
    waiting = actions.add_sender(account, name="מחכה", email="wait@shop.example.co.il")
    ready = verified_sender(account, "news@shop.example.co.il", "חנות")

    listed = owner_client.get(reverse("campaigns:senders"))
    made_default = owner_client.post(
        reverse("campaigns:sender_default", args=[ready.pk]), HTTP_HX_REQUEST="true"
    )
    refused = owner_client.post(reverse("campaigns:sender_default", args=[waiting.pk]))

    page = listed.content.decode()
    assert "טרם אושר" in page
    assert "מאומת" in page
    # The signup address of a new account is not verified until confirmed.
    assert 'data-testid="default-unverified"' in page
    assert made_default.status_code == 200
    assert 'data-testid="sender-default"' in made_default.content.decode()
    assert refused.status_code == 302
    account.refresh_from_db()
    assert account.default_sender_email == "news@shop.example.co.il"
    assert account.default_sender_name == "חנות"


def test_deleting_the_default_sender_clears_the_account_default(owner_client, account):
    sender = verified_sender(account, "news@shop.example.co.il", "חנות", make_default=True)

    response = owner_client.post(reverse("campaigns:sender_delete", args=[sender.pk]))

    assert response.status_code == 302
    assert not Sender.objects.filter(pk=sender.pk).exists()
    account.refresh_from_db()
    assert account.default_sender_email == ""


def test_teammate_sees_senders_but_cannot_change_them(teammate_client, account, mailbox):
    sender = verified_sender(account, "news@shop.example.co.il", "חנות")

    listed = teammate_client.get(reverse("campaigns:senders"))
    added = teammate_client.post(
        reverse("campaigns:senders"), {"name": "x", "email": "x@shop.example.co.il"}
    )
    deleted = teammate_client.post(reverse("campaigns:sender_delete", args=[sender.pk]))

    assert "news@shop.example.co.il" in listed.content.decode()
    assert added.status_code == 403
    assert deleted.status_code == 403
    assert list(Sender.objects.filter(account=account)) == [sender]
    assert mailbox.messages == []


def test_outsider_cannot_touch_senders(outsider_client, account):
    sender = verified_sender(account, "news@shop.example.co.il", "חנות")

    for name in ("sender_resend", "sender_default", "sender_delete"):
        response = outsider_client.post(reverse(f"campaigns:{name}", args=[sender.pk]))
        assert response.status_code == 404
    listed = outsider_client.get(reverse("campaigns:senders"))

    assert "news@shop.example.co.il" not in listed.content.decode()
    assert Sender.objects.filter(pk=sender.pk, verified_at__isnull=False).exists()


def test_editor_refuses_an_unverified_address(owner_client, account):
    verified_sender(account, "news@shop.example.co.il", "חנות")
    message = email_message(account, sender_email="news@shop.example.co.il")
    url = reverse("campaigns:edit", args=[message.pk])

    response = owner_client.post(
        url,
        {
            "name": message.name,
            "subject": message.subject,
            "sender_email": "someone@elsewhere.example",
            "is_advertising": "on",
        },
    )

    assert response.status_code == 400
    assert "אינה כתובת שולח מאומתת" in response.content.decode()
    message.refresh_from_db()
    assert message.sender_email == "news@shop.example.co.il"


def test_editor_offers_only_verified_senders(owner_client, account):
    verified_sender(account, "news@shop.example.co.il", "חנות")
    actions.add_sender(account, name="מחכה", email="wait@shop.example.co.il")
    message = email_message(account, sender_email="news@shop.example.co.il")

    page = owner_client.get(reverse("campaigns:edit", args=[message.pk])).content.decode()

    choices = page.split('data-testid="sender-email"')[1].split("</select>")[0]
    assert "news@shop.example.co.il" in choices
    assert "wait@shop.example.co.il" not in choices


def test_one_off_sender_name_keeps_the_verified_address(account, mailbox):
    verified_sender(account, "news@shop.example.co.il", "חנות הפרחים", make_default=True)
    contact = make_contact(account, email="dana@example.com")
    message = email_message(
        account, sender_name="Yahav – Sales", sender_email="news@shop.example.co.il"
    )

    run_send(
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])
    )

    sender = mailbox.messages[0]["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Yahav – Sales", "news@shop.example.co.il")
    account.refresh_from_db()
    assert account.default_sender_name == "חנות הפרחים"


def test_chosen_sender_gives_name_and_reply_to(account, mailbox):
    verified_sender(
        account, "sales@shop.example.co.il", "מכירות", reply_to="help@shop.example.co.il"
    )
    contact = make_contact(account, email="dana@example.com")
    message = email_message(account, sender_name="", sender_email="sales@shop.example.co.il")

    run_send(
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])
    )

    received = mailbox.messages[0]
    assert received["From"].addresses[0].display_name == "מכירות"
    assert received["Reply-To"] == "help@shop.example.co.il"


def test_new_account_signup_address_unverified(account):
    contact = make_contact(account, email="dana@example.com")
    message = actions.save_message(
        account,
        None,
        {
            "name": "טיוטה",
            "subject": "פרסומת: שלום",
            "blocks": [{"id": "t", "type": "text", "text": "שלום"}],
        },
        channel="email",
    )

    with pytest.raises(actions.CampaignError) as caught:
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])

    assert message.pk is not None
    assert any(account.default_sender_email in p for p in caught.value.errors["compliance"])


def test_send_rejects_deleted_sender(account):
    contact = make_contact(account, email="dana@example.com")
    message = email_message(account, sender_email="news@shop.example.co.il")
    Sender.objects.filter(account=account, email="news@shop.example.co.il").delete()

    with pytest.raises(actions.CampaignError) as caught:
        actions.create_send(account, message, list_ids=[make_list(account, "א", [contact]).pk])

    assert any("news@shop.example.co.il" in p for p in caught.value.errors["compliance"])


def test_ab_variant_sender_must_be_verified(account):
    contact = make_contact(account, email="dana@example.com")
    message = email_message(account)

    with pytest.raises(actions.CampaignError) as caught:
        actions.create_send(
            account,
            message,
            list_ids=[make_list(account, "א", [contact]).pk],
            variants=[
                {"subject": "פרסומת: א"},
                {"subject": "פרסומת: ב", "sender_email": "other@elsewhere.example"},
            ],
            test_percent=20,
        )

    assert any("other@elsewhere.example" in p for p in caught.value.errors["compliance"])


def test_running_send_pauses_when_its_sender_loses_verification(account, mailbox):
    contacts = [make_contact(account, email=f"r{i}@example.com") for i in range(3)]
    message = email_message(account, sender_email="news@shop.example.co.il")
    send = actions.create_send(account, message, list_ids=[make_list(account, "א", contacts).pk])
    actions.prepare_send(send)
    sending.release_due_pulses(timezone.now())
    Sender.objects.filter(email="news@shop.example.co.il").update(verified_at=None)

    send.refresh_from_db()
    sending.deliver_released(send)

    send.refresh_from_db()
    assert mailbox.messages == []
    assert send.status == SendStatus.PAUSED
    assert "news@shop.example.co.il" in send.error
    assert not Delivery.objects.filter(send=send).exists()
    assert Recipient.objects.filter(send=send, state="queued").count() == 3
    with pytest.raises(actions.CampaignError):
        actions.resume_send(account, send)

    Sender.objects.filter(email="news@shop.example.co.il").update(verified_at=timezone.now())
    actions.resume_send(account, send)
    run_send(send)

    assert sorted(m["To"] for m in mailbox.messages) == [c.email for c in contacts]
    send.refresh_from_db()
    assert send.error == ""


def test_flow_delivery_fails_for_unverified_sender(account, mailbox):
    contact = make_contact(account, email="dana@example.com")
    message = email_message(account, sender_email="news@shop.example.co.il")
    claim = actions.send_to_contacts(account, message, [contact])
    Sender.objects.filter(email="news@shop.example.co.il").delete()

    sent = sending.deliver_claimed(message, claim.token)

    assert sent == 0
    assert mailbox.messages == []
    delivery = Delivery.objects.get(message=message)
    assert delivery.status == "failed"
    assert "news@shop.example.co.il" in delivery.error


def test_flow_step_rejects_unverified_sender(account):
    contact = make_contact(account, email="dana@example.com")
    message = email_message(account, sender_email="news@shop.example.co.il")
    Sender.objects.filter(email="news@shop.example.co.il").delete()

    with pytest.raises(actions.CampaignError) as caught:
        actions.send_to_contacts(account, message, [contact])

    assert caught.value.errors["compliance"]
    assert not Delivery.objects.filter(message=message).exists()


def test_test_send_needs_a_verified_sender(account, mailbox):
    message = email_message(account, sender_email="news@shop.example.co.il")
    Sender.objects.filter(email="news@shop.example.co.il").delete()

    with pytest.raises(actions.CampaignError):
        actions.send_test(account, message, ["qa@example.com"], None)

    assert mailbox.messages == []


def test_demo_account_can_send_from_its_address(settings):
    call_command("load_demo", verbosity=0)

    account = Account.objects.get(default_sender_email=DEMO_EMAIL)
    message = Message(account=account, channel="email", name="x", subject="פרסומת: x")
    assert senders.send_problems(account, message) == []
    assert Sender.objects.get(account=account).is_verified
