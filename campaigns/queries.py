"""Reads of messages, sends, deliveries and the outbox, scoped to an account."""

import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from campaigns.models import (
    Delivery,
    DeliveryStatus,
    Message,
    OutboxMessage,
    Recipient,
    RecipientState,
    Send,
    Sender,
    SendStatus,
    TrackingHit,
)
from smoove.models import Account


def messages_of_account(account: Account) -> QuerySet[Message]:
    return Message.objects.filter(account=account)


def flow_sent_counts(account: Account, message_ids: list[int]) -> dict[int, int]:
    """Return how many contacts flows sent each message to, by message id."""
    rows = (
        Delivery.objects.filter(
            account=account,
            message_id__in=message_ids,
            send__isnull=True,
            status=DeliveryStatus.SENT,
        )
        .values("message_id")
        .annotate(count=Count("id"))
    )
    return {row["message_id"]: row["count"] for row in rows}


def get_message_for_account(account: Account, pk: int | str) -> Message:
    found = Message.objects.filter(account=account, pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404("Message not found.")
    return found


def senders_of_account(account: Account) -> QuerySet[Sender]:
    return Sender.objects.filter(account=account).order_by("email")


def get_sender_for_account(account: Account, pk: int | str) -> Sender:
    found = Sender.objects.filter(account=account, pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404("Sender not found.")
    return found


def sends_of_message(message: Message) -> QuerySet[Send]:
    return Send.objects.filter(account_id=message.account_id, message=message)


def get_send_for_account(account: Account, pk: int | str) -> Send:
    found = (
        Send.objects.select_related("message").filter(account=account, pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        raise Http404("Send not found.")
    return found


def find_send(account_id: int, send_id: int) -> Send | None:
    """Return the send for a task, or None when it was deleted meanwhile."""
    return (
        Send.objects.select_related("message", "message__account", "account")
        .filter(account_id=account_id, pk=send_id)
        .first()
    )


def find_message(account_id: int, message_id: int) -> Message | None:
    """Return the message for a task, or None when it was deleted meanwhile."""
    return (
        Message.objects.select_related("account")
        .filter(account_id=account_id, pk=message_id)
        .first()
    )


def start_scheduled(now: datetime.datetime) -> int:
    """Turn scheduled sends whose time came into running ones; return how many."""
    return Send.objects.filter(status=SendStatus.SCHEDULED, scheduled_at__lte=now).update(
        status=SendStatus.RUNNING, next_pulse_at=now, started_at=now
    )


def running_sends_without_work() -> QuerySet[Send]:
    """Return running sends with nothing queued or in flight, which the tick closes."""
    return (
        Send.objects.filter(status=SendStatus.RUNNING, next_pulse_at__isnull=True)
        .exclude(
            Q(
                recipients__state__in=[
                    RecipientState.QUEUED,
                    RecipientState.HELD,
                    RecipientState.RELEASED,
                ]
            )
        )
        .distinct()[:100]
    )


def outbox_of_account(account: Account) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(account=account)


def get_outbox_message_for_account(account: Account, pk: int | str) -> OutboxMessage:
    found = (
        OutboxMessage.objects.filter(account=account, pk=pk).first() if str(pk).isdigit() else None
    )
    if found is None:
        raise Http404("Outbox message not found.")
    return found


def skip_counts(send: Send) -> dict[str, int]:
    """Return how many of the send's recipients were skipped, by reason, from the rows."""
    return dict(
        Recipient.objects.filter(send=send, state=RecipientState.SKIPPED)
        .values_list("skip_reason")
        .annotate(n=Count("id"))
        .values_list("skip_reason", "n")
    )


def report(send: Send) -> dict[str, object]:
    """Return the numbers of a send's report; people's opens and clicks exclude scanners."""
    deliveries = Delivery.objects.filter(send=send)
    totals = deliveries.aggregate(
        sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
        failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
        ambiguous=Count("id", filter=Q(status=DeliveryStatus.AMBIGUOUS)),
        delivered=Count("id", filter=Q(delivered_at__isnull=False)),
        bounced=Count("id", filter=Q(bounced_at__isnull=False)),
        complained=Count("id", filter=Q(complained_at__isnull=False)),
        unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
        unique_opens=Count("id", filter=Q(opened_at__isnull=False)),
        unique_clicks=Count("id", filter=Q(clicked_at__isnull=False)),
    )
    hits = TrackingHit.objects.filter(delivery__send=send, is_bot=False)
    totals["total_opens"] = hits.filter(kind=TrackingHit.Kind.OPEN).count()
    totals["total_clicks"] = hits.filter(kind=TrackingHit.Kind.CLICK).count()
    totals["scanner_hits"] = TrackingHit.objects.filter(delivery__send=send, is_bot=True).count()
    totals["recipients"] = send.recipient_count
    totals["skipped"] = skip_counts(send)
    totals["links"] = list(
        hits.filter(kind=TrackingHit.Kind.CLICK, link__isnull=False)
        .values("link_id", "link__url", "link__label", "link__kind")
        .annotate(total=Count("id"), unique=Count("delivery", distinct=True))
        .order_by("-unique")
    )
    return totals


def variant_report(send: Send) -> list[dict[str, object]]:
    rows = []
    for index, variant in enumerate(send.variants or []):
        deliveries = Delivery.objects.filter(send=send, variant=index)
        counts = deliveries.aggregate(
            sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
            unique_opens=Count("id", filter=Q(opened_at__isnull=False)),
            unique_clicks=Count("id", filter=Q(clicked_at__isnull=False)),
        )
        rows.append({"index": index, "variant": variant, **counts})
    return rows


# The contacts behind each number of a report, as Delivery filters.
SEGMENTS: dict[str, Q] = {
    "sent": Q(status=DeliveryStatus.SENT),
    "failed": Q(status=DeliveryStatus.FAILED),
    "ambiguous": Q(status=DeliveryStatus.AMBIGUOUS),
    "delivered": Q(delivered_at__isnull=False),
    "bounced": Q(bounced_at__isnull=False),
    "complained": Q(complained_at__isnull=False),
    "unsubscribed": Q(unsubscribed_at__isnull=False),
    "opened": Q(opened_at__isnull=False),
    "not_opened": Q(status=DeliveryStatus.SENT, opened_at__isnull=True),
    "clicked": Q(clicked_at__isnull=False),
    "not_clicked": Q(status=DeliveryStatus.SENT, clicked_at__isnull=True),
}


def deliveries_in_segment(send: Send, segment: str) -> QuerySet[Delivery]:
    if segment not in SEGMENTS:
        raise Http404("Unknown report segment.")
    return (
        Delivery.objects.filter(send=send)
        .filter(SEGMENTS[segment])
        .select_related("contact")
        .order_by("contact_id")
    )


def skipped_recipients(send: Send, reason: str) -> QuerySet[Recipient]:
    return (
        Recipient.objects.filter(send=send, state=RecipientState.SKIPPED, skip_reason=reason)
        .select_related("contact")
        .order_by("contact_id")
    )
