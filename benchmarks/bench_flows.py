"""Flow steps per second on real Celery workers, against no-op Celery tasks through the same Redis.

20,000 contacts enter a flow of a condition (city), a 50/50 split, a
field update on each branch and one email, sent to the local outbox
(campaigns' OutboxBackend, a database row per email). Their trigger
events are written first. Then one Celery worker (prefork, 2 processes,
every queue) starts with an embedded beat, so the ticks come every 2
seconds as in production, plus the ones a tick queues for a backlog.
The figure is executed steps (StepRecord rows) per second, from the
first enrollment to the last email sent. The floor is the same number of
no-op tasks, queued beforehand on the engine queue and drained by the
same worker command. It is timed from the first task taken to the last
one acknowledged.

Latency: while the 20,000 run, a visitor submits a second flow's form
(form submitted, then an email) through the public form view in this
process, every SUBMIT_INTERVAL seconds. Each sample runs from the request
to that email's sent_at. The floor is the same submissions once the
engine is idle again.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from celery import shared_task

ROOT = Path(__file__).resolve().parent.parent
CONTACTS = 20_000
CONTACT_BATCH = 5_000
HAIFA = "חיפה"
WORKER_PROCESSES = 2
WORKER_START_SECONDS = 30.0
# The whole load must finish within this time, or the run fails.
LOAD_TIMEOUT_SECONDS = 600.0
SUBMIT_INTERVAL = 0.5
MAX_LOADED_SAMPLES = 60
IDLE_SAMPLES = 10
SAMPLE_TIMEOUT_SECONDS = 60.0


@shared_task(name="benchmarks.bench_flows.noop", ignore_result=True)
def noop() -> None:
    """Do nothing, so the floor measures Celery and Redis alone."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smoove.settings")
    os.environ["CAMPAIGNS_EMAIL_BACKEND"] = "outbox"
    # Measure the engine, not the per-minute release limit of an account.
    os.environ["CAMPAIGNS_EMAIL_PER_MINUTE"] = "0"
    import django

    django.setup()


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def start_worker(*, beat: bool, schedule_dir: str) -> subprocess.Popen[bytes]:
    """Start the worker command both measurements share, with beat for the flows."""
    from smoove import queues

    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "smoove",
        "--quiet",
        "worker",
        "-P",
        "prefork",
        "-c",
        str(WORKER_PROCESSES),
        "-Q",
        ",".join(queues.ALL),
        "--include",
        "benchmarks.bench_flows",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "WARNING",
    ]
    if beat:
        command += ["--beat", "--schedule", str(Path(schedule_dir, "celerybeat-schedule"))]
    return subprocess.Popen(command, cwd=ROOT, env=dict(os.environ))


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


def _build_account() -> tuple[Any, Any, Any]:
    """Create the account, its 20,000 consenting contacts, the email and the form."""
    from campaigns import actions as campaign_actions
    from contacts import actions as contact_actions
    from contacts.models import ConsentRecord, Contact
    from forms import actions as form_actions
    from smoove import actions as account_actions
    from smoove.models import Plan

    membership = account_actions.sign_up(
        business_name="bench flows",
        email=f"owner-{time.time_ns()}@bench.example",
        password="Bench-only-Pass-42",  # noqa: S106 - a throwaway bench user
    )
    account = membership.account
    account_actions.set_plan(account, Plan.PAID, None)
    account.default_sender_name = "חנות"
    account.default_sender_email = "news@bench.example"
    account.save(update_fields=["default_sender_name", "default_sender_email"])
    # Email leaves only from verified sender addresses.
    campaign_actions.add_verified_sender(
        account, name="חנות", email="news@bench.example", make_default=True
    )
    contact_actions.create_custom_field(account, label="קבוצה", key="group", type="text")
    for start in range(0, CONTACTS, CONTACT_BATCH):
        contacts = Contact.objects.bulk_create(
            Contact(
                account=account,
                identity=f"walker{n}@bench.example",
                email=f"walker{n}@bench.example",
                first_name="דנה",
                city=HAIFA if n % 10 else "אילת",
            )
            for n in range(start, min(start + CONTACT_BATCH, CONTACTS))
        )
        ConsentRecord.objects.bulk_create(
            ConsentRecord(
                account=account, contact=c, channel="email", status="granted", source="import"
            )
            for c in contacts
        )
    message = campaign_actions.save_message(
        account,
        None,
        {
            "name": "bench flow",
            "subject": "פרסומת: [[שם פרטי|לקוח יקר]], ברוכים הבאים",
            "sender_name": "חנות",
            "sender_email": "news@bench.example",
            "is_advertising": True,
            "blocks": [
                {"id": "h", "type": "heading", "text": "שלום [[שם פרטי|לקוח יקר]]"},
                {"id": "t", "type": "text", "text": "[לחנות](https://shop.example/)"},
            ],
        },
        channel="email",
    )
    form = form_actions.create_form(account, name="bench form")
    form_actions.set_consent(account, form, channel="email", enabled=True, wording="מסכים/ה")
    form_actions.publish_form(account, form)
    return account, message, form


