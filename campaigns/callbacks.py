"""Provider callbacks: SES events through SNS, Twilio status callbacks and inbound texts."""

import json
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Delivery, DeliveryStatus, InboundEndpoint, ProviderNotice
from contacts import actions as contact_actions
from contacts.models import Channel, ConsentStatus, Contact, SuppressionReason
from contacts.normalize import InvalidValue, normalize_phone

logger = logging.getLogger(__name__)

# Whole-body opt-out and opt-in words, compared case-insensitively. Twilio
# acts on the English ones itself. Israeli advertising offers "הסר" as the
# reply word, and Twilio ignores it, so it is handled here.
OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "הסר", "הסרה", "עצור", "די"}
)
OPT_IN_WORDS = frozenset({"start", "unstop", "yes", "התחל"})
# Twilio statuses in the order a message moves; a late callback never moves
# a delivery back (delivered stays delivered when "sent" arrives after it).
TWILIO_STATUS_ORDER = ("accepted", "queued", "sending", "sent", "delivered", "read")
TWILIO_FAILURES = ("undelivered", "failed")


def _first_time(provider: str, notice_id: str) -> bool:
    """Record a callback id; False when it was applied before (a provider's retry)."""
    if not notice_id:
        return True
    try:
        with transaction.atomic():
            ProviderNotice.objects.create(provider=provider, notice_id=notice_id[:200])
    except IntegrityError:
        return False
    return True


# --- SES -------------------------------------------------------------------


def apply_ses_event(sns_message_id: str, event: dict[str, Any]) -> int:
    """Apply one SES notification; return how many deliveries it changed."""
    if not _first_time("ses", sns_message_id):
        return 0
    kind = event.get("notificationType") or event.get("eventType") or ""
    mail = event.get("mail") or {}
    deliveries = list(
        Delivery.objects.select_related("contact", "account").filter(
            channel=Channel.EMAIL, provider_id=str(mail.get("messageId") or "")
        )
    )
    if not deliveries:
        logger.info("ses event for an unknown message", extra={"kind": kind})
        return 0
    now = timezone.now()
    changed = 0
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        addresses = {
            str(r.get("emailAddress", "")).strip().lower()
            for r in bounce.get("bouncedRecipients", [])
        }
        permanent = bounce.get("bounceType") == "Permanent"
        for delivery in deliveries:
            if delivery.address.lower() not in addresses:
                continue
            changed += Delivery.objects.filter(pk=delivery.pk, bounced_at__isnull=True).update(
                bounced_at=now
            )
            data = {
                "message_id": delivery.message_id,
                "delivery_id": delivery.pk,
                "bounce_type": bounce.get("bounceType", ""),
                "sub_type": bounce.get("bounceSubType", ""),
            }
            contact_actions.record_event(
                delivery.account, delivery.contact, "message_bounced", data
            )
            # A transient bounce (mailbox full) may pass; only a permanent
            # one shows the address will never work.
            if permanent:
                contact_actions.suppress(
                    delivery.account,
                    delivery.contact,
                    channel=Channel.EMAIL,
                    reason=SuppressionReason.BOUNCED,
                )
    elif kind == "Complaint":
        complaint = event.get("complaint") or {}
        addresses = {
            str(r.get("emailAddress", "")).strip().lower()
            for r in complaint.get("complainedRecipients", [])
        }
        for delivery in deliveries:
            if delivery.address.lower() not in addresses:
                continue
            changed += Delivery.objects.filter(pk=delivery.pk, complained_at__isnull=True).update(
                complained_at=now
            )
            contact_actions.record_event(
                delivery.account,
                delivery.contact,
                "message_complained",
                {"message_id": delivery.message_id, "delivery_id": delivery.pk},
            )
            contact_actions.suppress(
                delivery.account,
                delivery.contact,
                channel=Channel.EMAIL,
                reason=SuppressionReason.COMPLAINED,
            )
            contact_actions.record_consent(
                delivery.account,
                delivery.contact,
                channel=Channel.EMAIL,
                status=ConsentStatus.REVOKED,
                source="complaint",
                source_ref=f"message:{delivery.message_id}",
            )
    elif kind == "Delivery":
        recipients = {str(r).lower() for r in (event.get("delivery") or {}).get("recipients", [])}
        for delivery in deliveries:
            if recipients and delivery.address.lower() not in recipients:
                continue
            updated = Delivery.objects.filter(pk=delivery.pk, delivered_at__isnull=True).update(
                delivered_at=now
            )
            if updated:
                changed += 1
                contact_actions.record_event(
                    delivery.account,
                    delivery.contact,
                    "message_delivered",
                    {"message_id": delivery.message_id, "delivery_id": delivery.pk},
                )
    return changed


