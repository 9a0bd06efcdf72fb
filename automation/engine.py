"""The flow engine: events become enrollments, and a tick advances due enrollments.

1. match_events reads the contact event log past a cursor and enrolls
   contacts whose events fire an active flow's trigger. It also ends waits
   that an event of the awaited kind cuts short.
2. fire_date_triggers enrolls contacts of date triggers whose time of day
   has come in the account's zone, once per trigger and day.
3. advance_due claims due enrollments with SELECT ... FOR UPDATE SKIP
   LOCKED and walks each through its graph until a wait, an exit or the end.
   A step's effect, its StepRecord and the enrollment's new position commit
   in one transaction, so a step never runs twice; sends are gathered per
   message and handed to campaigns in one call per batch.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from automation import graph as graphs
from automation import queries
from automation.models import (
    RUNNABLE_STATES,
    DateTriggerRun,
    Enrollment,
    EnrollmentState,
    Flow,
    FlowState,
    FlowVersion,
    ReentryPolicy,
    StepRecord,
    TriggerCursor,
)
from automation.nodes import REGISTRY, Category
from automation.nodes.base import NEXT, Step, StepError, TransientStepError
from automation.nodes.date_reached import Node as DateTrigger
from campaigns import actions as campaign_actions
from campaigns import queries as campaign_queries
from campaigns.actions import CampaignError
from contacts import queries as contact_queries
from contacts.models import Contact, ContactEvent
from lists.conditions import ConditionError, compile_conditions

logger = logging.getLogger(__name__)

# Enrollments claimed per transaction. Each costs a few queries per step
# (about 2 ms with a condition and a field update on the development
# machine, benchmarks/bench_flows.py), so a batch holds its locks for about
# a second.
CLAIM_BATCH_SIZE = 500
# Events read per match. Matching is in memory after one query for the
# batch and one per flow with candidates.
EVENT_BATCH_SIZE = 5000
# The minimum rows a flow with due work gets in a claim batch. When the
# flows are too many for that, those waiting longest go first (claim_due).
MIN_FLOW_SHARE = 10
# A flow's share is claimed a quarter newest first, the rest oldest first,
# so a contact enrolled now overtakes a backlog of its own flow too.
FRESH_SHARE_DIVISOR = 4
# Steps one enrollment may take in one tick; a longer run continues in the
# next tick, so one contact cannot hold a batch.
MAX_STEPS_PER_TICK = 50
# Transient failures (timeouts, 5xx) are retried this many times, waiting
# RETRY_BASE_SECONDS doubled each time, then the enrollment is parked.
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
EVENTS_CURSOR = "events"
# Time a gap in the event ids waits before its horizon is taken
# (EventGaps). It delays only forgetting the gap, never matching its events.
GAP_GRACE = datetime.timedelta(seconds=10)
# The maximum gaps kept. Each costs one index range read per match, and
# gaps close within seconds unless a transaction stays open that long.
MAX_EVENT_GAPS = 2000


# --- Enrolling ------------------------------------------------------------------


@dataclass
class Candidate:
    flow: Flow
    version: FlowVersion
    contact_id: int
    trigger_key: str
    trigger_node: str
    trigger_data: dict[str, Any]


def first_node(version: FlowVersion, trigger_node: str) -> str | None:
    return graphs.outgoing(version.graph).get(trigger_node, {}).get(NEXT)


def enroll(candidates: list[Candidate], now: datetime.datetime) -> int:
    """Create enrollments for candidates that the flows' re-entry policies allow; return how many."""
    by_flow: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_flow[candidate.flow.pk].append(candidate)
    rows = []
    for flow_candidates in by_flow.values():
        flow = flow_candidates[0].flow
        contact_ids = {c.contact_id for c in flow_candidates}
        previous = Enrollment.objects.filter(flow=flow, contact_id__in=contact_ids)
        if flow.reentry == ReentryPolicy.ONCE_PER_DAYS:
            since = now - datetime.timedelta(days=flow.reentry_days or 1)
            previous = previous.filter(entered_at__gte=since)
        blocked = (
            set(previous.values_list("contact_id", flat=True))
            if flow.reentry != ReentryPolicy.EVERY_TIME
            else set()
        )
        for candidate in flow_candidates:
            if candidate.contact_id in blocked:
                continue
            start = first_node(candidate.version, candidate.trigger_node)
            if start is None:
                continue
            if flow.reentry != ReentryPolicy.EVERY_TIME:
                blocked.add(candidate.contact_id)
            rows.append(
                Enrollment(
                    account_id=flow.account_id,
                    flow=flow,
                    version=candidate.version,
                    contact_id=candidate.contact_id,
                    trigger_key=candidate.trigger_key,
                    trigger_node=candidate.trigger_node,
                    trigger_data=candidate.trigger_data,
                    node_id=start,
                    state=EnrollmentState.ACTIVE,
                    wake_at=now,
                    entered_at=now,
                )
            )
    # The unique (flow, contact, trigger_key) makes a replayed event a no-op.
    created = Enrollment.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def _trigger_index() -> dict[tuple[int, str], list[tuple[Flow, FlowVersion, dict[str, Any]]]]:
    """Return the trigger nodes of active flows keyed by (account id, event kind)."""
    index: dict[tuple[int, str], list[tuple[Flow, FlowVersion, dict[str, Any]]]] = defaultdict(list)
    for flow in queries.active_flows().select_related("current_version"):
        version = flow.current_version
        if version is None:  # active_flows() excludes these; this narrows the type
            continue
        for node in version.graph.get("nodes", []):
            kind = REGISTRY.get(node.get("type"))
            if kind is None or kind.category != Category.TRIGGER:
                continue
            for event_kind in kind.event_kinds:
                index[(flow.account_id, event_kind)].append((flow, version, node))
    return index


