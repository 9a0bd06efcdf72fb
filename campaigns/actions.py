"""Changes in campaigns: messages, sends, tracking hits, smart buttons, unsubscribes."""

import copy
import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns import blocks as block_rules
from campaigns import hit_buffer, merge, senders, sending, targeting, tracking, whatsapp
from campaigns.backends import backend_for
from campaigns.backends.base import DeliveryError, Outgoing
from campaigns.models import (
    Delivery,
    Message,
    MessageLink,
    Send,
    Sender,
    SendStatus,
    TrackingHit,
)
from campaigns.rendering import (
    RecipientContext,
    compile_message,
    merge_tag_texts,
    render_url,
    sender_of,
)
from contacts import actions as contact_actions
from contacts import queries as contact_queries
from contacts.models import Channel, ConsentStatus, Contact, SuppressionReason
from lists import actions as list_actions
from lists import queries as list_queries
from lists.conditions import ConditionError
from lists.models import ListKind
from smoove.models import Account
from smoove.tasks_util import enqueue_on_commit

logger = logging.getLogger(__name__)

ADVERTISING_WORD = "פרסומת"
MESSAGE_FIELDS = (
    "name",
    "subject",
    "preheader",
    "subject_rules",
    "blocks",
    "text",
    "is_advertising",
    "sender_name",
    "sender_email",
    "reply_to",
    "sender_contact",
    "whatsapp_content_sid",
    "whatsapp_variables",
)
MAX_TEST_ADDRESSES = 10