def parse_ses_message(envelope: dict[str, Any]) -> dict[str, Any]:
    try:
        event = json.loads(str(envelope.get("Message", "")))
    except json.JSONDecodeError:
        return {}
    return event if isinstance(event, dict) else {}


# --- Twilio ----------------------------------------------------------------


def apply_twilio_status(params: dict[str, str]) -> bool:
    """Apply a status callback to its delivery; return False if unknown or a regression."""
    sid = params.get("MessageSid", "")
    status = params.get("MessageStatus", "").lower()
    delivery = (
        Delivery.objects.select_related("contact", "account")
        .filter(provider_id=sid, channel__in=[Channel.SMS, Channel.WHATSAPP])
        .first()
    )
    if delivery is None or not status:
        return False

    current = delivery.provider_status
    if current in TWILIO_FAILURES and status not in TWILIO_FAILURES:
        return False
    if status in TWILIO_STATUS_ORDER and current in TWILIO_STATUS_ORDER:
        if TWILIO_STATUS_ORDER.index(status) <= TWILIO_STATUS_ORDER.index(current):
            return False
    if current in ("delivered", "read") and status in TWILIO_FAILURES:
        return False

    now = timezone.now()
    changes: dict[str, Any] = {"provider_status": status}
    delivered = status in ("delivered", "read") and delivery.delivered_at is None
    if delivered:
        changes["delivered_at"] = now
    if status in TWILIO_FAILURES:
        changes["error"] = f"Twilio error {params.get('ErrorCode', '')}".strip()
        changes["bounced_at"] = now
    # Conditional on the status read above, so of two racing callbacks only
    # one applies, and only that one records events.
    updated = Delivery.objects.filter(pk=delivery.pk, provider_status=current).update(**changes)
    if not updated:
        return False

    data: dict[str, Any] = {"message_id": delivery.message_id, "delivery_id": delivery.pk}
    if delivered:
        contact_actions.record_event(delivery.account, delivery.contact, "message_delivered", data)
    if status in TWILIO_FAILURES:
        data["error_code"] = params.get("ErrorCode", "")
        contact_actions.record_event(delivery.account, delivery.contact, "message_bounced", data)
    if delivery.status == DeliveryStatus.AMBIGUOUS:
        # A callback proves the provider took the message.
        Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT)
    return True


def endpoint_account_id(token: str) -> int | None:
    found = InboundEndpoint.objects.filter(token=token).values_list("account_id", flat=True).first()
    return found


def apply_twilio_inbound(account_id: int, params: dict[str, str]) -> str:
    """Record an inbound SMS or WhatsApp message; return "opt_out", "opt_in", "reply" or "unknown"."""
    whatsapp = params.get("From", "").startswith("whatsapp:")
    channel = Channel.WHATSAPP if whatsapp else Channel.SMS
    raw_from = params.get("From", "").removeprefix("whatsapp:")
    try:
        phone = normalize_phone(raw_from)
    except InvalidValue:
        phone = None
    if phone is None:
        return "unknown"
    contact = (
        Contact.objects.select_related("account")
        .filter(account_id=account_id, mobile=phone.e164)
        .first()
    )
    if contact is None:
        logger.info("inbound message from an unknown number", extra={"account_id": account_id})
        return "unknown"

    account = contact.account
    body = params.get("Body", "").strip()
    word = body.casefold()
    if not _first_time("twilio", params.get("MessageSid", "")):
        return "reply"

    if word in OPT_OUT_WORDS:
        contact_actions.suppress(
            account, contact, channel=channel, reason=SuppressionReason.UNSUBSCRIBED
        )
        contact_actions.record_consent(
            account,
            contact,
            channel=channel,
            status=ConsentStatus.REVOKED,
            source="reply",
            source_ref=params.get("MessageSid", ""),
            wording=body,
        )
        return "opt_out"
    if word in OPT_IN_WORDS:
        # The contact's own new opt-in lifts their earlier opt-out.
        contact_actions.lift_suppression(account, contact, channel=channel)
        contact_actions.record_consent(
            account,
            contact,
            channel=channel,
            status=ConsentStatus.GRANTED,
            source="reply",
            source_ref=params.get("MessageSid", ""),
            wording=body,
        )
        return "opt_in"

    data = {"body": body[:1600], "message_sid": params.get("MessageSid", "")}
    if params.get("ButtonPayload"):
        data["button_payload"] = params["ButtonPayload"]
    contact_actions.record_event(account, contact, f"{channel}_received", data)
    return "reply"