def _wake_kinds(event: ContactEvent) -> set[str]:
    """Return the kinds a wait's wake_on may name for this event (custom events by name too)."""
    kinds = {event.kind}
    if event.kind == "custom" and isinstance(event.data.get("name"), str):
        kinds.add(event.data["name"])
    return kinds


def match_events(now: datetime.datetime | None = None) -> int:
    """Enroll contacts for new events and end waits they cut short; return events read.

    The cursor is the highest event id read. On PostgreSQL an id below it
    may still commit later (a long import took it first), so the ids
    missing under the cursor are kept as gaps and read again on each call
    until they come or no transaction can bring them (EventGaps).
    """
    now = now or timezone.now()
    TriggerCursor.objects.get_or_create(name=EVENTS_CURSOR)
    with transaction.atomic():
        cursor = (
            TriggerCursor.objects.select_for_update(skip_locked=True)
            .filter(name=EVENTS_CURSOR)
            .first()
        )
        if cursor is None:
            return 0  # another worker is matching this moment
        gaps = EventGaps(cursor.gaps)
        # Checked before the reads: each statement of a READ COMMITTED
        # transaction takes a new snapshot, so a transaction seen finished
        # here has its events visible to the reads below.
        closed = gaps.closed()
        late = gaps.read() if gaps else []
        events = list(
            ContactEvent.objects.filter(pk__gt=cursor.last_event_id).order_by("pk")[
                :EVENT_BATCH_SIZE
            ]
        )
        gaps.found(late, closed if len(late) < EVENT_BATCH_SIZE else [])
        if events:
            gaps.open(cursor.last_event_id, [event.pk for event in events])
            cursor.last_event_id = events[-1].pk
        if not events and not late and cursor.gaps == gaps.rows:
            return 0
        enrolled = _match(late + events, now)
        cursor.gaps = gaps.rows
        cursor.updated_at = now
        cursor.save(update_fields=["last_event_id", "gaps", "updated_at"])
    if enrolled:
        logger.info("contacts enrolled from events", extra={"count": enrolled})
    return len(late) + len(events)


