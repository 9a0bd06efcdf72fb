"""The send engine: the recipient queue, pulses, and exactly-once delivery.

A send's recipients are rows (Recipient), built once by set-based SQL and
then released in pulses by the periodic tick. Delivery rows are unique on
(message, contact) and move claimed → sending → sent | failed | ambiguous:

- claimed: the row exists and the provider was not called, so the reaper
  may hand it to another worker when its lease runs out;
- sending: written right before the provider call, so a worker killed
  after it leaves a row the reaper turns into "ambiguous", never resent.

Every state change is a conditional UPDATE checked by its row count, so
any number of workers can run the same send.
"""

import datetime
import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from campaigns import merge, queries, ratelimit, senders, targeting, tracking
from campaigns.backends import backend_for
from campaigns.backends.base import (
    AmbiguousError,
    Backend,
    Outgoing,
    PermanentError,
    TransientError,
)
from campaigns.models import (
    Delivery,
    DeliveryStatus,
    Message,
    MessageLink,
    Recipient,
    RecipientState,
    Send,
    SendStatus,
    SkipReason,
)
from campaigns.rendering import Compiled, RecipientContext, compile_message, sender_of
from contacts import actions as contact_actions
from contacts.models import ConsentRecord, ConsentStatus, Contact, ContactEvent, Suppression
from lists import queries as list_queries

logger = logging.getLogger(__name__)

# Deliveries claimed and sent per loop of a worker. benchmarks/bench_send.py
# measured about 6.5 ms per email on one worker of a loaded 2-core machine
# (154 a second): a durable commit (about 3 ms), building the MIME message
# (about 2.4 ms) and the SMTP hand-off. A batch of 100 so takes well under
# a second, which bounds how long pause and cancel wait, while the claim
# query and the rule queries (one per rule) are spread over 100 messages.
DELIVERY_BATCH_SIZE = 100
# Worker tasks started per released pulse; each claims batches until none
# are left, so more tasks only help when more worker processes run.
MAX_PARALLEL_DELIVERY_TASKS = 4
# Attempts of a delivery the provider rejected for now, and the first wait.
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
# Sends a tick releases at most; the rest wait for the next tick.
SENDS_PER_TICK = 50
# When a channel's per-minute limit cuts a pulse short, the rest is tried
# again after this many seconds (the tick runs every 10).
RATE_LIMIT_RETRY_SECONDS = 15


@dataclass(frozen=True)
class Progress:
    total: int
    skipped: int
    queued: int
    released: int
    sent: int
    failed: int
    ambiguous: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.ambiguous

    @property
    def to_send(self) -> int:
        return self.total - self.skipped


# --- Building the queue -------------------------------------------------


def audience(send: Send) -> "Q":
    """Return a Q over Contact for the members of the send's lists."""
    selected = Q(pk__in=[])
    for list_id in send.list_ids:
        contact_list = list_queries.get_list_for_account(send.account, list_id)
        members = list_queries.members_of_list(contact_list).values("pk")
        selected |= Q(pk__in=members)
    return selected


def build_queue(send: Send) -> None:
    """Insert the send's recipients and mark those that must be skipped, with reasons."""
    account = send.account
    contacts = Contact.objects.filter(account=account).filter(audience(send)).values("pk")
    sql, params = contacts.query.sql_with_params()
    with connection.cursor() as cursor:
        # The subquery is SQL that Django built with its parameters apart.
        insert = (
            "INSERT INTO campaigns_recipient"  # noqa: S608
            " (account_id, send_id, contact_id, state, skip_reason)"
            " SELECT %s, %s, contact.id, %s, '' FROM contacts_contact contact"
            f" WHERE contact.id IN ({sql})"
            " ORDER BY contact.id ON CONFLICT DO NOTHING"
        )
        cursor.execute(
            insert,
            [account.pk, send.pk, RecipientState.QUEUED, *params],
        )
    _mark_skips(send)
    send.recipient_count = Recipient.objects.filter(send=send).count()
    send.skipped = queries.skip_counts(send)
    send.save(update_fields=["recipient_count", "skipped"])
    if send.variants:
        _assign_variants(send)


