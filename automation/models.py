"""Flows, their published versions, enrollments of contacts and executed steps.

The graph of a flow is JSON; its schema is documented in docs/automation.md
and checked by automation.graph.validate_graph.
"""

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact
from smoove.models import Account


class FlowState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ARCHIVED = "archived", _("Archived")


class ReentryPolicy(models.TextChoices):
    ONCE = "once", _("Once ever")
    EVERY_TIME = "every_time", _("Every time the trigger fires")
    ONCE_PER_DAYS = "once_per_days", _("At most once per number of days")


def empty_graph() -> dict[str, list[object]]:
    return {"nodes": [], "edges": []}


class Flow(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    state = models.CharField(max_length=10, choices=FlowState.choices, default=FlowState.DRAFT)
    reentry = models.CharField(
        _("re-entry"), max_length=20, choices=ReentryPolicy.choices, default=ReentryPolicy.ONCE
    )
    reentry_days = models.PositiveIntegerField(_("re-entry days"), null=True, blank=True)
    # The graph being edited. Contacts only ever walk a published version.
    graph = models.JSONField(default=empty_graph)
    current_version = models.ForeignKey(
        "FlowVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["account", "state"], name="flow_state_idx")]

    def __str__(self) -> str:
        return self.name


class FlowVersion(models.Model):
    """A published graph; never changed once written."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    graph = models.JSONField()
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["flow", "number"], name="flow_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.flow_id} v{self.number}"


class EnrollmentState(models.TextChoices):
    ACTIVE = "active", _("Moving")
    WAITING = "waiting", _("Waiting")
    PARKED = "parked", _("Stopped by an error")
    COMPLETED = "completed", _("Completed")
    EXITED = "exited", _("Exited")
    ENDED = "ended", _("Ended when the flow was archived")


# Enrollments the tick may pick up when wake_at has come.
RUNNABLE_STATES = (EnrollmentState.ACTIVE, EnrollmentState.WAITING)


class Enrollment(models.Model):
    """One contact walking one flow version, from a trigger to an end."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="enrollments")
    version = models.ForeignKey(FlowVersion, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    # "event:<id>" for an event trigger, "date:<node>:<day>" for a date
    # trigger: enrolling twice from the same cause is refused by the
    # constraint below, so replaying the event log is harmless.
    trigger_key = models.CharField(max_length=100)
    trigger_node = models.CharField(max_length=64)
    # The triggering event's kind and data, for webhooks and dry runs.
    trigger_data = models.JSONField(default=dict, blank=True)
    node_id = models.CharField(max_length=64)
    state = models.CharField(
        max_length=10, choices=EnrollmentState.choices, default=EnrollmentState.ACTIVE
    )
    wake_at = models.DateTimeField(null=True, blank=True)
    # An event kind that ends the current wait early, or "".
    wake_on = models.CharField(max_length=64, blank=True, default="")
    # Times each node was entered; the step record's visit number.
    visits = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    parked_reason = models.TextField(blank=True, default="")
    entered_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["flow", "contact", "trigger_key"], name="enrollment_trigger_unique"
            )
        ]
        indexes: ClassVar = [
            # The tick's claim: runnable rows ordered by wake_at, across
            # flows (the fill) and within one flow (its fair share).
            models.Index(
                fields=["wake_at"],
                name="enrollment_due_idx",
                condition=models.Q(state__in=["active", "waiting"]),
            ),
            models.Index(
                fields=["flow", "wake_at"],
                name="enrollment_flow_due_idx",
                condition=models.Q(state__in=["active", "waiting"]),
            ),
            models.Index(fields=["flow", "state", "node_id"], name="enrollment_node_idx"),
            models.Index(fields=["account", "contact"], name="enrollment_contact_idx"),
            models.Index(
                fields=["wake_on", "contact"],
                name="enrollment_wake_on_idx",
                condition=models.Q(state="waiting") & ~models.Q(wake_on=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.flow_id} at {self.node_id}"


class StepRecord(models.Model):
    """One executed node of an enrollment, written with the node's effect."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="steps")
    node_id = models.CharField(max_length=64)
    # 1 on the first entry of the node; more only in a loop through a wait.
    visit = models.PositiveIntegerField(default=1)
    node_type = models.CharField(max_length=40)
    # The branch followed: "next", "yes", "no", a split's key, "wait" for a
    # wait that started, "exit", or "failed".
    outcome = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    executed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["enrollment", "node_id", "visit"], name="step_once_per_visit"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["flow", "node_id", "outcome"], name="step_node_outcome_idx")
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} {self.node_id}: {self.outcome}"


class TriggerCursor(models.Model):
    """How far the engine has read the contact event log (one row, name "events")."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    # Id ranges below last_event_id that were not there when it was read,
    # because their transactions had not committed yet (or never will):
    # [{"lo", "hi", "seen", "horizon"}], see automation.engine.EventGaps.
    gaps = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"


class DateTriggerRun(models.Model):
    """A date trigger that fired for one day in the account's zone; fired once per day."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="+")
    node_id = models.CharField(max_length=64)
    day = models.DateField()
    enrolled = models.PositiveIntegerField(default=0)
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["flow", "node_id", "day"], name="date_trigger_once")
        ]

    def __str__(self) -> str:
        return f"{self.flow_id} {self.node_id} {self.day}"


class WebhookAttempt(models.Model):
    """One POST of a webhook step, kept with the response for the marketer to read."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    node_id = models.CharField(max_length=64)
    url = models.TextField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    attempted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.url} {self.status_code}"