def _match(events: list[ContactEvent], now: datetime.datetime) -> int:
    """Enroll the contacts these events trigger and end the waits they cut short."""
    if not events:
        return 0
    index = _trigger_index()
    candidates = []
    wakes: dict[str, set[int]] = defaultdict(set)
    for event in events:
        for kind in _wake_kinds(event):
            wakes[kind].add(event.contact_id)
        for flow, version, node in index.get((event.account_id, event.kind), ()):
            trigger = REGISTRY[node["type"]]
            if not trigger.matches(node.get("settings") or {}, event.kind, event.data):
                continue
            candidates.append(
                Candidate(
                    flow,
                    version,
                    event.contact_id,
                    f"event:{event.pk}",
                    str(node["id"]),
                    {"event_id": event.pk, "kind": event.kind, "data": event.data},
                )
            )
    enrolled = enroll(candidates, now)
    for kind, contact_ids in wakes.items():
        Enrollment.objects.filter(
            state=EnrollmentState.WAITING,
            wake_on=kind,
            contact_id__in=contact_ids,
            wake_at__gt=now,
        ).update(wake_at=now)
    return enrolled


class EventGaps:
    """Event ids below the cursor that were missing when it passed them.

    PostgreSQL hands out ids when rows are inserted, not when they commit,
    so a transaction that took id 7 may commit after id 8 was read. Each
    gap is read again on every match until it is closed: once every
    transaction that was open when it was seen has ended, its ids either
    committed (and were read) or never will. A gap's "horizon" is the next
    transaction id, taken GAP_GRACE after the gap was seen, because a
    transaction may take ids a moment before it gets a transaction id. The
    gap is closed when the oldest running transaction is past its horizon.
    SQLite commits one writer at a time in id order, so it keeps no gaps.
    """

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = [dict(row) for row in rows]

    def __bool__(self) -> bool:
        return bool(self.rows)

    def closed(self) -> list[dict[str, Any]]:
        """Set the horizons that are due and return the gaps no transaction can fill any more."""
        if not self.rows or connection.vendor != "postgresql":
            return list(self.rows)
        with connection.cursor() as sql:
            sql.execute(
                "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint"
                " FROM pg_current_snapshot() AS s"
            )
            oldest_running, next_xid = sql.fetchone()
        grace_ended = (timezone.now() - GAP_GRACE).isoformat()
        closed = []
        for row in self.rows:
            if row["horizon"] is not None and oldest_running >= row["horizon"]:
                closed.append(row)
            elif row["horizon"] is None and row["seen"] <= grace_ended:
                row["horizon"] = next_xid
        return closed

    def read(self) -> list[ContactEvent]:
        """Return the events that have come into the gaps, lowest id first."""
        within = Q()
        for row in self.rows:
            within |= Q(pk__range=(row["lo"], row["hi"]))
        return list(ContactEvent.objects.filter(within).order_by("pk")[:EVENT_BATCH_SIZE])

    def found(self, events: list[ContactEvent], closed: list[dict[str, Any]]) -> None:
        """Take the ids of events read out of the gaps, and drop the closed gaps."""
        ids = [event.pk for event in events]
        rows = []
        for row in self.rows:
            if any(row is gap for gap in closed):
                continue
            inside = [pk for pk in ids if row["lo"] <= pk <= row["hi"]]
            for lo, hi in _between(row["lo"] - 1, inside, row["hi"] + 1):
                rows.append({**row, "lo": lo, "hi": hi})
        self.rows = rows

    def open(self, after: int, ids: list[int]) -> None:
        """Record the ids missing between the cursor and the events just read."""
        if connection.vendor != "postgresql":
            return
        seen = timezone.now().isoformat()
        self.rows += [
            {"lo": lo, "hi": hi, "seen": seen, "horizon": None}
            for lo, hi in _between(after, ids, ids[-1])
        ]
        if len(self.rows) > MAX_EVENT_GAPS:
            # NOTE: events that commit into a dropped gap are never matched;
            # only a transaction open for hours amid many others gets here.
            logger.warning("event gaps dropped", extra={"count": len(self.rows) - MAX_EVENT_GAPS})
            self.rows = self.rows[-MAX_EVENT_GAPS:]


def _between(low: int, ids: list[int], high: int) -> list[tuple[int, int]]:
    """Return the ranges of integers strictly between low, the sorted ids and high."""
    ranges = []
    previous = low
    for pk in [*ids, high]:
        if pk > previous + 1:
            ranges.append((previous + 1, pk - 1))
        previous = pk
    return ranges