class CampaignError(Exception):
    """A change that cannot be applied; `errors` maps a field (or block) to messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


# --- Messages ------------------------------------------------------------------


def validate_message(account: Account, message: Message) -> dict[str, list[str]]:
    """Return every problem that stops the message from being saved, by field."""
    errors: dict[str, list[str]] = {}
    fields = targeting.field_index(account)
    if not message.name.strip():
        errors.setdefault("name", []).append(_("Give the message a name."))
    if message.channel == Channel.EMAIL:
        errors.update(block_rules.validate_structure(message.blocks))
        if not message.subject.strip():
            errors.setdefault("subject", []).append(_("Write a subject."))
    elif not message.text.strip():
        errors.setdefault("text", []).append(_("Write the text of the message."))
    for where, text in merge_tag_texts(message):
        unknown = merge.check(text, fields)
        if unknown:
            errors.setdefault(where, []).append(str(merge.MergeTagError(unknown)))
    for where, problems in senders.save_problems(account, message).items():
        errors.setdefault(where, []).extend(problems)
    if message.channel == Channel.WHATSAPP:
        for where, problems in whatsapp.template_problems(message, fields).items():
            errors.setdefault(where, []).extend(problems)
    for index, item in enumerate(message.subject_rules or []):
        rule = item.get("rule") if isinstance(item, dict) else None
        problem = targeting.rule_error(account, rule or {}, fields) if rule else _("Choose a rule.")
        if problem:
            errors.setdefault(f"subject_rules.{index}", []).append(problem)
    if message.channel == Channel.EMAIL and isinstance(message.blocks, list):
        for block in block_rules.iter_blocks(message.blocks):
            if not isinstance(block, dict):
                continue
            key = f"block:{block.get('id')}"
            if block.get("rule"):
                problem = targeting.rule_error(account, block["rule"], fields)
                if problem:
                    errors.setdefault(key, []).append(problem)
            action = block.get("action")
            if isinstance(action, dict):
                problem = _action_error(account, action, fields)
                if problem:
                    errors.setdefault(key, []).append(problem)
    return errors


def _action_error(account: Account, action: dict[str, Any], fields: merge.FieldIndex) -> str | None:
    if action.get("kind") in ("add_to_list", "remove_from_list"):
        list_id = str(action.get("list_id") or "")
        found = list_queries.lists_of_account(account).filter(
            pk=int(list_id) if list_id.isdigit() else 0, kind=ListKind.STATIC
        )
        if not found.exists():
            return _("The smart button's list does not exist or is a dynamic list.")
    if action.get("kind") == "set_field" and str(action.get("field")) not in fields.specs:
        return _("The smart button's field “%(field)s” does not exist.") % {
            "field": action.get("field")
        }
    return None


def compliance_problems(account: Account, message: Message) -> list[str]:
    """Return why an advertising message may not be sent under section 30A, if it may not."""
    problems: list[str] = []
    sender = sender_of(message, account)
    if message.channel == Channel.EMAIL and not sender.email:
        problems.append(_("Set a sender address for this message or for the account."))
    problems.extend(senders.send_problems(account, message))
    if not message.is_advertising:
        return problems
    if message.channel == Channel.EMAIL:
        subjects = [message.subject] + [
            str(i.get("subject") or "") for i in message.subject_rules or []
        ]
        if any(not s.strip().startswith(ADVERTISING_WORD) for s in subjects):
            problems.append(
                _("An advertising email's subject must begin with the word “%(word)s”.")
                % {"word": ADVERTISING_WORD}
            )
    elif not message.text.strip().startswith(ADVERTISING_WORD):
        problems.append(
            _("An advertising message must begin with the word “%(word)s”.")
            % {"word": ADVERTISING_WORD}
        )
    if not sender.name.strip():
        problems.append(_("Advertising must name the sender: set a sender name."))
    if message.channel == Channel.EMAIL and not (sender.contact or sender.email):
        problems.append(_("Advertising must say how to reach the sender."))
    return problems


def save_message(
    account: Account, message: Message | None, values: dict[str, Any], *, channel: str = ""
) -> Message:
    """Create or change a message; raise CampaignError listing every problem."""
    if message is None:
        if channel not in Channel.values:
            raise CampaignError(_("Choose a channel."), {"channel": [_("Choose a channel.")]})
        message = Message(account=account, channel=channel)
    _apply_values(account, message, values)
    errors = validate_message(account, message)
    if errors:
        raise CampaignError(_("The message was not saved."), errors)
    message.updated_at = timezone.now()
    message.save()
    return message


def unsaved_copy(
    account: Account, message: Message, values: dict[str, Any]
) -> tuple[Message, dict[str, list[str]]]:
    """Return a copy of the message with the editor's values applied, and its problems.

    Nothing is written: the preview renders the copy so the marketer sees
    edits before saving them.
    """
    draft = copy.copy(message)
    _apply_values(account, draft, values)
    return draft, validate_message(account, draft)


def _apply_values(account: Account, message: Message, values: dict[str, Any]) -> None:
    for name in MESSAGE_FIELDS:
        if name in values:
            value = values[name]
            if name == "is_advertising":
                value = bool(value)
            elif name not in ("blocks", "subject_rules", "whatsapp_variables"):
                value = str(value or "").strip() if name != "text" else str(value or "")
            setattr(message, name, value)
    if isinstance(values.get("whatsapp_variables"), dict | list):
        message.whatsapp_variables = whatsapp.normalized_variables(values["whatsapp_variables"])
    message.sender_email = message.sender_email.lower()
    if message.channel == Channel.EMAIL and message.sender_email and not message.sender_name:
        # Choosing a sender without a name of its own takes that sender's name.
        chosen = senders.verified_senders(account).get(message.sender_email)
        if chosen is not None:
            message.sender_name = chosen.name


def duplicate_message(account: Account, message: Message) -> Message:
    copy = Message.objects.get(pk=message.pk, account=account)
    copy.pk = None
    copy.name = _("Copy of %(name)s") % {"name": message.name}
    copy.created_at = copy.updated_at = timezone.now()
    copy.save()
    return copy


def delete_message(account: Account, message: Message) -> None:
    if Delivery.objects.filter(account=account, message=message).exists():
        raise CampaignError(_("A message that was sent is kept for its report."))
    Message.objects.filter(account=account, pk=message.pk).delete()


# --- Senders -------------------------------------------------------------------


def _clean_address(value: str, field: str) -> str:
    address = str(value or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        text = _("Enter a valid email address.")
        raise CampaignError(text, {field: [text]}) from exc
    return address


def add_sender(account: Account, *, name: str, email: str, reply_to: str = "") -> Sender:
    """Add a sender identity and email a verification link to its address."""
    name = str(name or "").strip()
    if not name:
        text = _("Give the sender a name.")
        raise CampaignError(text, {"name": [text]})
    address = _clean_address(email, "email")
    reply_address = _clean_address(reply_to, "reply_to") if str(reply_to or "").strip() else ""
    sender, created = Sender.objects.get_or_create(
        account=account,
        email=address,
        defaults={"name": name[:200], "reply_to": reply_address},
    )
    if not created:
        text = _("“%(address)s” is already one of the account's senders.") % {"address": address}
        raise CampaignError(text, {"email": [text]})
    send_sender_verification(sender)
    logger.info("sender added", extra={"account_id": account.pk, "sender_id": sender.pk})
    return sender


def add_verified_sender(
    account: Account, *, name: str, email: str, reply_to: str = "", make_default: bool = False
) -> Sender:
    """Add a sender that is verified already, without an email: for operators' demo and test data."""
    sender, _created = Sender.objects.get_or_create(
        account=account,
        email=email.strip().lower(),
        defaults={"name": name, "reply_to": reply_to.strip().lower()},
    )
    Sender.objects.filter(pk=sender.pk, verified_at__isnull=True).update(verified_at=timezone.now())
    sender.refresh_from_db()
    if make_default:
        set_default_sender(account, sender)
    return sender