def skip_rules(message: Message, *, contact_field: str) -> list[tuple[str, Q]]:
    """Return (reason, condition) pairs, in order, for rows whose contact is contact_field.

    contact_field is "pk" for a Contact queryset and "contact_id" for a
    Recipient one. The first condition a row meets is its skip reason.
    """
    channel = message.channel
    prefix = "" if contact_field == "pk" else "contact__"
    contact = OuterRef(contact_field)
    address_field = "email" if channel == "email" else "mobile"
    rules: list[tuple[str, Q]] = [
        (SkipReason.OVER_PLAN, Q(**{f"{prefix}over_plan": True})),
        (SkipReason.NO_ADDRESS, Q(**{f"{prefix}{address_field}": ""})),
        (
            SkipReason.SUPPRESSED,
            Q(Exists(Suppression.objects.filter(contact_id=contact, channel=channel))),
        ),
    ]
    if message.is_advertising:
        latest = (
            ConsentRecord.objects.filter(contact_id=OuterRef("pk"), channel=channel)
            .order_by("-recorded_at", "-id")
            .values("status")[:1]
        )
        consented = (
            Contact.objects.filter(account_id=message.account_id)
            .annotate(consent=Subquery(latest))
            .filter(consent=ConsentStatus.GRANTED)
            .values("pk")
        )
        rules.append((SkipReason.NO_CONSENT, ~Q(**{f"{contact_field}__in": consented})))
    delivered = Delivery.objects.filter(message=message, contact_id=contact)
    rules.append((SkipReason.ALREADY_SENT, Q(Exists(delivered))))
    if channel == "whatsapp" and not message.whatsapp_content_sid:
        # Free text may start a WhatsApp conversation only within 24 hours
        # of the contact's last message to the business.
        since = timezone.now() - datetime.timedelta(hours=24)
        replied = ContactEvent.objects.filter(
            contact_id=contact, kind="whatsapp_received", occurred_at__gte=since
        )
        rules.append((SkipReason.NO_WHATSAPP_SESSION, ~Q(Exists(replied))))
    return rules


def _mark_skips(send: Send) -> None:
    """Skip recipients for the first reason that applies: exclusions, then skip_rules."""

    def skip(reason: str, condition: Q) -> None:
        Recipient.objects.filter(send=send, state=RecipientState.QUEUED).filter(condition).update(
            state=RecipientState.SKIPPED, skip_reason=reason
        )

    for list_id in send.exclude_list_ids:
        contact_list = list_queries.get_list_for_account(send.account, list_id)
        skip(
            SkipReason.EXCLUDED,
            Q(contact_id__in=list_queries.members_of_list(contact_list).values("pk")),
        )
    for reason, condition in skip_rules(send.message, contact_field="contact_id"):
        skip(reason, condition)


def _assign_variants(send: Send) -> None:
    """Put test_percent of the queue into variants, evenly, and hold the rest."""
    ids = list(
        Recipient.objects.filter(send=send, state=RecipientState.QUEUED).values_list(
            "pk", flat=True
        )
    )
    random.Random(send.pk).shuffle(ids)  # noqa: S311 - a fair split, not a secret
    test_size = len(ids) * send.test_percent // 100
    variant_count = len(send.variants)
    for variant in range(variant_count):
        chunk = ids[variant:test_size:variant_count]
        Recipient.objects.filter(pk__in=chunk).update(variant=variant)
    Recipient.objects.filter(pk__in=ids[test_size:]).update(state=RecipientState.HELD)


# --- Pulses ----------------------------------------------------------------