def _node(node_id: str, type_: str, **settings: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "settings": settings}


def _edge(source: str, target: str, branch: str = "next") -> dict[str, str]:
    return {"source": source, "target": target, "branch": branch}


def _create_flows(account: Any, message: Any, form: Any) -> Any:
    """Activate the measured flow and the form's welcome flow, and return the measured one."""
    from automation import actions

    load = actions.create_flow(
        account,
        {
            "name": "bench load",
            "graph": {
                "nodes": [
                    _node("t", "custom_event", name="bench_signup"),
                    _node(
                        "haifa",
                        "contact_status",
                        match="all",
                        rules=[{"type": "field", "field": "city", "op": "equals", "value": HAIFA}],
                    ),
                    _node(
                        "split",
                        "split",
                        branches=[{"key": "a", "percent": 50}, {"key": "b", "percent": 50}],
                    ),
                    _node("group_a", "update_field", field="group", operation="set", value="a"),
                    _node("group_b", "update_field", field="group", operation="set", value="b"),
                    _node("mail", "send_message", message_id=message.pk),
                    _node("elsewhere", "exit"),
                ],
                "edges": [
                    _edge("t", "haifa"),
                    _edge("haifa", "split", "yes"),
                    _edge("haifa", "elsewhere", "no"),
                    _edge("split", "group_a", "a"),
                    _edge("split", "group_b", "b"),
                    _edge("group_a", "mail"),
                    _edge("group_b", "mail"),
                ],
            },
        },
    )
    actions.activate_flow(account, load)
    welcome = actions.create_flow(
        account,
        {
            "name": "bench welcome",
            "graph": {
                "nodes": [
                    _node("t", "form_submitted", form_id=form.pk),
                    _node("mail", "send_message", message_id=message.pk),
                ],
                "edges": [_edge("t", "mail")],
            },
        },
    )
    actions.activate_flow(account, welcome)
    return load