def fire_date_triggers(now: datetime.datetime | None = None) -> int:
    """Enroll contacts of date triggers whose day and time have come; return how many."""
    now = now or timezone.now()
    enrolled = 0
    for flow in queries.active_flows().select_related("current_version", "account"):
        version = flow.current_version
        if version is None:  # active_flows() excludes these; this narrows the type
            continue
        for node in version.graph.get("nodes", []):
            if node.get("type") != DateTrigger.type:
                continue
            enrolled += _fire_date_trigger(flow, version, node, now)
    return enrolled


def _fire_date_trigger(
    flow: Flow, version: FlowVersion, node: dict[str, Any], now: datetime.datetime
) -> int:
    settings = node.get("settings") or {}
    zone = ZoneInfo(flow.account.time_zone)
    today = now.astimezone(zone).date()
    # combine() with the zone gives the wall-clock time on that day, so the
    # trigger keeps its local hour across daylight-saving changes.
    fire_at = datetime.datetime.combine(today, DateTrigger().fire_time(settings), tzinfo=zone)
    if now < fire_at:
        return 0
    contacts = _date_trigger_contacts(flow, settings, today)
    if contacts is None:
        return 0
    with transaction.atomic():
        run, created = DateTriggerRun.objects.get_or_create(
            flow=flow, node_id=str(node["id"]), day=today, defaults={"account_id": flow.account_id}
        )
        if not created:
            return 0
        trigger_key = f"date:{node['id']}:{today.isoformat()}"
        enrolled = 0
        for start in range(0, len(contacts), CLAIM_BATCH_SIZE):
            enrolled += enroll(
                [
                    Candidate(
                        flow,
                        version,
                        contact_id,
                        trigger_key,
                        str(node["id"]),
                        {"kind": "date", "day": today.isoformat()},
                    )
                    for contact_id in contacts[start : start + CLAIM_BATCH_SIZE]
                ],
                now,
            )
        run.enrolled = enrolled
        run.save(update_fields=["enrolled"])
    return enrolled


def _date_trigger_contacts(
    flow: Flow, settings: dict[str, Any], today: datetime.date
) -> list[int] | None:
    """Return the ids of contacts a date trigger enrolls today, or None when it does not fire."""
    contacts = contact_queries.contacts_of_account(flow.account)
    if settings.get("mode") == "fixed":
        if str(settings.get("date")) != today.isoformat():
            return None
        audience = settings.get("audience") or {}
        if audience.get("rules"):
            specs = {spec.key: spec for spec in contact_queries.field_catalog(flow.account)}
            try:
                contacts = contacts.filter(compile_conditions(flow.account, audience, specs))
            except ConditionError:
                logger.warning("date trigger audience invalid", extra={"flow_id": flow.pk})
                return None
        return list(contacts.values_list("pk", flat=True))
    key = str(settings.get("field"))
    day = today - datetime.timedelta(days=int(settings.get("offset_days") or 0))
    path = "birthday" if key == "birthday" else f"fields__{key}"
    if settings.get("yearly"):
        # NOTE: a 29 February date fires only in leap years.
        if key == "birthday":
            contacts = contacts.filter(birthday__month=day.month, birthday__day=day.day)
        else:
            contacts = contacts.filter(**{f"{path}__endswith": f"-{day:%m-%d}"})
    else:
        contacts = contacts.filter(**{path: day if key == "birthday" else day.isoformat()})
    return list(contacts.values_list("pk", flat=True))


# --- Advancing ------------------------------------------------------------------


@dataclass
class Batch:
    """The state of one claimed batch while its steps run."""

    now: datetime.datetime
    steps: list[StepRecord] = field(default_factory=list)
    # (account id, message id) -> enrollments whose next step sends it.
    sends: dict[tuple[int, int], list[Enrollment]] = field(
        default_factory=lambda: defaultdict(list)
    )


