"""Reads of flows, enrollments and steps, and the contact reads that conditions use."""

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from automation import commerce
from automation.models import (
    Enrollment,
    EnrollmentState,
    Flow,
    FlowState,
    FlowVersion,
    StepRecord,
)
from contacts import queries as contact_queries
from contacts.models import Contact, ContactEvent
from lists.conditions import compile_conditions
from smoove.models import Account

# The canvas shows this many distinct reasons for a step's parked contacts.
PARKED_REASONS_SHOWN = 3

# NOTE: the contacts app has no query for events by kind and data, so the
# reads below filter ContactEvent directly, as forms.queries.has_submitted
# does. Both use the (account, contact, occurred_at) index.


def flows_of_account(account: Account) -> QuerySet[Flow]:
    return Flow.objects.filter(account=account)


def get_flow_for_account(account: Account, pk: int | str) -> Flow:
    found = (
        Flow.objects.select_related("current_version").filter(account=account, pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        raise Http404("Flow not found.")
    return found


def active_flows() -> QuerySet[Flow]:
    return Flow.objects.filter(state=FlowState.ACTIVE, current_version__isnull=False)


def contact_has_event(
    contact: Contact,
    kind: str,
    *,
    message_id: int | None = None,
    form_id: int | None = None,
    url_contains: str = "",
    since: datetime.datetime | None = None,
) -> bool:
    """Return whether the contact has an event of the kind matching the given data."""
    events = ContactEvent.objects.filter(
        account_id=contact.account_id, contact_id=contact.pk, kind=kind
    )
    if message_id is not None:
        events = events.filter(data__message_id=message_id)
    if form_id is not None:
        events = events.filter(data__form_id=form_id)
    if url_contains:
        events = events.filter(data__url__contains=url_contains)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    return events.exists()


def purchases_of_contact(
    contact: Contact, *, since: datetime.datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Yield the payload of each purchase event of the contact."""
    events = ContactEvent.objects.filter(
        Q(kind=commerce.PURCHASE) | Q(kind=commerce.CUSTOM, data__name=commerce.PURCHASE),
        account_id=contact.account_id,
        contact_id=contact.pk,
    )
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    for kind, data in events.values_list("kind", "data"):
        payload = commerce.commerce_payload(kind, data, commerce.PURCHASE)
        if payload is not None:
            yield payload


def contact_matches(account: Account, contact: Contact, conditions: dict[str, Any]) -> bool:
    """Return whether the contact meets contact-status conditions, evaluated in SQL."""
    specs = {spec.key: spec for spec in contact_queries.field_catalog(account)}
    q = compile_conditions(account, conditions, specs)
    return Contact.objects.filter(account=account, pk=contact.pk).filter(q).exists()


def node_counts(flow: Flow) -> dict[str, dict[str, Any]]:
    """Return, per node id: entered, waiting, parked, and how many went each way.

    A node with parked contacts also gets "reasons": its most recent
    distinct parked reasons, newest first, each with how many it parked.
    NOTE: a reason is stored in the language the worker ran in when it
    parked (the site's default), not translated for the reader.
    """
    counts: dict[str, dict[str, Any]] = {}

    def entry(node_id: str) -> dict[str, Any]:
        return counts.setdefault(node_id, {"entered": 0, "waiting": 0, "failed": 0, "branches": {}})

    steps = (
        StepRecord.objects.filter(flow=flow)
        .values("node_id", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in steps:
        node = entry(row["node_id"])
        if row["outcome"] == "wait":
            continue
        node["entered"] += row["n"]
        if row["outcome"] == "failed":
            node["failed"] += row["n"]
        else:
            node["branches"][row["outcome"]] = node["branches"].get(row["outcome"], 0) + row["n"]
    waiting = (
        Enrollment.objects.filter(flow=flow, state__in=[EnrollmentState.WAITING])
        .values("node_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in waiting:
        node = entry(row["node_id"])
        node["waiting"] += row["n"]
        node["entered"] += row["n"]
    parked = (
        Enrollment.objects.filter(flow=flow, state=EnrollmentState.PARKED)
        .values("node_id", "parked_reason")
        .annotate(n=Count("id"), latest=Max("id"))
        .order_by("-latest")
    )
    for row in parked:
        node = entry(row["node_id"])
        node["failed"] += row["n"]
        reasons = node.setdefault("reasons", [])
        if len(reasons) < PARKED_REASONS_SHOWN:
            reasons.append({"reason": row["parked_reason"], "count": row["n"]})
    return counts


def enrollments_of_contact(account: Account, contact: Contact) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(account=account, contact=contact)
        .select_related("flow", "version")
        .prefetch_related("steps")
        .order_by("-entered_at")
    )


def contact_paths(account: Account, contact: Contact) -> list[dict[str, Any]]:
    """Return each enrollment of the contact with the steps it took, oldest step first."""
    paths = []
    for enrollment in enrollments_of_contact(account, contact):
        nodes = {node["id"]: node for node in enrollment.version.graph.get("nodes", [])}
        steps = sorted(enrollment.steps.all(), key=lambda step: (step.executed_at, step.pk))
        paths.append(
            {
                "enrollment_id": enrollment.pk,
                "flow_id": enrollment.flow_id,
                "flow_name": enrollment.flow.name,
                "version": enrollment.version.number,
                "state": enrollment.state,
                "node_id": enrollment.node_id,
                "wake_at": enrollment.wake_at,
                "parked_reason": enrollment.parked_reason,
                "entered_at": enrollment.entered_at,
                "steps": [
                    {
                        "node_id": step.node_id,
                        "node_type": step.node_type,
                        "label": nodes.get(step.node_id, {}).get("label", ""),
                        "outcome": step.outcome,
                        "detail": step.detail,
                        "executed_at": step.executed_at,
                    }
                    for step in steps
                ],
            }
        )
    return paths


def versions_of_flow(flow: Flow) -> QuerySet[FlowVersion]:
    """Return the flow's published versions, newest first."""
    return FlowVersion.objects.filter(account_id=flow.account_id, flow=flow).order_by("-number")


def get_version_of_flow(flow: Flow, number: int | str) -> FlowVersion:
    found = versions_of_flow(flow).filter(number=number).first() if str(number).isdigit() else None
    if found is None:
        raise Http404("Version not found.")
    return found


def entries_by_trigger(flow: Flow) -> dict[str, int]:
    """Return, per trigger node id, how many enrollments it started."""
    rows = (
        Enrollment.objects.filter(flow=flow)
        .values("trigger_node")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["trigger_node"]: row["n"] for row in rows}
