"""A worker killed with SIGKILL in the middle of an engine tick repeats no step and loses no contact.

The flow is a condition, a split, a field increment and an email. The
contacts are more than one claim batch, so the tick commits one batch and
is killed while it runs the next. A new worker then finishes the work.
"""

import os
import signal
from collections import Counter

import pytest
from django.db.models import Count
from django.utils import timezone

from automation import engine, tasks
from automation.models import RUNNABLE_STATES, Enrollment, EnrollmentState, StepRecord
from automation.nodes.base import Step
from automation.nodes.split import Node as Split
from campaigns import tasks as campaign_tasks
from campaigns.models import Delivery, DeliveryStatus
from contacts import actions as contact_actions
from contacts.models import ConsentRecord, Contact, ContactEvent
from smoove.models import Account
from tests.automation.conftest import create_flow, edge, node
from tests.campaigns.conftest import email_message
from tests.worker_process import start_worker, wait_for

# Enough for two claim batches: the first commits, the second is killed.
CONTACTS = engine.CLAIM_BATCH_SIZE + 300
HAIFA = "חיפה"
SPLIT_BRANCHES = [{"key": "mail", "percent": 50}, {"key": "quiet", "percent": 50}]
WORKER_START_SECONDS = 20.0
FINISH_SECONDS = 60.0
# A kill between a batch's commit and the publishing of its delivery task
# leaves that batch's emails claimed; the campaigns tick sends them once
# the lease that start_worker sets has passed.


def split_branch(account: Account, flow_id: int, contact: Contact) -> str:
    """Return the branch the split node sends the contact down."""
    step = Step(
        account=account,
        flow_id=flow_id,
        enrollment_id=None,
        contact=contact,
        node_id="split",
        settings={"branches": SPLIT_BRANCHES},
        now=timezone.now(),
        trigger_data={},
        dry_run=True,
    )
    return Split().run(step).branch


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_tick_repeats_no_step(account, sender, api_client, mailbox):
    if os.environ.get("SMOOVE_TESTS_WITHOUT_REDIS"):
        pytest.skip("Redis is not running; make test says so at the start.")
    from smoove.celery import app

    app.conf.task_always_eager = False
    app.control.purge()
    contact_actions.create_custom_field(account, label="נקודות", key="points", type="number")
    welcome = email_message(account, name="ברוכים הבאים", subject="פרסומת: ברוכים הבאים")
    flow = create_flow(
        api_client,
        [
            node("t", "custom_event", name="signup"),
            node(
                "haifa",
                "contact_status",
                match="all",
                rules=[{"type": "field", "field": "city", "op": "equals", "value": HAIFA}],
            ),
            node("split", "split", branches=SPLIT_BRANCHES),
            node("points_mail", "update_field", field="points", operation="increment", value=1),
            node("points_quiet", "update_field", field="points", operation="increment", value=1),
            node("mail", "send_message", message_id=welcome.pk),
            node("quiet_done", "exit"),
            node("elsewhere", "exit"),
        ],
        [
            edge("t", "haifa"),
            edge("haifa", "split", "yes"),
            edge("haifa", "elsewhere", "no"),
            edge("split", "points_mail", "mail"),
            edge("split", "points_quiet", "quiet"),
            edge("points_mail", "mail"),
            edge("points_quiet", "quiet_done"),
        ],
    )
    contacts = Contact.objects.bulk_create(
        Contact(
            account=account,
            identity=f"c{n}@example.com",
            email=f"c{n}@example.com",
            city=HAIFA if n % 4 else "אילת",
        )
        for n in range(CONTACTS)
    )
    ConsentRecord.objects.bulk_create(
        ConsentRecord(account=account, contact=c, channel="email", status="granted", source="test")
        for c in contacts
    )
    contact_actions.record_events(account, [(c, "custom", {"name": "signup"}) for c in contacts])

    expected_path = {}
    for contact in contacts:
        if contact.city != HAIFA:
            expected_path[contact.pk] = ("haifa", "elsewhere")
        elif split_branch(account, flow.pk, contact) == "mail":
            expected_path[contact.pk] = ("haifa", "split", "points_mail", "mail")
        else:
            expected_path[contact.pk] = ("haifa", "split", "points_quiet", "quiet_done")
    expected_steps = sum(len(path) for path in expected_path.values())
    mailed = {c.email for c in contacts if expected_path[c.pk][-1] == "mail"}
    assert 0 < len(mailed) < sum(c.city == HAIFA for c in contacts)

    # Given a tick that has committed its first batch and runs its second,
    worker = start_worker(mailbox.port)
    try:
        tasks.tick.apply_async()
        assert wait_for(lambda: StepRecord.objects.exists(), timeout=WORKER_START_SECONDS)
        # when the worker is killed without warning,
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        steps_at_kill = StepRecord.objects.count()
        assert 0 < steps_at_kill < expected_steps

        # and a new worker is started and ticked until the flow is done,
        worker = start_worker(mailbox.port)

        def unfinished() -> dict[str, int]:
            # What the beat would send: both engines' ticks.
            tasks.tick.apply_async()
            campaign_tasks.tick.apply_async()
            enrollments = Enrollment.objects.filter(flow=flow)
            return {
                "not enrolled": CONTACTS - enrollments.count(),
                "in the flow": enrollments.filter(state__in=RUNNABLE_STATES).count(),
                "parked": enrollments.filter(state=EnrollmentState.PARKED).count(),
                "claimed, not sent": Delivery.objects.filter(
                    message=welcome, status=DeliveryStatus.CLAIMED
                ).count(),
            }

        left: dict[str, int] = {}

        def finished() -> bool:
            left.update(unfinished())
            return not any(left.values())

        assert wait_for(finished, timeout=FINISH_SECONDS, interval=1.0), left
    finally:
        worker.kill()
        worker.wait(timeout=10)

    # then every contact walked its path once and got what the flow prescribes.
    paths: dict[int, list[str]] = {}
    for contact_id, node_id in (
        StepRecord.objects.filter(flow=flow)
        .order_by("pk")
        .values_list("enrollment__contact_id", "node_id")
    ):
        paths.setdefault(contact_id, []).append(node_id)
    states = Counter(Enrollment.objects.filter(flow=flow).values_list("state", flat=True))
    received = Counter(m["To"] for m in mailbox.messages)
    ambiguous = set(
        Delivery.objects.filter(message=welcome, status=DeliveryStatus.AMBIGUOUS).values_list(
            "address", flat=True
        )
    )
    points = dict(Contact.objects.filter(account=account).values_list("pk", "fields__points"))
    updates = dict(
        ContactEvent.objects.filter(kind="contact_updated", data__source="automation")
        .values_list("contact_id")
        .annotate(n=Count("id"))
    )

    assert StepRecord.objects.filter(flow=flow).count() == expected_steps
    assert {pk: tuple(path) for pk, path in paths.items()} == expected_path
    assert states[EnrollmentState.COMPLETED] == len(mailed)
    assert states[EnrollmentState.EXITED] == CONTACTS - len(mailed)
    assert max(received.values()) == 1
    assert set(received) <= mailed
    assert mailed - set(received) <= ambiguous
    assert len(ambiguous) <= 1
    for contact in contacts:
        in_haifa = contact.city == HAIFA
        assert points[contact.pk] == (1 if in_haifa else None), contact.email
        assert updates.get(contact.pk, 0) == (1 if in_haifa else 0), contact.email