class Visitor:
    """A visitor who submits the public form with a new address each time, timed to each email."""

    def __init__(self, form: Any, message: Any) -> None:
        from django.test import Client

        self.client = Client()
        self.path = f"/f/{form.public_token}/"
        self.message = message
        self.submitted: dict[str, float] = {}

    def submit(self, label: str) -> None:
        email = f"visitor-{label}-{len(self.submitted)}@bench.example"
        started = time.time()
        response = self.client.post(
            self.path,
            {"email": email, "first_name": "נועה", "_consent_email": "1"},
            REMOTE_ADDR="127.0.0.1",
        )
        if response.status_code != 200:
            raise SystemExit(f"The form submission returned {response.status_code}.")
        self.submitted[email] = started

    def latencies(self, emails: list[str]) -> list[float] | None:
        """Return seconds from each submission to its email, or None while one is unsent."""
        from campaigns.models import Delivery, DeliveryStatus

        sent = dict(
            Delivery.objects.filter(
                message=self.message, address__in=emails, status=DeliveryStatus.SENT
            ).values_list("address", "sent_at")
        )
        if len(sent) < len(emails):
            return None
        return [
            sent_at.timestamp() - self.submitted[email]
            for email, sent_at in sent.items()
            if sent_at is not None
        ]

    def stages(self, emails: list[str]) -> dict[str, list[float]]:
        """Return, per stage, the seconds each sample spent in it.

        submit: the request until its form_submitted event; match: the
        event until a tick enrolled the contact; step: the enrollment until
        the batch that ran the send step, which claims the delivery and
        queues its task; deliver: that batch until sent_at, mostly the wait
        in the sends queue.
        """
        from automation.models import Enrollment, StepRecord
        from campaigns.models import Delivery
        from contacts.models import ContactEvent

        found: dict[str, list[float]] = {"submit": [], "match": [], "step": [], "deliver": []}
        for email in emails:
            event = ContactEvent.objects.filter(contact__email=email, kind="form_submitted").first()
            enrollment = Enrollment.objects.filter(contact__email=email).first()
            step = StepRecord.objects.filter(enrollment=enrollment, node_id="mail").first()
            delivery = Delivery.objects.filter(message=self.message, address=email).first()
            if event is None or enrollment is None or step is None or delivery is None:
                continue
            if delivery.sent_at is None:
                continue
            found["submit"].append(event.occurred_at.timestamp() - self.submitted[email])
            found["match"].append((enrollment.entered_at - event.occurred_at).total_seconds())
            found["step"].append((step.executed_at - enrollment.entered_at).total_seconds())
            found["deliver"].append((delivery.sent_at - step.executed_at).total_seconds())
        return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_flow_load(
    account: Any, flow: Any, message: Any, visitor: Visitor, schedule_dir: str
) -> tuple[int, float, list[float], list[float]]:
    """Run the 20,000 through the flow; return steps, seconds, loaded and idle latencies."""
    from automation.models import Enrollment, EnrollmentState, StepRecord
    from campaigns.models import Delivery, DeliveryStatus
    from contacts import actions as contact_actions
    from contacts.models import Contact

    contacts = Contact.objects.filter(account=account, email__startswith="walker")
    for start in range(0, CONTACTS, CONTACT_BATCH):
        batch = list(contacts.order_by("pk")[start : start + CONTACT_BATCH])
        contact_actions.record_events(
            account, [(c, "custom", {"name": "bench_signup"}) for c in batch]
        )
    expected_mails = contacts.filter(city=HAIFA).count()
    open_states = [EnrollmentState.ACTIVE, EnrollmentState.WAITING]

    def done() -> bool:
        enrollments = Enrollment.objects.filter(flow=flow)
        return (
            enrollments.count() == CONTACTS
            and not enrollments.filter(state__in=open_states).exists()
            and Delivery.objects.filter(
                message=message, address__startswith="walker", status=DeliveryStatus.SENT
            ).count()
            == expected_mails
        )

    worker = start_worker(beat=True, schedule_dir=schedule_dir)
    try:
        if not wait_for(lambda: Enrollment.objects.filter(flow=flow).exists(), 60.0):
            raise SystemExit("No contact entered the flow within 60 seconds.")
        deadline = time.monotonic() + LOAD_TIMEOUT_SECONDS
        while not done():
            if time.monotonic() > deadline:
                raise SystemExit("The flow did not finish within the time limit.")
            if len(visitor.submitted) < MAX_LOADED_SAMPLES:
                visitor.submit("loaded")
            time.sleep(SUBMIT_INTERVAL)
        loaded = list(visitor.submitted)
        if not wait_for(lambda: visitor.latencies(loaded) is not None, SAMPLE_TIMEOUT_SECONDS):
            raise SystemExit("A form submitted under load got no email within 60 seconds.")
        loaded_latencies = visitor.latencies(loaded) or []

        first = Enrollment.objects.filter(flow=flow).order_by("entered_at").first()
        last = (
            Delivery.objects.filter(message=message, address__startswith="walker")
            .order_by("-sent_at")
            .first()
        )
        if first is None or last is None or last.sent_at is None:
            raise SystemExit("The flow finished without an enrollment or a sent email.")
        seconds = (last.sent_at - first.entered_at).total_seconds()
        steps = StepRecord.objects.filter(flow=flow).count()

        idle = []
        for _sample in range(IDLE_SAMPLES):
            visitor.submit("idle")
            idle.append(list(visitor.submitted)[-1])
            time.sleep(SUBMIT_INTERVAL)
        if not wait_for(lambda: visitor.latencies(idle) is not None, SAMPLE_TIMEOUT_SECONDS):
            raise SystemExit("A form submitted to the idle engine got no email within 60 seconds.")
        idle_latencies = visitor.latencies(idle) or []
        for label, samples in (("loaded", loaded), ("idle", idle)):
            stages = visitor.stages(samples)
            print(
                f"bench: flow_form_to_email_stages {label} p50 "
                + " ".join(
                    f"{name}={1000 * percentile(values, 0.5):.0f}ms"
                    for name, values in stages.items()
                    if values
                )
            )
    finally:
        stop_worker(worker)
    return steps, seconds, loaded_latencies, idle_latencies


