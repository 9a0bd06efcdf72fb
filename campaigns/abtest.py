"""A/B tests: after the test time, the variant with more opens (or clicks) goes to the rest."""

import datetime
import logging

from django.db import transaction
from django.db.models import Count, Q

from campaigns.models import Delivery, Recipient, RecipientState, Send, SendStatus

logger = logging.getLogger(__name__)


def winner_of(send: Send) -> int:
    """Return the variant index with the most people's opens or clicks; ties go to the first."""
    field = "opened_at" if send.winner_metric == "opens" else "clicked_at"
    scores = dict(
        Delivery.objects.filter(send=send, variant__isnull=False)
        .values_list("variant")
        .annotate(n=Count("id", filter=Q(**{f"{field}__isnull": False})))
        .values_list("variant", "n")
    )
    return max(range(len(send.variants)), key=lambda index: (scores.get(index, 0), -index))


def decide_due(now: datetime.datetime) -> list[int]:
    """Choose the winner of every test whose time came and queue the rest for it."""
    decided = []
    with transaction.atomic():
        due = (
            Send.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[SendStatus.RUNNING, SendStatus.PAUSED],
                decide_at__lte=now,
                winner_variant__isnull=True,
            )
            .exclude(variants=[])
        )
        for send in due:
            decide(send, now)
            decided.append(send.pk)
    return decided


def decide(send: Send, now: datetime.datetime) -> int:
    winner = winner_of(send)
    Recipient.objects.filter(send=send, state=RecipientState.HELD).update(
        state=RecipientState.QUEUED, variant=winner
    )
    send.winner_variant = winner
    send.next_pulse_at = now if send.status == SendStatus.RUNNING else send.next_pulse_at
    send.save(update_fields=["winner_variant", "next_pulse_at"])
    logger.info(
        "a/b test decided",
        extra={"account_id": send.account_id, "send_id": send.pk, "variant": winner},
    )
    return winner