def send_sender_verification(sender: Sender) -> None:
    """Email the sender's address a link that verifies it, in the account's language."""
    now = timezone.now()
    if sender.verified_at is not None:
        raise CampaignError(_("This sender is verified already."))
    # A conditional update, so two quick clicks send one email.
    recent = now - senders.RESEND_INTERVAL
    claimed = (
        Sender.objects.filter(pk=sender.pk)
        .filter(Q(verification_sent_at__isnull=True) | Q(verification_sent_at__lt=recent))
        .update(verification_sent_at=now)
    )
    if not claimed:
        raise CampaignError(
            _(
                "A verification email was sent less than a minute ago. Check the inbox of %(address)s."
            )
            % {"address": sender.email}
        )
    sender.verification_sent_at = now
    account = sender.account
    with translation.override(account.language or "he"):
        context = {
            "account": account.name,
            "name": sender.name,
            "address": sender.email,
            "url": senders.verification_url(sender),
            "days": senders.VERIFICATION_MAX_AGE.days,
        }
        subject = _("Confirm %(address)s as a sender for %(account)s") % context
        body = render_to_string("campaigns/email/sender_verification.txt", context)
    send_mail(subject, body, None, [sender.email])
    logger.info(
        "sender verification sent", extra={"account_id": account.pk, "sender_id": sender.pk}
    )


def verify_sender(sender: Sender) -> bool:
    """Mark the sender verified; False if it already was."""
    changed = Sender.objects.filter(pk=sender.pk, verified_at__isnull=True).update(
        verified_at=timezone.now()
    )
    sender.refresh_from_db(fields=["verified_at"])
    if changed:
        logger.info(
            "sender verified", extra={"account_id": sender.account_id, "sender_id": sender.pk}
        )
    return bool(changed)


def set_default_sender(account: Account, sender: Sender) -> None:
    """Make a verified sender the account's default, which messages without their own use."""
    if sender.account_id != account.pk or sender.verified_at is None:
        raise CampaignError(_("Only a verified sender can be the account's default."))
    from smoove import actions as account_actions

    account_actions.update_account_settings(
        account, {"default_sender_name": sender.name, "default_sender_email": sender.email}
    )


def delete_sender(account: Account, sender: Sender) -> None:
    """Delete a sender; sends and flows that use its address stop until another is chosen."""
    from smoove import actions as account_actions

    with transaction.atomic():
        Sender.objects.filter(account=account, pk=sender.pk).delete()
        if account.default_sender_email.lower() == sender.email.lower():
            account_actions.update_account_settings(account, {"default_sender_email": ""})
    logger.info("sender deleted", extra={"account_id": account.pk, "sender_id": sender.pk})


# --- Preview and test sends ------------------------------------------------------


@dataclass
class Rendered:
    subject: str
    preheader: str
    html: str
    text: str