def advance_due(now: datetime.datetime | None = None, limit: int = CLAIM_BATCH_SIZE) -> int:
    """Claim up to limit due enrollments and run their steps; return how many were claimed."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = claim_due(now, limit)
        if not claimed:
            return 0
        run_batch(claimed, now)
    return len(claimed)


def claim_due(now: datetime.datetime, limit: int) -> list[Enrollment]:
    """Lock up to limit due enrollments, shared fairly between accounts and flows.

    1. List the active flows with due enrollments, the one waiting longest
       first, and split limit equally between their accounts, then each
       account's share equally between its flows (at least MIN_FLOW_SHARE).
    2. Claim each flow's share: a FRESH_SHARE_DIVISOR-th of it newest
       wake_at first, so a contact who just became due is not queued
       behind the flow's backlog, and the rest oldest first.
    3. Fill what the shares left unused oldest first, from any flow.

    Every claim is SELECT ... FOR NO KEY UPDATE SKIP LOCKED, so ticks on
    several workers take disjoint rows. Call it inside a transaction.
    """
    claimed: list[Enrollment] = []
    for flow_id, share in flow_shares(now, limit).items():
        fresh = _claim(
            _due(now).filter(flow_id=flow_id), "-wake_at", max(1, share // FRESH_SHARE_DIVISOR)
        )
        oldest = _claim(
            _due(now).filter(flow_id=flow_id).exclude(pk__in=[e.pk for e in fresh]),
            "wake_at",
            share - len(fresh),
        )
        claimed += fresh + oldest
    if len(claimed) < limit:
        claimed += _claim(
            _due(now).exclude(pk__in=[e.pk for e in claimed]), "wake_at", limit - len(claimed)
        )
    return claimed


def flow_shares(now: datetime.datetime, limit: int) -> dict[int, int]:
    """Return how many due enrollments to claim from each active flow with due work."""
    # NOTE: this costs one index probe per active flow and batch. Tens of
    # thousands of active flows would need a table of flows with due work.
    oldest = (
        Enrollment.objects.filter(flow=OuterRef("pk"), state__in=RUNNABLE_STATES, wake_at__lte=now)
        .order_by("wake_at")
        .values("wake_at")[:1]
    )
    due_flows = (
        Flow.objects.filter(state=FlowState.ACTIVE)
        .annotate(oldest=Subquery(oldest))
        .filter(oldest__isnull=False)
        .order_by("oldest", "pk")
        .values_list("pk", "account_id")
    )
    return split_shares(list(due_flows), limit)


def split_shares(due_flows: list[tuple[int, int]], limit: int) -> dict[int, int]:
    """Split limit equally between accounts, then between each account's flows.

    due_flows contains (flow id, account id) pairs, the flow waiting longest
    first. Each flow gets at least MIN_FLOW_SHARE. When the flows are too
    many for one batch, the accounts and flows waiting longest go first, and
    the others go first in a later batch.
    """
    by_account: dict[int, list[int]] = {}  # in order of each account's longest wait
    for flow_id, account_id in due_flows:
        by_account.setdefault(account_id, []).append(flow_id)
    if not by_account:
        return {}
    account_share = max(MIN_FLOW_SHARE, limit // len(by_account))
    shares: dict[int, int] = {}
    left = limit
    for flow_ids in by_account.values():
        flow_share = max(MIN_FLOW_SHARE, account_share // len(flow_ids))
        account_left = account_share
        for flow_id in flow_ids:
            share = min(flow_share, account_left, left)
            if share <= 0:
                break
            shares[flow_id] = share
            account_left -= share
            left -= share
        if left <= 0:
            break
    return shares


def _due(now: datetime.datetime) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(
        state__in=RUNNABLE_STATES, wake_at__lte=now, flow__state=FlowState.ACTIVE
    )


def _claim(due: QuerySet[Enrollment], order: str, count: int) -> list[Enrollment]:
    if count <= 0:
        return []
    return list(
        due.select_for_update(skip_locked=True, no_key=True, of=("self",))
        .select_related("version", "contact", "account")
        .order_by(order)[:count]
    )


def run_batch(enrollments: list[Enrollment], now: datetime.datetime) -> None:
    """Walk each enrollment, in rounds of one step each, so sends are batched per round."""
    batch = Batch(now)
    moving = list(enrollments)
    for _round in range(MAX_STEPS_PER_TICK):
        if not moving:
            break
        still_moving = [e for e in moving if _run_step(e, batch)]
        still_moving += _flush_sends(batch)
        moving = still_moving
    for enrollment in moving:
        enrollment.wake_at = now  # continues in the next tick
    StepRecord.objects.bulk_create(batch.steps)
    Enrollment.objects.bulk_update(
        enrollments,
        [
            "node_id",
            "state",
            "wake_at",
            "wake_on",
            "visits",
            "attempts",
            "parked_reason",
            "finished_at",
        ],
    )


def _record(
    batch: Batch, enrollment: Enrollment, node: dict[str, Any], outcome: str, detail: dict[str, Any]
) -> None:
    node_id = str(node["id"])
    visit = int(enrollment.visits.get(node_id, 0)) + 1
    enrollment.visits = {**enrollment.visits, node_id: visit}
    batch.steps.append(
        StepRecord(
            account_id=enrollment.account_id,
            flow_id=enrollment.flow_id,
            enrollment=enrollment,
            node_id=node_id,
            visit=visit,
            node_type=str(node["type"]),
            outcome=outcome,
            detail=detail,
            executed_at=batch.now,
        )
    )


def _follow(
    enrollment: Enrollment, node: dict[str, Any], branch: str, now: datetime.datetime
) -> bool:
    """Move to the node behind branch; return False when the flow ends there."""
    target = graphs.outgoing(enrollment.version.graph).get(str(node["id"]), {}).get(branch)
    enrollment.attempts = 0
    enrollment.wake_on = ""
    if target is None:
        enrollment.state = EnrollmentState.COMPLETED
        enrollment.wake_at = None
        enrollment.finished_at = now
        return False
    enrollment.node_id = target
    enrollment.state = EnrollmentState.ACTIVE
    enrollment.wake_at = now
    return True


def _park(enrollment: Enrollment, reason: str) -> None:
    enrollment.state = EnrollmentState.PARKED
    enrollment.parked_reason = reason
    enrollment.wake_at = None
    logger.warning(
        "flow step parked",
        extra={"account_id": enrollment.account_id, "enrollment_id": enrollment.pk},
    )


def _run_step(enrollment: Enrollment, batch: Batch) -> bool:
    """Run the enrollment's current node; return True when it moves on within this tick."""
    now = batch.now
    node = graphs.nodes_by_id(enrollment.version.graph).get(enrollment.node_id)
    if node is None:
        _park(enrollment, _("The step %(node)s is not in the flow.") % {"node": enrollment.node_id})
        return False
    kind = REGISTRY[node["type"]]

    if enrollment.state == EnrollmentState.WAITING:
        woke_early = enrollment.wake_on and enrollment.wake_at and enrollment.wake_at <= now
        _record(
            batch, enrollment, node, NEXT, {"woke_at": now.isoformat(), "early": bool(woke_early)}
        )
        return _follow(enrollment, node, NEXT, now)

    step = Step(
        account=enrollment.account,
        flow_id=enrollment.flow_id,
        enrollment_id=enrollment.pk,
        contact=enrollment.contact,
        node_id=str(node["id"]),
        settings=node.get("settings") or {},
        now=now,
        trigger_data=enrollment.trigger_data,
    )
    try:
        with transaction.atomic():  # a savepoint: a failed step leaves no effect
            outcome = kind.run(step)
    except TransientStepError as exc:
        _save_attempt(exc)
        enrollment.attempts += 1
        if enrollment.attempts >= MAX_ATTEMPTS:
            _park(enrollment, str(exc))
        else:
            delay = RETRY_BASE_SECONDS * 2 ** (enrollment.attempts - 1)
            enrollment.wake_at = now + datetime.timedelta(seconds=delay)
            enrollment.parked_reason = str(exc)
        return False
    except StepError as exc:
        _save_attempt(exc)
        _park(enrollment, str(exc))
        return False

    if outcome.send_message_id is not None:
        batch.sends[(enrollment.account_id, outcome.send_message_id)].append(enrollment)
        return False
    if outcome.exit:
        _record(batch, enrollment, node, "exit", outcome.detail)
        enrollment.state = EnrollmentState.EXITED
        enrollment.wake_at = None
        enrollment.finished_at = now
        return False
    if outcome.wait_until is not None and outcome.wait_until > now:
        enrollment.state = EnrollmentState.WAITING
        enrollment.wake_at = outcome.wait_until
        enrollment.wake_on = outcome.wake_on
        return False
    _record(batch, enrollment, node, outcome.branch, outcome.detail)
    return _follow(enrollment, node, outcome.branch, now)


