"""Open and click hits buffered in a Redis stream and written to the database in batches.

The open pixel and link redirects are the busiest public URLs: one newsletter
brings tens of thousands of hits within hours. With Redis, the request only
appends the hit to a stream, and the pixel touches no database at all. The
periodic drain task reads the stream with a consumer group. It writes the
hits, the contact events and the delivery counters of a whole batch in one
transaction.

Hits are buffered only while a drain is known to run: each drain refreshes a
heartbeat key, and without it (no beat process, embedded mode without
Redis) the request writes the hit itself, as before. A drain that dies
leaves its entries pending in the group, and the next drain claims them
after CLAIM_IDLE. The stream entry id stored on each TrackingHit keeps a
batch that had committed from being written twice.
"""

import datetime
import logging
import os
import socket
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns import tracking
from campaigns.models import Delivery, MessageLink, TrackingHit
from contacts import actions as contact_actions

logger = logging.getLogger(__name__)

STREAM_KEY = "smoove:campaigns:hits"
GROUP = "drain"
HEARTBEAT_KEY = "smoove:campaigns:hits:drainer"
# The beat runs the drain every 2 seconds; after this long without one,
# requests write hits themselves rather than let them pile up.
HEARTBEAT_SECONDS = 10
# Hits written per transaction. A batch costs one bulk insert of hits, one
# of events and one UPDATE per delivery touched.
BATCH_SIZE = 1000
# Batches per run, so one drain task does not hold its worker for long.
MAX_BATCHES_PER_RUN = 20
# An entry a drain read but never acknowledged is taken over after this long.
CLAIM_IDLE = datetime.timedelta(minutes=1)

_client_lock = threading.Lock()
_clients: dict[str, Any] = {}


def _redis() -> Any:
    import redis

    url = settings.REDIS_URL
    with _client_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)
        return _clients[url]


def is_buffering() -> bool:
    """Return True when hits should go to Redis: there is Redis and a drain ran lately."""
    import redis

    if not settings.REDIS_URL:
        return False
    try:
        return bool(_redis().exists(HEARTBEAT_KEY))
    except redis.RedisError:
        # A pixel or a redirect must not fail because Redis does: the request
        # writes the hit itself instead.
        logger.warning("Tracking buffer unavailable; writing hits in the request", exc_info=True)
        return False


def push(
    kind: str, delivery_id: int, user_agent: str, *, link_id: int | None = None, url: str = ""
) -> bool:
    """Append one hit to the stream, stamped with the time of the request.

    Return False when Redis fails, so that the caller writes the hit itself.
    """
    import redis

    fields = {
        "kind": kind,
        "delivery": str(delivery_id),
        "agent": user_agent[:500],
        "at": timezone.now().isoformat(),
    }
    if link_id is not None:
        fields["link"] = str(link_id)
        fields["url"] = url[:2000]
    try:
        _redis().xadd(STREAM_KEY, fields)
    except redis.RedisError:
        logger.warning(
            "Tracking buffer unavailable; writing the hit in the request",
            extra={"delivery_id": delivery_id},
            exc_info=True,
        )
        return False
    return True


@dataclass
class DrainResult:
    read: int = 0
    written: int = 0


def drain(max_batches: int = MAX_BATCHES_PER_RUN) -> DrainResult:
    """Write buffered hits in batches; refresh the heartbeat first so requests keep buffering."""
    result = DrainResult()
    if not settings.REDIS_URL:
        return result
    client = _redis()
    _ensure_group(client)
    consumer = f"{socket.gethostname()}-{os.getpid()}"
    for _batch in range(max_batches):
        # Refreshed per batch too: a long drain must not let requests stop
        # buffering while it still runs.
        client.set(HEARTBEAT_KEY, "1", ex=HEARTBEAT_SECONDS)
        entries = _claim_stale(client, consumer) or _read_new(client, consumer)
        if not entries:
            break
        result.read += len(entries)
        # NOTE: a batch whose write always fails is claimed again every
        # CLAIM_IDLE with no attempt limit, so its good hits wait too. A
        # per-entry retry after a few attempts would isolate the bad one.
        result.written += write_batch(entries)
        ids = [entry_id for entry_id, _fields in entries]
        client.xack(STREAM_KEY, GROUP, *ids)
        client.xdel(STREAM_KEY, *ids)
    return result


