"""Celery tasks of the flow engine: thin wrappers around automation.engine."""

import threading
import time

import redis
from celery import shared_task
from django.conf import settings
from django.db import transaction

from automation import engine

# Set while a kicked tick waits in the queue. Events recorded meanwhile
# queue no other, because that tick has not started and will read them.
# The key expires in case the tick is lost, and the beat's tick covers that.
KICK_PENDING_KEY = "automation:tick:kick-pending"
KICK_PENDING_MS = 5000
# Like the beat's tick: a kicked tick that waited longer is dropped.
KICK_EXPIRES_SECONDS = 3
# Without Redis (the embedded mode, one worker) kicks are only spaced out.
EMBEDDED_KICK_INTERVAL_SECONDS = 0.5

_client: redis.Redis | None = None
_client_lock = threading.Lock()
_last_kick = 0.0


# Claim batches one tick task runs before it queues its continuation. Each
# batch of a big flow queues one delivery task, and a worker takes tasks
# from its queues in turn. A short tick therefore lets deliveries keep up,
# and a form's email does not wait behind every delivery of a long tick.
TICK_BATCHES = 2


@shared_task
def tick() -> None:
    """Match new events, fire date triggers and advance due enrollments."""
    if engine.run_tick(max_batches=TICK_BATCHES):
        # A backlog: continue at once instead of waiting for the next beat.
        tick.apply_async()


@shared_task(expires=KICK_EXPIRES_SECONDS)
def kicked_tick() -> None:
    """Run a tick now because events were recorded, rather than at the next beat."""
    client = _redis()
    if client is not None:
        # Deleted before reading events, so an event committed after this
        # point queues a new tick.
        client.delete(KICK_PENDING_KEY)
    tick()


def kick_tick() -> None:
    """Queue a tick once the current transaction commits, unless one is queued already.

    Called whenever contact events are recorded, so a submitted form reaches
    its flow within a fraction of a second instead of at the next beat. The
    setting AUTOMATION_KICK_TICKS (on unless set) lets tests that move the
    engine's clock themselves keep ticks to their own.
    """
    if getattr(settings, "AUTOMATION_KICK_TICKS", True):
        # Not enqueue_on_commit: whether to queue is decided after commit.
        transaction.on_commit(_kick)


def _kick() -> None:
    if _claim_kick():
        kicked_tick.apply_async()


def _claim_kick() -> bool:
    """Return True when no kicked tick is waiting, marking that one is now."""
    global _last_kick
    client = _redis()
    if client is None:
        now = time.monotonic()
        if now - _last_kick < EMBEDDED_KICK_INTERVAL_SECONDS:
            return False
        _last_kick = now
        return True
    try:
        return bool(client.set(KICK_PENDING_KEY, 1, px=KICK_PENDING_MS, nx=True))
    except redis.RedisError:
        return False  # the beat's tick still comes


def _redis() -> redis.Redis | None:
    global _client
    if not settings.REDIS_URL:
        return None
    with _client_lock:
        if _client is None:
            _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _client