def render_for_contact(account: Account, message: Message, contact: Contact | None) -> Rendered:
    """Render the message as one contact (or a contact with empty fields) would see it.

    Links point straight to their targets; smart buttons and the
    unsubscribe link point nowhere, because nothing was sent.
    """
    fields = targeting.field_index(account)
    compiled = compile_message(message, fields)
    if contact is not None:
        values = merge.contact_values(contact, fields)
        shown = targeting.evaluate(account, compiled.rules, [contact.pk], fields)[contact.pk]
    else:
        values = {key: "" for key in fields.specs}
        shown = [False] * len(compiled.rules)

    def link_url(index: int) -> str:
        link = compiled.links[index]
        return compiled.render_link(index, values) if link.kind == "url" else "#"

    context = RecipientContext(values=values, shown=shown, link_url=link_url, unsubscribe_url="#")
    preheader = (
        compiled.preheader.render(context.as_template_context()) if compiled.preheader else ""
    )
    return Rendered(
        subject=compiled.render_subject(context) if message.channel == Channel.EMAIL else "",
        preheader=preheader,
        html=compiled.render_html(context),
        text=compiled.render_text(context),
    )


def send_test(
    account: Account, message: Message, addresses: list[str], contact: Contact | None
) -> int:
    """Send the message as a chosen contact to addresses the marketer typed; return how many."""
    addresses = [a.strip() for a in addresses if a.strip()]
    if not addresses:
        raise CampaignError(
            _("Type at least one address."), {"to": [_("Type at least one address.")]}
        )
    if len(addresses) > MAX_TEST_ADDRESSES:
        message_text = _("A test goes to at most %(max)d addresses.") % {"max": MAX_TEST_ADDRESSES}
        raise CampaignError(message_text, {"to": [message_text]})
    rendered = render_for_contact(account, message, contact)
    sender = sender_of(message, account)
    if message.channel == Channel.EMAIL and not sender.email:
        raise CampaignError(_("Set a sender address for this message or for the account."))
    sender_problems = senders.send_problems(account, message)
    if sender_problems:
        raise CampaignError(sender_problems[0], {"sender_email": sender_problems})
    backend = backend_for(message.channel, account.pk)
    sent = 0
    try:
        backend.open()
        for address in addresses:
            backend.send(
                Outgoing(
                    to=address,
                    sender=sending._format_sender(sender.name, sender.email, message.channel),
                    subject=_("[Test] %(subject)s") % {"subject": rendered.subject},
                    text=rendered.text,
                    html=rendered.html,
                    reply_to=senders.reply_to_of(account, message, sender.email),
                )
            )
            sent += 1
    except DeliveryError as exc:
        raise CampaignError(_("The test was not sent: %(error)s") % {"error": exc}) from exc
    finally:
        backend.close()
    return sent


# --- Sends ---------------------------------------------------------------


def create_send(
    account: Account,
    message: Message,
    *,
    list_ids: list[int],
    exclude_list_ids: list[int] | None = None,
    pulse_size: int | None = None,
    pulse_interval_minutes: int = 1,
    scheduled_at: datetime.datetime | None = None,
    variants: list[dict[str, str]] | None = None,
    test_percent: int = 0,
    winner_metric: str = "opens",
    test_hours: float = 4,
) -> Send:
    """Check and start a send; the recipient queue is built by a task after commit."""
    errors: dict[str, list[str]] = {}
    if not list_ids:
        errors["list_ids"] = [_("Choose at least one list.")]
    for list_id in [*list_ids, *(exclude_list_ids or [])]:
        if not list_queries.lists_of_account(account).filter(pk=list_id).exists():
            errors.setdefault("list_ids", []).append(
                _("There is no list with the ID %(id)s.") % {"id": list_id}
            )
    if pulse_size is not None and pulse_size < 1:
        errors["pulse_size"] = [_("A pulse must have at least one recipient.")]
    if pulse_interval_minutes < 1:
        errors["pulse_interval_minutes"] = [_("The interval must be at least one minute.")]
    variants = variants or []
    if variants:
        if not 2 <= len(variants) <= 4:
            errors["variants"] = [_("An A/B test has two to four variants.")]
        if not 1 <= test_percent <= 90:
            errors["test_percent"] = [_("The test share must be between 1 and 90 percent.")]
        if winner_metric not in ("opens", "clicks"):
            errors["winner_metric"] = [_("The winner is chosen by opens or clicks.")]
        fields = targeting.field_index(account)
        for index, variant in enumerate(variants):
            subject = str(variant.get("subject") or "")
            unknown = merge.check(subject, fields)
            if unknown:
                errors.setdefault(f"variants.{index}", []).append(str(merge.MergeTagError(unknown)))
            if message.is_advertising and subject and not subject.startswith(ADVERTISING_WORD):
                errors.setdefault(f"variants.{index}", []).append(
                    _("An advertising email's subject must begin with the word “%(word)s”.")
                    % {"word": ADVERTISING_WORD}
                )
    problems = validate_message(account, message)
    for where, messages in problems.items():
        errors.setdefault(where, []).extend(messages)
    compliance = compliance_problems(account, message)
    if variants:
        for problem in senders.send_problems(account, message, variants):
            if problem not in compliance:
                compliance.append(problem)
    if compliance:
        errors["compliance"] = compliance
    if errors:
        raise CampaignError(_("The send did not start."), errors)

    from campaigns import tasks

    with transaction.atomic():
        send = Send.objects.create(
            account=account,
            message=message,
            status=SendStatus.PREPARING,
            list_ids=list(list_ids),
            exclude_list_ids=list(exclude_list_ids or []),
            pulse_size=pulse_size,
            pulse_interval_minutes=pulse_interval_minutes,
            scheduled_at=scheduled_at,
            variants=variants,
            test_percent=test_percent if variants else 0,
            winner_metric=winner_metric,
        )
        if variants:
            start = scheduled_at or timezone.now()
            send.decide_at = start + datetime.timedelta(hours=test_hours)
            send.save(update_fields=["decide_at"])
        enqueue_on_commit(tasks.prepare_send, account.pk, send.pk)
    logger.info("send created", extra={"account_id": account.pk, "send_id": send.pk})
    return send