def release_due_pulses(now: datetime.datetime) -> list[tuple[int, int, int]]:
    """Release one pulse of each due send; return (account id, send id, tasks) to start."""
    started: list[tuple[int, int, int]] = []
    with transaction.atomic():
        due = list(
            Send.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(status=SendStatus.RUNNING, next_pulse_at__lte=now)
            .order_by("next_pulse_at")[:SENDS_PER_TICK]
        )
        for send in due:
            released = release_pulse(send, now)
            if released:
                tasks = min(MAX_PARALLEL_DELIVERY_TASKS, -(-released // DELIVERY_BATCH_SIZE))
                started.append((send.account_id, send.pk, tasks))
    return started


def release_pulse(send: Send, now: datetime.datetime) -> int:
    """Release the next pulse of queued recipients, within the channel's limits; return how many."""
    queued_count = Recipient.objects.filter(send=send, state=RecipientState.QUEUED).count()
    requested = queued_count if send.pulse_size is None else min(send.pulse_size, queued_count)
    size = ratelimit.reserve(send.message.channel, send.account_id, requested, now)
    limited = size < requested

    released = 0
    if size > 0:
        queued = Recipient.objects.filter(send=send, state=RecipientState.QUEUED)
        if size < queued_count:
            # One UPDATE with a subquery, so a pulse of 100,000 recipients
            # does not pass through Python as a list of ids.
            pulse = queued.order_by("pk").values("pk")[:size]
            queued = Recipient.objects.filter(pk__in=pulse, state=RecipientState.QUEUED)
        released = queued.update(state=RecipientState.RELEASED, released_at=now)

    remaining = queued_count - released > 0
    if remaining and limited:
        # A provider or account limit cut this pulse short: the rest of it
        # goes as soon as the limits allow, then the rhythm of pulses resumes.
        send.next_pulse_at = now + datetime.timedelta(seconds=RATE_LIMIT_RETRY_SECONDS)
    elif remaining:
        interval = datetime.timedelta(minutes=send.pulse_interval_minutes)
        # Keep the rhythm from the planned time, unless the tick ran late
        # by more than a whole interval.
        planned = (send.next_pulse_at or now) + interval
        send.next_pulse_at = planned if planned > now else now + interval
    else:
        send.next_pulse_at = None
    send.pulses_released = F("pulses_released") + (1 if released else 0)
    send.save(update_fields=["next_pulse_at", "pulses_released"])
    send.refresh_from_db(fields=["pulses_released"])
    return released


def eta(send: Send, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """Return when the last pulse of a running or scheduled send will be released."""
    now = now or timezone.now()
    queued = Recipient.objects.filter(send=send, state=RecipientState.QUEUED).count()
    return eta_for(queued, send.pulse_size, send.pulse_interval_minutes, send.next_pulse_at or now)


def eta_for(
    queued: int, pulse_size: int | None, interval_minutes: int, first_pulse_at: datetime.datetime
) -> datetime.datetime | None:
    if queued == 0:
        return None
    if not pulse_size:
        return first_pulse_at
    pulses = -(-queued // pulse_size)
    return first_pulse_at + datetime.timedelta(minutes=interval_minutes * (pulses - 1))


# --- Delivering ------------------------------------------------------------


def deliver_released(send: Send) -> int:
    """Claim and send released recipients in batches until none are left; return how many."""
    total = 0
    while True:
        send.refresh_from_db(fields=["status"])
        if send.status != SendStatus.RUNNING:
            break
        batch = claim_batch(send)
        if not batch:
            break
        total += deliver(send.message, batch)
    finish_if_done(send)
    return total


def claim_batch(send: Send) -> list[Delivery]:
    """Turn up to DELIVERY_BATCH_SIZE released recipients into claimed deliveries."""
    message = send.message
    token = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Recipient.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(send=send, state=RecipientState.RELEASED)
            .order_by("pk")
            .values_list("pk", "contact_id", "variant")[:DELIVERY_BATCH_SIZE]
        )
        if not rows:
            return []
        contacts = Contact.objects.in_bulk([contact_id for _pk, contact_id, _v in rows])
        address_field = "email" if message.channel == "email" else "mobile"
        Delivery.objects.bulk_create(
            [
                Delivery(
                    account_id=send.account_id,
                    message=message,
                    contact_id=contact_id,
                    send=send,
                    variant=variant,
                    channel=message.channel,
                    address=getattr(contacts[contact_id], address_field),
                    status=DeliveryStatus.CLAIMED,
                    claim_token=token,
                    claimed_at=now,
                )
                for _pk, contact_id, variant in rows
                if contact_id in contacts
            ],
            ignore_conflicts=True,
        )
        claimed = list(
            Delivery.objects.filter(message=message, claim_token=token).select_related("contact")
        )
        claimed_contacts = {delivery.contact_id for delivery in claimed}
        recipient_ids = [pk for pk, contact_id, _v in rows if contact_id in claimed_contacts]
        Recipient.objects.filter(pk__in=recipient_ids).update(state=RecipientState.CLAIMED)
        # A delivery of this message already existed (an automation sent it
        # meanwhile): that contact is skipped, never sent twice.
        duplicate_ids = [pk for pk, contact_id, _v in rows if contact_id not in claimed_contacts]
        if duplicate_ids:
            Recipient.objects.filter(pk__in=duplicate_ids).update(
                state=RecipientState.SKIPPED, skip_reason=SkipReason.ALREADY_SENT
            )
            store_skip_counts(send)
    return claimed


def store_skip_counts(send: Send) -> None:
    """Copy the skip counts onto the send, recounted so concurrent workers cannot lose one."""
    send.skipped = queries.skip_counts(send)
    Send.objects.filter(pk=send.pk).update(skipped=send.skipped)


@dataclass
class _Plan:
    compiled: Compiled
    link_ids: list[int]
    sender: str
    reply_to: str
    override: dict[str, str]


def _plans(
    message: Message, fields: merge.FieldIndex, variants: set[int | None], send: Send | None
) -> dict[int | None, _Plan]:
    plans: dict[int | None, _Plan] = {}
    for variant in variants:
        override = {}
        if send is not None and variant is not None and variant < len(send.variants):
            override = {k: str(v) for k, v in send.variants[variant].items() if v}
        compiled = compile_message(message, fields, subject=override.get("subject"))
        sender = sender_of(message, message.account, override)
        reply_to = ""
        if message.channel == "email":
            reply_to = senders.reply_to_of(message.account, message, sender.email)
        plans[variant] = _Plan(
            compiled=compiled,
            link_ids=register_links(message, compiled),
            sender=_format_sender(sender.name, sender.email, message.channel),
            reply_to=reply_to,
            override=override,
        )
    return plans


def _format_sender(name: str, email: str, channel: str) -> str:
    if channel != "email":
        return settings.TWILIO_SMS_FROM or name[:11]
    from email.headerregistry import Address

    return str(Address(display_name=name, addr_spec=email)) if name else email


def register_links(message: Message, compiled: Compiled) -> list[int]:
    """Store the compiled message's links and return their ids in compiled order."""
    ids = []
    for spec in compiled.links:
        link, _created = MessageLink.objects.get_or_create(
            message=message,
            digest=spec.digest,
            defaults={
                "account_id": message.account_id,
                "kind": spec.kind,
                "url": spec.url,
                "action": spec.action_dict(),
                "label": spec.label,
            },
        )
        ids.append(link.pk)
    return ids


def deliver(message: Message, deliveries: Sequence[Delivery]) -> int:
    """Render and send claimed deliveries over one backend connection; return how many sent."""
    if not deliveries:
        return 0
    account = message.account
    fields = targeting.field_index(account)
    send = deliveries[0].send
    plans = _plans(message, fields, {d.variant for d in deliveries}, send)
    sender_problems = senders.send_problems(
        account, message, [plan.override for plan in plans.values()]
    )
    if sender_problems:
        # The address was deleted or un-verified after the send started.
        _hold_for_sender(message, deliveries, send, sender_problems[0])
        return 0
    rules = next(iter(plans.values())).compiled.rules
    shown = targeting.evaluate(account, rules, [d.contact_id for d in deliveries], fields)

    backend = backend_for(message.channel, account.pk)
    try:
        backend.open()
    except TransientError as exc:
        logger.warning(
            "provider unavailable, deliveries wait for the reaper",
            extra={"account_id": account.pk, "message_id": message.pk, "error": str(exc)},
        )
        _postpone(deliveries, str(exc))
        return 0

    sent_events = []
    # The outcome of one hand-off is written in the same transaction as the
    # next delivery's "sending" mark: one commit per message instead of two.
    # A worker killed between a hand-off and that commit leaves the row
    # "sending", which the reaper makes ambiguous.
    pending: _Outcome | None = None
    try:
        for delivery in deliveries:
            plan = plans[delivery.variant]
            outgoing = _outgoing(message, delivery, plan, fields, shown[delivery.contact_id])
            marked = _record_and_mark(pending, delivery)
            pending = None
            if not marked:
                continue  # The reaper gave it to another worker.
            pending = _hand_off(backend, delivery, outgoing)
            if pending.sent:
                sent_events.append(
                    (
                        delivery.contact,
                        "message_sent",
                        {
                            "message_id": message.pk,
                            "channel": message.channel,
                            "send_id": delivery.send_id,
                            "delivery_id": delivery.pk,
                        },
                    )
                )
    finally:
        if pending is not None:
            pending.save()
        backend.close()
        contact_actions.record_events(account, sent_events)
    return len(sent_events)


def _outgoing(
    message: Message,
    delivery: Delivery,
    plan: _Plan,
    fields: merge.FieldIndex,
    shown: list[bool],
) -> Outgoing:
    values = merge.contact_values(delivery.contact, fields)
    link_ids = plan.link_ids
    context = RecipientContext(
        values=values,
        shown=shown,
        link_url=lambda index: tracking.click_url(delivery.pk, link_ids[index]),
        pixel_url=tracking.open_url(delivery.pk),
        unsubscribe_url=tracking.unsubscribe_url(delivery.pk),
    )
    compiled = plan.compiled
    if message.channel != "email":
        return Outgoing(
            to=delivery.address,
            sender=plan.sender,
            text=compiled.render_text(context),
            content_sid=message.whatsapp_content_sid,
            content_variables=compiled.render_variables(context),
            status_callback=_twilio_status_callback(),
        )
    unsubscribe = context.unsubscribe_url
    return Outgoing(
        to=delivery.address,
        sender=plan.sender,
        subject=compiled.render_subject(context),
        text=compiled.render_text(context),
        html=compiled.render_html(context),
        reply_to=plan.reply_to,
        headers={
            # RFC 8058: one-click unsubscribe by a POST to the https URL.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Smoove-Delivery": str(delivery.pk),
        },
    )


def _twilio_status_callback() -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("campaigns_public:twilio_status")


def _record_and_mark(pending: "_Outcome | None", delivery: Delivery) -> bool:
    """Write the previous hand-off's outcome and mark the next delivery sending, atomically.

    On PostgreSQL both UPDATEs go in one round trip, which PostgreSQL runs
    as one implicit transaction. That saves the BEGIN and COMMIT round
    trips of an atomic block, about a tenth of a message's cost.
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            if pending is not None:
                pending.save()
            return _mark_sending(delivery)

    table = Delivery._meta.db_table
    statements: list[str] = []
    params: list[Any] = []
    if pending is not None:
        columns = ", ".join(f"{name} = %s" for name in pending.changes)
        statements.append(f"UPDATE {table} SET {columns} WHERE id = %s AND status = %s")  # noqa: S608 - column names from code
        params += [*pending.changes.values(), pending.delivery_id, DeliveryStatus.SENDING]
    statements.append(
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, claimed_at = %s"  # noqa: S608 - the table name from the model
        " WHERE id = %s AND status = %s AND claim_token = %s"
    )
    params += [
        DeliveryStatus.SENDING,
        timezone.now(),
        delivery.pk,
        DeliveryStatus.CLAIMED,
        delivery.claim_token,
    ]
    with connection.cursor() as cursor:
        cursor.execute("; ".join(statements), params)
        if pending is not None:
            cursor.nextset()
        marked = cursor.rowcount == 1
    if marked:
        delivery.attempts += 1
    return marked


def _mark_sending(delivery: Delivery) -> bool:
    """Mark the delivery sending if this worker's claim still holds; False if not."""
    mine = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.CLAIMED, claim_token=delivery.claim_token
    )
    # The lease of a "sending" row counts from this mark, so a slow batch
    # does not turn the message in flight ambiguous.
    marked = mine.update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
    )
    if marked:
        delivery.attempts += 1
    return bool(marked)


@dataclass
class _Outcome:
    """The result of one provider call, written to its delivery row by save()."""

    delivery_id: int
    changes: dict[str, object]

    @property
    def sent(self) -> bool:
        return self.changes.get("status") == DeliveryStatus.SENT

    def save(self) -> None:
        Delivery.objects.filter(pk=self.delivery_id, status=DeliveryStatus.SENDING).update(
            **self.changes
        )


def _hand_off(backend: Backend, delivery: Delivery, outgoing: Outgoing) -> _Outcome:
    """Call the provider for a delivery marked sending and return the outcome to record."""
    log_ids = {"account_id": delivery.account_id, "delivery_id": delivery.pk}
    try:
        provider_id = backend.send(outgoing)
    except TransientError as exc:
        logger.warning(
            "delivery rejected for now, retry scheduled", extra={**log_ids, "error": str(exc)}
        )
        if delivery.attempts >= MAX_ATTEMPTS:
            return _Outcome(
                delivery.pk, {"status": DeliveryStatus.FAILED, "error": str(exc)[:1000]}
            )
        wait = RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
        return _Outcome(
            delivery.pk,
            {
                "status": DeliveryStatus.CLAIMED,
                "retry_at": timezone.now() + datetime.timedelta(seconds=wait),
                "error": str(exc)[:1000],
            },
        )
    except PermanentError as exc:
        logger.warning("delivery rejected", extra={**log_ids, "error": str(exc)})
        return _Outcome(delivery.pk, {"status": DeliveryStatus.FAILED, "error": str(exc)[:1000]})
    except AmbiguousError as exc:
        logger.warning("delivery outcome unknown", extra={**log_ids, "error": str(exc)})
        return _Outcome(delivery.pk, {"status": DeliveryStatus.AMBIGUOUS, "error": str(exc)[:1000]})
    return _Outcome(
        delivery.pk,
        {
            "status": DeliveryStatus.SENT,
            "sent_at": timezone.now(),
            "provider_id": provider_id[:200],
        },
    )


def _hold_for_sender(
    message: Message, deliveries: Sequence[Delivery], send: Send | None, problem: str
) -> None:
    """Keep claimed deliveries from leaving from an address that is no longer verified.

    A send's deliveries are undone (no provider saw them) and their
    recipients wait again, while the send pauses with the reason, so it
    can resume once a verified sender is chosen. Deliveries outside sends
    (a flow's) fail with the reason.
    """
    log_ids = {"account_id": message.account_id, "message_id": message.pk}
    with transaction.atomic():
        by_token: dict[str, list[int]] = {}
        for delivery in deliveries:
            by_token.setdefault(delivery.claim_token, []).append(delivery.pk)
        mine = Q(pk__in=[])
        for token, ids in by_token.items():
            mine |= Q(pk__in=ids, claim_token=token)
        held = Delivery.objects.filter(mine, status=DeliveryStatus.CLAIMED)
        if send is None:
            held.update(status=DeliveryStatus.FAILED, error=problem[:1000])
            logger.warning("deliveries failed: sender not verified", extra=log_ids)
            return
        contact_ids = list(held.values_list("contact_id", flat=True))
        held.delete()
        Recipient.objects.filter(
            send=send, contact_id__in=contact_ids, state=RecipientState.CLAIMED
        ).update(state=RecipientState.QUEUED, released_at=None)
        Recipient.objects.filter(send=send, state=RecipientState.RELEASED).update(
            state=RecipientState.QUEUED, released_at=None
        )
        Send.objects.filter(pk=send.pk, status=SendStatus.RUNNING).update(
            status=SendStatus.PAUSED, error=problem
        )
    logger.warning("send paused: sender not verified", extra={**log_ids, "send_id": send.pk})


def _postpone(deliveries: Sequence[Delivery], error: str) -> None:
    retry_at = timezone.now() + datetime.timedelta(seconds=RETRY_BASE_SECONDS)
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], status=DeliveryStatus.CLAIMED
    ).update(retry_at=retry_at, error=error[:1000])


