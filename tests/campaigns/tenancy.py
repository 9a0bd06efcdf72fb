"""The campaigns app's entries for the URL registry of tests/test_tenancy.py.

Object-bound URLs need a message, a send and an outbox message of account
A; each helper creates them once, on first use.
"""

from typing import Any

from campaigns import actions
from campaigns.models import Message, OutboxMessage, Send, Sender

MARKER_MESSAGE = "הודעה-של-חשבון-א"
MARKER_SENDER = "sender-of-account-a@example.com"


def _message(world: Any) -> Message:
    found = Message.objects.filter(account=world.account, name=MARKER_MESSAGE).first()
    return found or actions.save_message(
        world.account,
        None,
        {
            "name": MARKER_MESSAGE,
            "subject": "פרסומת: " + MARKER_MESSAGE,
            "blocks": [{"id": "b1", "type": "text", "text": MARKER_MESSAGE}],
        },
        channel="email",
    )


def sender_pk(world: Any) -> dict[str, Any]:
    found = Sender.objects.filter(account=world.account, email=MARKER_SENDER).first()
    found = found or actions.add_verified_sender(
        world.account, name="שולח של חשבון א", email=MARKER_SENDER
    )
    return {"pk": found.pk}


def message_pk(world: Any) -> dict[str, Any]:
    return {"pk": _message(world).pk}


def send_pk(world: Any) -> dict[str, Any]:
    message = _message(world)
    send = Send.objects.filter(message=message).first()
    send = send or Send.objects.create(
        account=world.account, message=message, list_ids=[world.contact_list.pk], status="paused"
    )
    return {"pk": send.pk}


def segment(world: Any) -> dict[str, Any]:
    return {**send_pk(world), "segment": "sent"}


def outbox_pk(world: Any) -> dict[str, Any]:
    kept = OutboxMessage.objects.filter(account=world.account).first()
    kept = kept or OutboxMessage.objects.create(
        account=world.account, channel="email", to=world.contact.email, subject=MARKER_MESSAGE
    )
    return {"pk": kept.pk}


def routes(public: Any, account_level: Any, object_bound: Any) -> dict[str, Any]:
    """Return the campaigns URL names with their kind, built from test_tenancy's classes."""
    by_token = "the signed delivery token in the URL decides the account"
    return {
        "campaigns_public:open": public(by_token),
        "campaigns_public:click": public(by_token),
        "campaigns_public:unsubscribe": public(by_token),
        "campaigns_public:ses_notification": public("Amazon SNS signature, checked by the view"),
        "campaigns_public:twilio_status": public("Twilio request signature, checked by the view"),
        "campaigns_public:twilio_inbound": public("Twilio signature; the signed tenant token"),
        "campaigns_public:twilio_whatsapp": public("Twilio signature; the signed tenant token"),
        "campaigns_public:verify_sender": public("the signed, expiring token names the sender"),
        "campaigns:index": account_level(),
        "campaigns:create": account_level(),
        "campaigns:sms_length": account_level(),
        "campaigns:outbox": account_level(),
        "campaigns:senders": account_level(),
        "campaigns:sender_resend": object_bound(sender_pk),
        "campaigns:sender_default": object_bound(sender_pk),
        "campaigns:sender_delete": object_bound(sender_pk),
        "campaigns:edit": object_bound(message_pk),
        "campaigns:delete": object_bound(message_pk),
        "campaigns:duplicate": object_bound(message_pk),
        "campaigns:preview": object_bound(message_pk),
        "campaigns:test_send": object_bound(message_pk),
        "campaigns:send_setup": object_bound(message_pk),
        "campaigns:estimate": object_bound(message_pk),
        "campaigns:send_detail": object_bound(send_pk),
        "campaigns:send_pause": object_bound(send_pk),
        "campaigns:send_resume": object_bound(send_pk),
        "campaigns:send_cancel": object_bound(send_pk),
        "campaigns:send_segment": object_bound(segment),
        "campaigns:outbox_detail": object_bound(outbox_pk),
        "api_messages": account_level(),
        "api_message": object_bound(message_pk),
        "api_message_validate": object_bound(message_pk),
        "api_message_preview": object_bound(message_pk),
        "api_message_test": object_bound(message_pk),
        "api_message_sends": object_bound(message_pk),
        "api_send": object_bound(send_pk),
        "api_send_pause": object_bound(send_pk),
        "api_send_resume": object_bound(send_pk),
        "api_send_cancel": object_bound(send_pk),
        "api_senders": account_level(),
        "api_sender": object_bound(sender_pk),
        "api_sender_verification": object_bound(sender_pk),
        "api_sender_default": object_bound(sender_pk),
    }