def prepare_send(send: Send) -> None:
    """Build the recipient queue and let the tick release the first pulse."""
    if send.status != SendStatus.PREPARING:
        return
    try:
        sending.build_queue(send)
    except ConditionError as exc:
        # A dynamic list's conditions name a field deleted since the send
        # was set up: stop with the reason rather than send to a guess.
        Send.objects.filter(pk=send.pk).update(
            status=SendStatus.CANCELLED, finished_at=timezone.now(), error=str(exc)
        )
        logger.warning(
            "send stopped: list conditions failed",
            extra={"account_id": send.account_id, "send_id": send.pk, "error": str(exc)},
        )
        return
    now = timezone.now()
    scheduled = send.scheduled_at is not None and send.scheduled_at > now
    Send.objects.filter(pk=send.pk, status=SendStatus.PREPARING).update(
        status=SendStatus.SCHEDULED if scheduled else SendStatus.RUNNING,
        next_pulse_at=send.scheduled_at if scheduled else now,
        started_at=None if scheduled else now,
    )


def pause_send(account: Account, send: Send) -> None:
    """Stop releasing pulses; recipients released but not yet claimed wait again."""
    with transaction.atomic():
        changed = Send.objects.filter(
            account=account, pk=send.pk, status__in=[SendStatus.RUNNING, SendStatus.SCHEDULED]
        ).update(status=SendStatus.PAUSED)
        if not changed:
            raise CampaignError(_("Only a running or scheduled send can be paused."))
        send.recipients.filter(state="released").update(state="queued", released_at=None)


def resume_send(account: Account, send: Send) -> None:
    """Continue a paused send, after checking its sender is still verified."""
    problems = senders.send_problems(account, send.message, send.variants or None)
    if problems:
        raise CampaignError(problems[0], {"compliance": problems})
    now = timezone.now()
    changed = Send.objects.filter(account=account, pk=send.pk, status=SendStatus.PAUSED).update(
        status=SendStatus.RUNNING, next_pulse_at=now, started_at=F("started_at"), error=""
    )
    if not changed:
        raise CampaignError(_("Only a paused send can be resumed."))
    Send.objects.filter(pk=send.pk, started_at__isnull=True).update(started_at=now)


def cancel_send(account: Account, send: Send) -> None:
    """Stop a send for good; what was sent stays in its report."""
    with transaction.atomic():
        changed = Send.objects.filter(
            account=account,
            pk=send.pk,
            status__in=[
                SendStatus.PREPARING,
                SendStatus.SCHEDULED,
                SendStatus.RUNNING,
                SendStatus.PAUSED,
            ],
        ).update(status=SendStatus.CANCELLED, finished_at=timezone.now(), next_pulse_at=None)
        if not changed:
            raise CampaignError(_("This send has already finished."))
        send.recipients.filter(state__in=["queued", "released", "held"]).update(
            state="skipped", skip_reason="cancelled"
        )