def finish_if_done(send: Send) -> bool:
    """Mark a running send done when nothing of it waits or is in flight."""
    waiting = Recipient.objects.filter(
        send=send,
        state__in=[RecipientState.QUEUED, RecipientState.HELD, RecipientState.RELEASED],
    ).exists()
    in_flight = Delivery.objects.filter(
        send=send, status__in=[DeliveryStatus.CLAIMED, DeliveryStatus.SENDING]
    ).exists()
    if waiting or in_flight:
        return False
    return bool(
        Send.objects.filter(pk=send.pk, status=SendStatus.RUNNING).update(
            status=SendStatus.DONE, finished_at=timezone.now(), next_pulse_at=None
        )
    )


# --- The reaper ------------------------------------------------------------


def reap(now: datetime.datetime) -> list[tuple[int, int]]:
    """Recover work a dead worker left behind; return (account id, send id) to deliver.

    1. A delivery left "sending" past the lease is ambiguous: counted and
       shown, never resent.
    2. A delivery left "claimed" past the lease, or due for a retry, gets a
       new claim token and is sent again: the provider never had it.
    3. Released recipients that no worker claimed (their task was lost)
       are picked up by a new task.
    """
    lease = datetime.timedelta(seconds=settings.CAMPAIGNS_CLAIM_LEASE_SECONDS)
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - lease)
    ambiguous = stale.update(
        status=DeliveryStatus.AMBIGUOUS, error="The worker stopped during the provider call."
    )
    if ambiguous:
        logger.warning("deliveries marked ambiguous", extra={"count": ambiguous})

    retry = Delivery.objects.filter(status=DeliveryStatus.CLAIMED).filter(
        Q(retry_at__lte=now) | Q(retry_at__isnull=True, claimed_at__lt=now - lease)
    )
    sends = set(
        retry.filter(send__isnull=False).values_list("account_id", "send_id").distinct()[:1000]
    )
    released = (
        Recipient.objects.filter(
            state=RecipientState.RELEASED,
            released_at__lt=now - lease,
            send__status=SendStatus.RUNNING,
        )
        .values_list("account_id", "send_id")
        .distinct()
    )
    sends.update(released)
    return sorted(sends)