def _save_attempt(exc: Exception) -> None:
    attempt = getattr(exc, "attempt", None)
    if attempt is not None:
        attempt.save()


def _flush_sends(batch: Batch) -> list[Enrollment]:
    """Send each gathered message to its contacts in one call; return the enrollments that move on."""
    moving = []
    for (account_id, message_id), enrollments in batch.sends.items():
        message = campaign_queries.find_message(account_id, message_id)
        if message is None:
            for enrollment in enrollments:
                _park(enrollment, _("The message %(id)d no longer exists.") % {"id": message_id})
            continue
        contacts: list[Contact] = [e.contact for e in enrollments]
        try:
            with transaction.atomic():
                claim = campaign_actions.send_to_contacts(message.account, message, contacts)
        except CampaignError as exc:
            # The error keys name fields and checks ("compliance") for code;
            # the marketer reads only the messages.
            reasons = " ".join(str(m) for messages in exc.errors.values() for m in messages)
            for enrollment in enrollments:
                _park(enrollment, f"{exc} {reasons}".strip())
            continue
        for enrollment in enrollments:
            node = graphs.nodes_by_id(enrollment.version.graph)[enrollment.node_id]
            _record(batch, enrollment, node, NEXT, {"message_id": message_id, "claim": claim.token})
            if _follow(enrollment, node, NEXT, batch.now):
                moving.append(enrollment)
    batch.sends.clear()
    return moving