def send_to_contacts(
    account: Account, message: Message, contacts: list[Contact]
) -> sending.DirectClaim:
    """Send a message to contacts outside any send, as a flow step does.

    Contacts are skipped for the same reasons as a send's recipients, and
    a contact who already received the message is never sent it again. The
    claimed deliveries go out in one background task after commit; call it
    with a batch of contacts, not once per contact.
    """
    from campaigns import tasks

    problems = validate_message(account, message)
    compliance = compliance_problems(account, message)
    if problems or compliance:
        raise CampaignError(
            _("The message cannot be sent."), {**problems, "compliance": compliance}
        )
    # NOTE: these deliveries are not counted in the provider's rate window
    # (campaigns.ratelimit), so a busy flow can add to a running pulse's rate.
    claim = sending.claim_for_contacts(
        message, [c.pk for c in contacts if c.account_id == account.pk]
    )
    if claim.claimed:
        enqueue_on_commit(tasks.deliver_claimed, account.pk, message.pk, claim.token)
    return claim


# --- Tracking, smart buttons, unsubscribe ----------------------------------------


def _delivery_by_token(
    purpose: str, token: str, count: int
) -> tuple[Delivery, tuple[int, ...]] | None:
    ids = tracking.read_token(purpose, token, count)
    if ids is None:
        return None
    delivery = (
        Delivery.objects.select_related("contact", "message", "account").filter(pk=ids[0]).first()
    )
    if delivery is None:
        return None
    return delivery, ids


def record_open(token: str, user_agent: str) -> bool:
    """Record an open; False for a forged token.

    While a drain runs, the hit goes to the Redis buffer without touching
    the database (campaigns.hit_buffer); otherwise it is written here.
    """
    if hit_buffer.is_buffering():
        ids = tracking.read_token("open", token, 1)
        if ids is None:
            return False
        if hit_buffer.push(TrackingHit.Kind.OPEN, ids[0], user_agent):
            return True
    found = _delivery_by_token("open", token, 1)
    if found is None:
        return False
    delivery, _ids = found
    _record_hit(delivery, TrackingHit.Kind.OPEN, None, "", user_agent)
    return True


@dataclass
class ClickOutcome:
    delivery: Delivery
    link: MessageLink
    redirect_url: str = ""
    # For a smart button: the thank-you text and what was done.
    thanks: str = ""
    applied: bool = False


def record_click(token: str, user_agent: str) -> ClickOutcome | None:
    """Record a click and apply a smart button's action; None for a forged or foreign link."""
    found = _delivery_by_token("click", token, 2)
    if found is None:
        return None
    delivery, ids = found
    link = MessageLink.objects.filter(pk=ids[1], message_id=delivery.message_id).first()
    if link is None:
        return None
    account = delivery.account
    if link.kind == MessageLink.Kind.TRAP:
        Delivery.objects.filter(pk=delivery.pk).update(scanner_seen_at=timezone.now())
        delivery.scanner_seen_at = timezone.now()
        _record_hit(delivery, TrackingHit.Kind.CLICK, link, "", user_agent, reason="trap_followed")
        return ClickOutcome(delivery, link)
    url = ""
    if link.kind == MessageLink.Kind.URL:
        fields = targeting.field_index(account)
        url = render_url(link.url, fields, merge.contact_values(delivery.contact, fields))
        # A plain link only redirects, so its hit may be written later. A
        # smart button acts now and a trap marks the delivery now, so theirs
        # are written in the request.
        if hit_buffer.is_buffering() and hit_buffer.push(
            TrackingHit.Kind.CLICK, delivery.pk, user_agent, link_id=link.pk, url=url
        ):
            return ClickOutcome(delivery, link, redirect_url=url)
    is_bot = _record_hit(delivery, TrackingHit.Kind.CLICK, link, url, user_agent)
    outcome = ClickOutcome(delivery, link, redirect_url=url)
    if link.kind == MessageLink.Kind.ACTION:
        outcome.thanks = link.label
        # A scanner opening every link must not act for the contact.
        if not is_bot:
            apply_smart_action(account, delivery.contact, link.action, delivery.pk)
            outcome.applied = True
    return outcome