def _due_again(now: datetime.datetime) -> Q:
    lease = datetime.timedelta(seconds=settings.CAMPAIGNS_CLAIM_LEASE_SECONDS)
    return Q(status=DeliveryStatus.CLAIMED) & (
        Q(retry_at__lte=now) | Q(retry_at__isnull=True, claimed_at__lt=now - lease)
    )


def _redeliver(message: Message, due: "models.QuerySet[Delivery]", now: datetime.datetime) -> int:
    token = uuid.uuid4().hex
    ids = list(due.values_list("pk", flat=True)[:DELIVERY_BATCH_SIZE])
    Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.CLAIMED).update(
        claim_token=token, claimed_at=now, retry_at=None
    )
    again = list(
        Delivery.objects.filter(pk__in=ids, claim_token=token).select_related("contact", "send")
    )
    return deliver(message, again)


def redeliver(send: Send, now: datetime.datetime) -> int:
    """Send the send's claimed deliveries that are due again, under a new claim token."""
    due = Delivery.objects.filter(send=send).filter(_due_again(now))
    return _redeliver(send.message, due, now)


def messages_due_again(now: datetime.datetime) -> list[tuple[int, int]]:
    """Return (account id, message id) of deliveries outside sends that are due again."""
    due = Delivery.objects.filter(send__isnull=True).filter(_due_again(now))
    return sorted(set(due.values_list("account_id", "message_id").distinct()[:1000]))