def run_tick(now: datetime.datetime | None = None, max_batches: int = 20) -> bool:
    """Fire date triggers, then match events and advance due enrollments in batches.

    Events are matched again before each batch, so a form submitted while
    a backlog runs enrolls within one batch, not after the whole tick. A
    backlog of events is read EVENT_BATCH_SIZE at a time without waiting
    for the next tick. Without a given now, each batch reads the clock
    anew, so contacts enrolled during the tick are due in its next batch.
    Return True if events or due enrollments remain.
    """
    fire_date_triggers(now or timezone.now())
    for _batch in range(max_batches):
        batch_now = now or timezone.now()
        read = match_events(batch_now)
        claimed = advance_due(batch_now)
        if read < EVENT_BATCH_SIZE and claimed < CLAIM_BATCH_SIZE:
            return False
    return True


# --- Dry run --------------------------------------------------------------------


def dry_run(
    flow: Flow, contact: Contact, now: datetime.datetime | None = None
) -> list[dict[str, Any]]:
    """Return the path the contact would take through the flow's draft graph now, changing nothing.

    Conditions read the contact as it is; waits are reported and passed
    over; sends, field and list changes and webhooks are reported, not made.
    """
    now = now or timezone.now()
    graph = flow.graph
    nodes = graphs.nodes_by_id(graph)
    ways = graphs.outgoing(graph)
    triggers = [
        nid
        for nid, n in nodes.items()
        if n.get("type") in REGISTRY and REGISTRY[n["type"]].category == Category.TRIGGER
    ]
    if not triggers:
        return []
    path: list[dict[str, Any]] = [
        {"node_id": triggers[0], "type": nodes[triggers[0]]["type"], "outcome": NEXT, "detail": {}}
    ]
    current = ways.get(triggers[0], {}).get(NEXT)
    seen = 0
    while current is not None and seen < MAX_STEPS_PER_TICK:
        seen += 1
        node = nodes[current]
        kind = REGISTRY[node["type"]]
        step = Step(
            account=flow.account,
            flow_id=flow.pk,
            enrollment_id=None,
            contact=contact,
            node_id=current,
            settings=node.get("settings") or {},
            now=now,
            trigger_data={},
            dry_run=True,
        )
        try:
            outcome = kind.run(step)
        except (StepError, TransientStepError) as exc:
            path.append(
                {
                    "node_id": current,
                    "type": node["type"],
                    "outcome": "failed",
                    "detail": {"error": str(exc)},
                }
            )
            break
        detail = dict(outcome.detail)
        if outcome.wait_until is not None:
            detail["wait_until"] = outcome.wait_until.isoformat()
        label = "exit" if outcome.exit else outcome.branch
        path.append({"node_id": current, "type": node["type"], "outcome": label, "detail": detail})
        if outcome.exit:
            break
        current = ways.get(current, {}).get(outcome.branch)
    return path
