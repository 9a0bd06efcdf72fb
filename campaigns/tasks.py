"""Celery tasks of campaigns: thin wrappers that load rows by id and call the engine."""

import logging

from celery import shared_task
from django.utils import timezone

from campaigns import abtest, actions, hit_buffer, queries, sending
from campaigns.models import SendStatus
from smoove import queues
from smoove.tasks_util import enqueue_on_commit

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def prepare_send(account_id: int, send_id: int) -> None:
    send = queries.find_send(account_id, send_id)
    if send is None:
        return
    actions.prepare_send(send)


@shared_task(acks_late=True)
def deliver_send(account_id: int, send_id: int) -> None:
    send = queries.find_send(account_id, send_id)
    if send is None or send.status != SendStatus.RUNNING:
        return
    sending.deliver_released(send)


@shared_task(acks_late=True)
def redeliver_send(account_id: int, send_id: int) -> None:
    send = queries.find_send(account_id, send_id)
    if send is None:
        return
    sending.redeliver(send, timezone.now())
    if send.status == SendStatus.RUNNING:
        sending.deliver_released(send)
    sending.finish_if_done(send)


@shared_task(acks_late=True)
def deliver_claimed(account_id: int, message_id: int, token: str) -> None:
    message = queries.find_message(account_id, message_id)
    if message is None:
        return
    sending.deliver_claimed(message, token)


@shared_task(acks_late=True)
def redeliver_message(account_id: int, message_id: int) -> None:
    message = queries.find_message(account_id, message_id)
    if message is None:
        return
    sending.redeliver_message(message, timezone.now())


@shared_task(acks_late=True)
def tick() -> None:
    """Start scheduled sends, release due pulses, decide A/B tests and reap stale work."""
    now = timezone.now()
    queries.start_scheduled(now)
    # Deciding first lets the winner's first pulse leave in this same tick.
    abtest.decide_due(now)
    for account_id, send_id, tasks in sending.release_due_pulses(now):
        for _number in range(tasks):
            enqueue_on_commit(deliver_send, account_id, send_id)
    for account_id, send_id in sending.reap(now):
        enqueue_on_commit(redeliver_send, account_id, send_id)
    for account_id, message_id in sending.messages_due_again(now):
        enqueue_on_commit(redeliver_message, account_id, message_id)
    for send in queries.running_sends_without_work():
        sending.finish_if_done(send)


@shared_task(queue=queues.TRACKING)
def drain_tracking() -> None:
    """Write the open and click hits buffered in Redis; the beat runs this every 2 seconds."""
    result = hit_buffer.drain()
    if result.read:
        logger.info("tracking hits drained", extra={"read": result.read, "written": result.written})