def queue_length(broker: Any, queue: str) -> int:
    """Return the messages waiting in a queue of the Redis broker (a list per queue in kombu)."""
    return cast(int, broker.llen(queue))


def run_floor(tasks: int, schedule_dir: str) -> float:
    """Drain that many no-op tasks through the same worker command; return tasks per second."""
    import redis
    from django.conf import settings

    from smoove import queues

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for _task in range(tasks):
        noop.apply_async(queue=queues.ENGINE)
    queued = queue_length(broker, queues.ENGINE)
    # Messages of workers killed earlier stay unacknowledged for the
    # broker's visibility timeout, so drained means back to this count.
    stale_unacked = cast(int, broker.hlen("unacked"))
    worker = start_worker(beat=False, schedule_dir=schedule_dir)
    try:
        if not wait_for(
            lambda: queue_length(broker, queues.ENGINE) < queued, WORKER_START_SECONDS, 0.005
        ):
            raise SystemExit("The worker took no task within 30 seconds.")
        began = time.monotonic()
        remaining_at_start = queue_length(broker, queues.ENGINE)

        def drained() -> bool:
            unacked = cast(int, broker.hlen("unacked"))
            return queue_length(broker, queues.ENGINE) == 0 and unacked <= stale_unacked

        if not wait_for(drained, LOAD_TIMEOUT_SECONDS, 0.01):
            raise SystemExit("The no-op tasks were not drained within the time limit.")
        elapsed = time.monotonic() - began
    finally:
        stop_worker(worker)
    return remaining_at_start / elapsed


def main() -> None:
    _setup_django()
    from django.conf import settings

    from smoove.celery import app

    settings.FORMS_RATE_LIMITS = {"per_ip": None, "per_form": None}
    app.conf.task_always_eager = False
    app.control.purge()
    schedule_dir = tempfile.mkdtemp(prefix="bench_flows_")

    account, message, form = _build_account()
    flow = _create_flows(account, message, form)
    visitor = Visitor(form, message)
    steps, seconds, loaded, idle = run_flow_load(account, flow, message, visitor, schedule_dir)
    floor_rate = run_floor(steps, schedule_dir)

    rate = steps / seconds
    print(
        f"bench: flow_steps {rate:.0f} steps/s ratio={rate / floor_rate:.3f} "
        f"floor=the same number of no-op Celery tasks through the same Redis "
        f"({floor_rate:.0f} tasks/s)"
    )
    loaded_p50 = percentile(loaded, 0.5)
    idle_p50 = percentile(idle, 0.5)
    print(
        f"bench: flow_form_to_email p50={1000 * loaded_p50:.0f} ms "
        f"p95={1000 * percentile(loaded, 0.95):.0f} ms ratio={loaded_p50 / idle_p50:.2f} "
        f"floor=p50 {1000 * idle_p50:.0f} ms (p95 {1000 * percentile(idle, 0.95):.0f} ms) "
        "of the same form with the engine idle"
    )
    print(
        f"bench: flow_steps steps={steps} contacts={CONTACTS} seconds={seconds:.1f} "
        f"loaded_samples={len(loaded)} idle_samples={len(idle)} "
        f"worker_processes={WORKER_PROCESSES}"
    )


if __name__ == "__main__":
    main()