def redeliver_message(message: Message, now: datetime.datetime) -> int:
    """Send a message's deliveries outside sends (a flow's) that are due again."""
    due = Delivery.objects.filter(message=message, send__isnull=True).filter(_due_again(now))
    return _redeliver(message, due, now)


# --- Deliveries outside sends (automation steps) ---------------------------


@dataclass(frozen=True)
class DirectClaim:
    """Deliveries claimed for contacts outside any send, and who was skipped, by reason."""

    token: str
    claimed: int
    skipped: dict[str, int]


def claim_for_contacts(message: Message, contact_ids: Sequence[int]) -> DirectClaim:
    """Claim deliveries of the message for those contacts that may receive it.

    The contacts are checked exactly as a send's recipients are (skip_rules).
    Deliveries are claimed with one token, for deliver_claimed to send.
    """
    account_id = message.account_id
    candidates = Contact.objects.filter(account_id=account_id, pk__in=list(contact_ids))
    remaining = set(candidates.values_list("pk", flat=True))
    skipped: dict[str, int] = {}
    for reason, condition in skip_rules(message, contact_field="pk"):
        hit = set(
            candidates.filter(pk__in=remaining).filter(condition).values_list("pk", flat=True)
        )
        if hit:
            skipped[reason] = len(hit)
            remaining -= hit
    token = uuid.uuid4().hex
    contacts = Contact.objects.in_bulk(list(remaining))
    address_field = "email" if message.channel == "email" else "mobile"
    Delivery.objects.bulk_create(
        [
            Delivery(
                account_id=account_id,
                message=message,
                contact=contact,
                channel=message.channel,
                address=getattr(contact, address_field),
                status=DeliveryStatus.CLAIMED,
                claim_token=token,
            )
            for contact in contacts.values()
        ],
        ignore_conflicts=True,
    )
    claimed = Delivery.objects.filter(message=message, claim_token=token).count()
    if claimed < len(remaining):
        skipped[SkipReason.ALREADY_SENT] = (
            skipped.get(SkipReason.ALREADY_SENT, 0) + len(remaining) - claimed
        )
    return DirectClaim(token=token, claimed=claimed, skipped=skipped)


def deliver_claimed(message: Message, token: str) -> int:
    """Send the deliveries claimed under token, in batches; return how many were sent."""
    sent = 0
    claimed = Delivery.objects.filter(
        message=message, claim_token=token, status=DeliveryStatus.CLAIMED
    ).select_related("contact", "send")
    ids = list(claimed.values_list("pk", flat=True))
    for start in range(0, len(ids), DELIVERY_BATCH_SIZE):
        batch = list(claimed.filter(pk__in=ids[start : start + DELIVERY_BATCH_SIZE]))
        sent += deliver(message, batch)
    return sent


def progress(send: Send) -> Progress:
    states = dict(
        Recipient.objects.filter(send=send)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    statuses = dict(
        Delivery.objects.filter(send=send)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return Progress(
        total=sum(states.values()),
        skipped=states.get(RecipientState.SKIPPED, 0),
        queued=states.get(RecipientState.QUEUED, 0) + states.get(RecipientState.HELD, 0),
        released=states.get(RecipientState.RELEASED, 0),
        sent=statuses.get(DeliveryStatus.SENT, 0),
        failed=statuses.get(DeliveryStatus.FAILED, 0),
        ambiguous=statuses.get(DeliveryStatus.AMBIGUOUS, 0),
    )