def _record_hit(
    delivery: Delivery,
    kind: str,
    link: MessageLink | None,
    url: str,
    user_agent: str,
    reason: str = "",
) -> bool:
    """Store the hit, count it for a person, and log the contact event; return True for a scanner."""
    now = timezone.now()
    reason = reason or tracking.scanner_reason(
        kind=kind,
        user_agent=user_agent,
        sent_at=delivery.sent_at,
        scanner_seen_at=delivery.scanner_seen_at,
        now=now,
    )
    TrackingHit.objects.create(
        account_id=delivery.account_id,
        delivery=delivery,
        kind=kind,
        link=link,
        url=url[:2000],
        user_agent=user_agent[:500],
        is_bot=bool(reason),
        bot_reason=reason,
        occurred_at=now,
    )
    data: dict[str, Any] = {"message_id": delivery.message_id, "delivery_id": delivery.pk}
    if link is not None:
        data["link_id"] = link.pk
        data["url"] = url or link.url
    if reason:
        data.update({"hit": kind, "reason": reason})
        contact_actions.record_event(delivery.account, delivery.contact, "message_scanned", data)
        return True
    deliveries = Delivery.objects.filter(pk=delivery.pk)
    if kind == TrackingHit.Kind.OPEN:
        deliveries.update(open_count=F("open_count") + 1)
        deliveries.filter(opened_at__isnull=True).update(opened_at=now)
        event = "message_opened"
    else:
        # A click implies an open, even when images were blocked.
        deliveries.update(click_count=F("click_count") + 1)
        deliveries.filter(clicked_at__isnull=True).update(clicked_at=now)
        deliveries.filter(opened_at__isnull=True).update(opened_at=now)
        event = "message_clicked"
    contact_actions.record_event(delivery.account, delivery.contact, event, data)
    return False


def apply_smart_action(
    account: Account, contact: Contact, action: dict[str, Any], delivery_id: int
) -> None:
    source = f"message:{delivery_id}"
    kind = action.get("kind")
    if kind in ("add_to_list", "remove_from_list"):
        found = list_queries.lists_of_account(account).filter(pk=int(action["list_id"])).first()
        if found is None:
            logger.warning(
                "smart button list was deleted",
                extra={"account_id": account.pk, "delivery_id": delivery_id},
            )
            return
        if kind == "add_to_list":
            list_actions.add_contacts(account, found, [contact], source="smart_button")
        else:
            list_actions.remove_contacts(account, found, [contact], source="smart_button")
    elif kind == "set_field":
        contact_actions.update_contact(
            account, contact, {str(action["field"]): action.get("value", "")}, source=source
        )


def unsubscribe_target(token: str) -> Delivery | None:
    found = _delivery_by_token("unsubscribe", token, 1)
    return found[0] if found else None


def unsubscribe(delivery: Delivery, *, ip_address: str | None, one_click: bool) -> bool:
    """Suppress the contact on the delivery's channel and revoke consent; False if already done."""
    account = delivery.account
    contact = delivery.contact
    with transaction.atomic():
        created = contact_actions.suppress(
            account, contact, channel=delivery.channel, reason=SuppressionReason.UNSUBSCRIBED
        )
        if not created:
            return False
        contact_actions.record_consent(
            account,
            contact,
            channel=delivery.channel,
            status=ConsentStatus.REVOKED,
            source="unsubscribe",
            source_ref=f"message:{delivery.message_id}",
            ip_address=ip_address,
        )
        Delivery.objects.filter(pk=delivery.pk).update(unsubscribed_at=timezone.now())
        contact_actions.record_event(
            account,
            contact,
            "message_unsubscribed",
            {
                "message_id": delivery.message_id,
                "delivery_id": delivery.pk,
                "channel": delivery.channel,
                "one_click": one_click,
            },
        )
    logger.info(
        "contact unsubscribed",
        extra={"account_id": account.pk, "contact_id": contact.pk, "delivery_id": delivery.pk},
    )
    return True


def is_unsubscribed(delivery: Delivery) -> bool:
    return contact_queries.is_suppressed(delivery.contact, delivery.channel)
