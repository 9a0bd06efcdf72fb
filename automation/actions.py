"""Changes to flows: create, edit, activate (publish a version), pause, archive, retry."""

import logging
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from automation import graph as graphs
from automation.models import (
    RUNNABLE_STATES,
    Enrollment,
    EnrollmentState,
    Flow,
    FlowState,
    FlowVersion,
    ReentryPolicy,
)
from smoove.models import Account

logger = logging.getLogger(__name__)

FLOW_FIELDS = ("name", "graph", "reentry", "reentry_days")


class FlowError(Exception):
    """A flow change that cannot be applied; problems name the node and the reason."""

    def __init__(self, message: str, problems: list[graphs.Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def _check_fields(values: dict[str, Any]) -> None:
    problems = []
    if "name" in values and not str(values["name"] or "").strip():
        problems.append(graphs.Problem(_("Give the flow a name.")))
    reentry = values.get("reentry")
    if reentry is not None and reentry not in ReentryPolicy.values:
        problems.append(
            graphs.Problem(
                _("The re-entry policy must be one of %(choices)s.")
                % {"choices": ", ".join(ReentryPolicy.values)}
            )
        )
    if reentry == ReentryPolicy.ONCE_PER_DAYS and not values.get("reentry_days"):
        problems.append(graphs.Problem(_("Say after how many days a contact may enter again.")))
    if problems:
        raise FlowError(_("The flow was not saved."), problems)


def create_flow(account: Account, values: dict[str, Any]) -> Flow:
    values = {key: value for key, value in values.items() if key in FLOW_FIELDS}
    _check_fields({"name": values.get("name", ""), **values})
    return Flow.objects.create(account=account, **values)


def update_flow(account: Account, flow: Flow, values: dict[str, Any]) -> Flow:
    """Change the flow's draft; contacts keep walking the published version until activation."""
    values = {key: value for key, value in values.items() if key in FLOW_FIELDS}
    _check_fields({"reentry": flow.reentry, "reentry_days": flow.reentry_days, **values})
    if flow.state == FlowState.ARCHIVED:
        raise FlowError(_("An archived flow cannot be changed."))
    for key, value in values.items():
        setattr(flow, key, value)
    flow.updated_at = timezone.now()
    flow.save(update_fields=[*values, "updated_at"])
    return flow


def activate_flow(account: Account, flow: Flow) -> Flow:
    """Validate the draft, publish it as a new version when it changed, and start the flow.

    Contacts already in the flow move to the new version when their
    current node exists in it with the same type. The others finish on the
    version they entered. A paused flow resumes where its contacts stopped.
    """
    if flow.state == FlowState.ARCHIVED:
        raise FlowError(_("An archived flow cannot be activated."))
    problems = graphs.activation_problems(account, flow.graph)
    if problems:
        raise FlowError(_("The flow cannot be activated."), problems)
    with transaction.atomic():
        locked = Flow.objects.select_for_update().get(account=account, pk=flow.pk)
        current = locked.current_version
        if current is None or current.graph != locked.graph:
            number = (locked.versions.aggregate(top=Max("number"))["top"] or 0) + 1
            version = FlowVersion.objects.create(
                account=account, flow=locked, number=number, graph=locked.graph
            )
            locked.current_version = version
            if current is not None:
                _move_enrollments(locked, version)
        locked.state = FlowState.ACTIVE
        locked.updated_at = timezone.now()
        locked.save(update_fields=["current_version", "state", "updated_at"])
    logger.info("flow activated", extra={"account_id": account.pk, "flow_id": flow.pk})
    flow.refresh_from_db()
    return flow


def _move_enrollments(flow: Flow, version: FlowVersion) -> None:
    """Move open enrollments to version where their node keeps its id and type."""
    new_types = {
        node_id: node["type"] for node_id, node in graphs.nodes_by_id(version.graph).items()
    }
    open_states = [*RUNNABLE_STATES, EnrollmentState.PARKED]
    for old in FlowVersion.objects.filter(flow=flow).exclude(pk=version.pk):
        old_types = {nid: node["type"] for nid, node in graphs.nodes_by_id(old.graph).items()}
        movable = [nid for nid, kind in old_types.items() if new_types.get(nid) == kind]
        Enrollment.objects.filter(
            flow=flow, version=old, state__in=open_states, node_id__in=movable
        ).update(version=version)


def pause_flow(account: Account, flow: Flow) -> Flow:
    """Hold every enrolled contact where it is, and enroll no new contacts until activation."""
    changed = Flow.objects.filter(account=account, pk=flow.pk, state=FlowState.ACTIVE).update(
        state=FlowState.PAUSED, updated_at=timezone.now()
    )
    if not changed:
        raise FlowError(_("Only an active flow can be paused."))
    flow.refresh_from_db()
    return flow


def resume_flow(account: Account, flow: Flow) -> Flow:
    """Run a paused flow again on its published version; the draft stays unpublished.

    Only activate_flow publishes the draft, so a marketer can resume
    without taking edits made during the pause live.
    """
    changed = Flow.objects.filter(
        account=account, pk=flow.pk, state=FlowState.PAUSED, current_version__isnull=False
    ).update(state=FlowState.ACTIVE, updated_at=timezone.now())
    if not changed:
        raise FlowError(_("Only a paused flow can be resumed."))
    logger.info("flow resumed", extra={"account_id": account.pk, "flow_id": flow.pk})
    flow.refresh_from_db()
    return flow


def has_unpublished_changes(flow: Flow) -> bool:
    """Return whether the draft differs from the published version (or nothing is published)."""
    return flow.current_version is None or flow.current_version.graph != flow.graph


def archive_flow(account: Account, flow: Flow) -> Flow:
    """End the flow: contacts still in it leave, and it cannot be activated again."""
    now = timezone.now()
    with transaction.atomic():
        Flow.objects.filter(account=account, pk=flow.pk).update(
            state=FlowState.ARCHIVED, updated_at=now
        )
        Enrollment.objects.filter(
            flow=flow, state__in=[*RUNNABLE_STATES, EnrollmentState.PARKED]
        ).update(state=EnrollmentState.ENDED, wake_at=None, finished_at=now)
    flow.refresh_from_db()
    return flow


def retry_parked(account: Account, flow: Flow) -> int:
    """Run parked enrollments' failed step again at the next tick; return how many."""
    return Enrollment.objects.filter(
        account=account, flow=flow, state=EnrollmentState.PARKED
    ).update(state=EnrollmentState.ACTIVE, wake_at=timezone.now(), attempts=0, parked_reason="")


def create_flow_from_template(account: Account, key: str, *, user: Any = None) -> Flow:
    """Make a draft flow from a gallery template with what it needs; see automation.gallery."""
    from automation import gallery  # gallery builds on this module's create_flow

    return gallery.create_flow_from_template(account, key, user=user)