def _ensure_group(client: Any) -> None:
    import redis

    try:
        client.xgroup_create(STREAM_KEY, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _read_new(client: Any, consumer: str) -> list[tuple[str, dict[str, str]]]:
    found = client.xreadgroup(GROUP, consumer, {STREAM_KEY: ">"}, count=BATCH_SIZE)
    return list(found[0][1]) if found else []


def _claim_stale(client: Any, consumer: str) -> list[tuple[str, dict[str, str]]]:
    idle_ms = int(CLAIM_IDLE.total_seconds() * 1000)
    claimed = client.xautoclaim(STREAM_KEY, GROUP, consumer, idle_ms, "0-0", count=BATCH_SIZE)
    # Entries deleted meanwhile come back with no fields.
    return [(entry_id, fields) for entry_id, fields in claimed[1] if fields]


def write_batch(entries: list[tuple[str, dict[str, str]]]) -> int:
    """Write stream entries as hits, events and counters in one transaction; return how many."""
    with transaction.atomic():
        done = set(
            TrackingHit.objects.filter(
                queue_id__in=[entry_id for entry_id, _fields in entries]
            ).values_list("queue_id", flat=True)
        )
        fresh = [(entry_id, fields) for entry_id, fields in entries if entry_id not in done]
        delivery_ids = {int(fields["delivery"]) for _id, fields in fresh}
        deliveries = Delivery.objects.select_related("contact", "account").in_bulk(delivery_ids)
        link_ids = {int(fields["link"]) for _id, fields in fresh if fields.get("link")}
        links = MessageLink.objects.in_bulk(link_ids)

        hits: list[TrackingHit] = []
        events: dict[int, list[tuple[Any, str, dict[str, Any]]]] = defaultdict(list)
        event_times: dict[int, list[datetime.datetime]] = defaultdict(list)
        counts: dict[int, _Counts] = defaultdict(_Counts)
        for entry_id, fields in fresh:
            delivery = deliveries.get(int(fields["delivery"]))
            if delivery is None:
                continue  # Deleted with its message since the hit.
            link = links.get(int(fields["link"])) if fields.get("link") else None
            if link is not None and link.message_id != delivery.message_id:
                continue
            hit, event = _hit_and_event(entry_id, fields, delivery, link)
            hits.append(hit)
            events[delivery.account_id].append((delivery.contact, event[0], event[1]))
            event_times[delivery.account_id].append(hit.occurred_at)
            if not hit.is_bot:
                counts[delivery.pk].add(hit.kind, hit.occurred_at)

        TrackingHit.objects.bulk_create(hits, batch_size=BATCH_SIZE)
        for delivery_id, delivery_counts in counts.items():
            delivery_counts.apply(delivery_id)
        for account_id, items in events.items():
            account = next(d.account for d in deliveries.values() if d.account_id == account_id)
            contact_actions.record_events(account, items, occurred_at=event_times[account_id])
    return len(hits)


def _hit_and_event(
    entry_id: str, fields: dict[str, str], delivery: Delivery, link: MessageLink | None
) -> tuple[TrackingHit, tuple[str, dict[str, Any]]]:
    kind = fields["kind"]
    occurred_at = datetime.datetime.fromisoformat(fields["at"])
    url = fields.get("url", "")
    reason = tracking.scanner_reason(
        kind=kind,
        user_agent=fields.get("agent", ""),
        sent_at=delivery.sent_at,
        scanner_seen_at=delivery.scanner_seen_at,
        now=occurred_at,
    )
    hit = TrackingHit(
        account_id=delivery.account_id,
        delivery=delivery,
        kind=kind,
        link=link,
        url=url,
        user_agent=fields.get("agent", ""),
        is_bot=bool(reason),
        bot_reason=reason,
        occurred_at=occurred_at,
        queue_id=entry_id,
    )
    data: dict[str, Any] = {"message_id": delivery.message_id, "delivery_id": delivery.pk}
    if link is not None:
        data["link_id"] = link.pk
        data["url"] = url or link.url
    if reason:
        data.update({"hit": kind, "reason": reason})
        return hit, ("message_scanned", data)
    return hit, ("message_opened" if kind == TrackingHit.Kind.OPEN else "message_clicked", data)


@dataclass
class _Counts:
    opens: int = 0
    clicks: int = 0
    first_open: datetime.datetime | None = None
    first_click: datetime.datetime | None = None

    def add(self, kind: str, at: datetime.datetime) -> None:
        # A click implies an open, even when images were blocked.
        self.first_open = min(self.first_open or at, at)
        if kind == TrackingHit.Kind.OPEN:
            self.opens += 1
        else:
            self.clicks += 1
            self.first_click = min(self.first_click or at, at)

    def apply(self, delivery_id: int) -> None:
        deliveries = Delivery.objects.filter(pk=delivery_id)
        deliveries.update(
            open_count=F("open_count") + self.opens, click_count=F("click_count") + self.clicks
        )
        deliveries.filter(opened_at__isnull=True).update(opened_at=self.first_open)
        if self.first_click is not None:
            deliveries.filter(clicked_at__isnull=True).update(clicked_at=self.first_click)


def reset() -> None:
    """Drop the heartbeat and every buffered hit; tests call this between cases."""
    if settings.REDIS_URL:
        _redis().delete(HEARTBEAT_KEY, STREAM_KEY)
