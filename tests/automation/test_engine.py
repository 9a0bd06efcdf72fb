"""The engine: versions, re-entry, waits, date triggers across DST, pausing, failures."""

import datetime
import json
import socket
import threading
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from automation import actions, engine, webhooks
from automation.models import Enrollment, EnrollmentState, StepRecord, WebhookAttempt
from contacts import actions as contact_actions
from tests.automation.conftest import create_flow, edge, node, run_engine

pytestmark = pytest.mark.django_db
ZONE = zoneinfo.ZoneInfo("Asia/Jerusalem")
DAY = datetime.timedelta(days=1)


def new_contact(account, email, **values):
    return contact_actions.upsert_contact(
        account, {"email": email, **values}, source="test"
    ).contact


def tag_flow(api_client, account, **values):
    contact_actions.create_custom_field(account, label="תגית", key="tag", type="text")
    return create_flow(
        api_client,
        [
            node("t", "custom_event", name="visit"),
            node("tag", "update_field", field="tag", operation="set", value="v1"),
            node("w", "wait", mode="duration", amount=1, unit="days"),
            node("after", "update_field", field="city", operation="set", value="אחרי"),
        ],
        [edge("t", "tag"), edge("tag", "w"), edge("w", "after")],
        **values,
    )


def visit(account, contact):
    contact_actions.record_event(account, contact, "custom", {"name": "visit", "properties": {}})


def test_reentry_once_enrolls_a_contact_once(api_client, account):
    flow = tag_flow(api_client, account)
    contact = new_contact(account, "a@example.com")

    visit(account, contact)
    visit(account, contact)
    run_engine()
    visit(account, contact)
    run_engine()

    assert Enrollment.objects.filter(flow=flow, contact=contact).count() == 1


def test_reentry_every_time_enrolls_each_event(api_client, account):
    flow = tag_flow(api_client, account, reentry="every_time")
    contact = new_contact(account, "a@example.com")

    visit(account, contact)
    visit(account, contact)
    run_engine()

    assert Enrollment.objects.filter(flow=flow, contact=contact).count() == 2


def test_reentry_once_per_days(api_client, account):
    flow = tag_flow(api_client, account, reentry="once_per_days", reentry_days=7)
    contact = new_contact(account, "a@example.com")
    visit(account, contact)
    run_engine()
    visit(account, contact)
    run_engine()
    assert Enrollment.objects.filter(flow=flow, contact=contact).count() == 1

    Enrollment.objects.filter(flow=flow).update(entered_at=timezone.now() - 8 * DAY)
    visit(account, contact)
    run_engine()

    assert Enrollment.objects.filter(flow=flow, contact=contact).count() == 2


def test_replayed_events_enroll_nobody_twice(api_client, account):
    flow = tag_flow(api_client, account, reentry="every_time")
    contact = new_contact(account, "a@example.com")
    visit(account, contact)
    run_engine()

    engine.TriggerCursor.objects.update(last_event_id=0)
    run_engine()

    assert Enrollment.objects.filter(flow=flow, contact=contact).count() == 1


def test_waiting_contacts_move_to_new_version_by_node_id(api_client, account):
    flow = tag_flow(api_client, account)
    waiting = new_contact(account, "w@example.com")
    visit(account, waiting)
    start = timezone.now()
    run_engine(start)
    first = Enrollment.objects.get(contact=waiting)
    assert (first.node_id, first.state, first.version.number) == ("w", "waiting", 1)

    # The marketer changes the last step and activates again.
    graph = flow.graph
    graph["nodes"][3]["settings"]["value"] = "גרסה 2"
    api_client.patch(f"/api/v1/flows/{flow.pk}/", {"graph": graph}, content_type="application/json")
    assert api_client.post(f"/api/v1/flows/{flow.pk}/activate/").json()["version"] == 2
    newcomer = new_contact(account, "n@example.com")
    visit(account, newcomer)
    run_engine(start + DAY + datetime.timedelta(minutes=1))

    waiting.refresh_from_db()
    assert Enrollment.objects.get(contact=waiting).version.number == 2
    assert waiting.city == "גרסה 2"
    assert Enrollment.objects.get(contact=newcomer).version.number == 2


def test_contacts_on_removed_node_finish_on_their_version(api_client, account):
    flow = tag_flow(api_client, account)
    contact = new_contact(account, "w@example.com")
    visit(account, contact)
    start = timezone.now()
    run_engine(start)

    graph = flow.graph
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != "w"]
    graph["edges"] = [edge("t", "tag"), edge("tag", "after")]
    api_client.patch(f"/api/v1/flows/{flow.pk}/", {"graph": graph}, content_type="application/json")
    api_client.post(f"/api/v1/flows/{flow.pk}/activate/")
    run_engine(start + DAY + datetime.timedelta(minutes=1))

    enrollment = Enrollment.objects.get(contact=contact)
    contact.refresh_from_db()
    assert enrollment.version.number == 1
    assert enrollment.state == EnrollmentState.COMPLETED
    assert contact.city == "אחרי"


def test_pause_holds_and_resume_continues(api_client, account):
    flow = tag_flow(api_client, account)
    contact = new_contact(account, "p@example.com")
    visit(account, contact)
    start = timezone.now()
    run_engine(start)

    actions.pause_flow(account, flow)
    run_engine(start + 2 * DAY)
    assert Enrollment.objects.get(contact=contact).state == EnrollmentState.WAITING

    actions.activate_flow(account, flow)
    run_engine(start + 2 * DAY)
    assert Enrollment.objects.get(contact=contact).state == EnrollmentState.COMPLETED
    assert flow.versions.count() == 1


def test_archive_ends_waiting_contacts(api_client, account):
    flow = tag_flow(api_client, account)
    contact = new_contact(account, "p@example.com")
    visit(account, contact)
    run_engine()

    actions.archive_flow(account, flow)

    assert Enrollment.objects.get(contact=contact).state == EnrollmentState.ENDED


def test_a_step_runs_once_when_batch_is_run_again(api_client, account):
    contact_actions.create_custom_field(account, label="נקודות", key="points", type="number")
    create_flow(
        api_client,
        [
            node("t", "custom_event", name="visit"),
            node("inc", "update_field", field="points", operation="increment", value=1),
        ],
        [edge("t", "inc")],
    )
    contact = new_contact(account, "once@example.com")
    visit(account, contact)
    run_engine()
    run_engine()
    Enrollment.objects.update(wake_at=timezone.now())  # as if a crashed tick left it due
    run_engine()

    contact.refresh_from_db()
    assert contact.fields["points"] == 1
    assert StepRecord.objects.filter(node_id="inc").count() == 1


def test_wait_ends_early_on_awaited_event(api_client, account):
    contact_actions.create_custom_field(account, label="תגית", key="tag", type="text")
    create_flow(
        api_client,
        [
            node("t", "custom_event", name="visit"),
            node("w", "wait", mode="duration", amount=7, unit="days", wake_on="purchase"),
            node("tag", "update_field", field="tag", operation="set", value="woke"),
        ],
        [edge("t", "w"), edge("w", "tag")],
    )
    contact = new_contact(account, "e@example.com")
    visit(account, contact)
    run_engine()
    contact_actions.record_event(account, contact, "custom", {"name": "purchase", "properties": {}})
    run_engine()

    contact.refresh_from_db()
    assert contact.fields.get("tag") == "woke"


@pytest.mark.parametrize(
    ("day", "before_utc", "at_utc"),
    [
        # Winter (UTC+2) on Thursday 27 March 2025; summer (UTC+3) from Friday 28 March.
        (datetime.date(2025, 3, 27), datetime.time(6, 59), datetime.time(7, 0)),
        (datetime.date(2025, 3, 28), datetime.time(5, 59), datetime.time(6, 0)),
        (datetime.date(2025, 3, 29), datetime.time(5, 59), datetime.time(6, 0)),
    ],
)
def test_date_trigger_keeps_local_time_across_dst(api_client, account, day, before_utc, at_utc):
    contact_actions.create_custom_field(account, label="חידוש", key="renewal", type="date")
    contact = new_contact(account, "r@example.com", renewal=day.isoformat())
    create_flow(
        api_client,
        [
            node("t", "date_reached", mode="field", field="renewal", time="09:00"),
            node("tag", "update_field", field="city", operation="set", value="חודש"),
        ],
        [edge("t", "tag")],
    )

    run_engine(datetime.datetime.combine(day, before_utc, tzinfo=datetime.UTC))
    assert Enrollment.objects.count() == 0
    run_engine(datetime.datetime.combine(day, at_utc, tzinfo=datetime.UTC))

    enrollment = Enrollment.objects.get(contact=contact)
    assert enrollment.entered_at.astimezone(ZONE).time() == datetime.time(9, 0)


def test_yearly_birthday_trigger_with_offset(api_client, account):
    contact = new_contact(account, "b@example.com", birthday="1990-06-15")
    create_flow(
        api_client,
        [
            node(
                "t",
                "date_reached",
                mode="field",
                field="birthday",
                offset_days=-3,
                yearly=True,
                time="10:00",
            ),
            node("x", "exit"),
        ],
        [edge("t", "x")],
    )

    run_engine(datetime.datetime(2025, 6, 11, 10, 0, tzinfo=ZONE))
    assert Enrollment.objects.count() == 0
    run_engine(datetime.datetime(2025, 6, 12, 10, 0, tzinfo=ZONE))

    assert Enrollment.objects.get().contact == contact


# The webhook guard, tested on the check with an injected resolver.


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fd00:ec2::254",
        "0.0.0.0",  # noqa: S104 - an address the guard must refuse; nothing binds it
        "::ffff:127.0.0.1",
    ],
)
def test_webhook_guard_refuses_non_public_addresses(address):
    with pytest.raises(webhooks.AddressRefused):
        webhooks.check_host("hooks.example.com", 443, lambda host, port: [address])


def test_webhook_guard_refuses_a_host_with_one_private_address_among_public_ones():
    with pytest.raises(webhooks.AddressRefused, match="10.0.0.7"):
        webhooks.check_host(
            "hooks.example.com", 443, lambda host, port: ["93.184.216.34", "10.0.0.7"]
        )


def test_webhook_guard_refuses_a_host_that_is_not_found():
    def not_found(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "not found")

    with pytest.raises(webhooks.AddressRefused, match="not found"):
        webhooks.check_host("hooks.example.com", 443, not_found)


def test_webhook_guard_accepts_public_address():
    assert webhooks.check_host(
        "hooks.example.com", 443, lambda host, port: ["93.184.216.34", "2606:2800:220:1::1"]
    ) == ["93.184.216.34", "2606:2800:220:1::1"]


def test_webhook_step_to_loopback_is_parked_without_a_connection(api_client, account):
    create_flow(
        api_client,
        [
            node("t", "custom_event", name="visit"),
            node("h", "webhook", url="http://localhost:9/hook"),
        ],
        [edge("t", "h")],
    )
    visit(account, new_contact(account, "h@example.com"))

    run_engine()

    enrollment = Enrollment.objects.get()
    assert enrollment.state == EnrollmentState.PARKED
    assert "not a public address" in enrollment.parked_reason


class Receiver:
    """A webhook receiver on 127.0.0.1 that returns the given statuses in turn."""

    def __init__(self, statuses):
        self.bodies = []
        self.keys = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                receiver.bodies.append(
                    json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                )
                receiver.keys.append(self.headers["Idempotency-Key"])
                status = statuses.pop(0) if statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_webhook_retries_5xx_then_delivers(api_client, account, settings):
    settings.AUTOMATION_WEBHOOK_ALLOW_PRIVATE = True
    receiver = Receiver([503])
    try:
        create_flow(
            api_client,
            [node("t", "custom_event", name="visit"), node("h", "webhook", url=receiver.url)],
            [edge("t", "h")],
        )
        contact = new_contact(account, "w@example.com", first_name="דנה")
        visit(account, contact)
        start = timezone.now()
        run_engine(start)
        assert Enrollment.objects.get().attempts == 1
        run_engine(start + datetime.timedelta(seconds=engine.RETRY_BASE_SECONDS + 1))
    finally:
        receiver.stop()

    assert Enrollment.objects.get().state == EnrollmentState.COMPLETED
    assert len(receiver.bodies) == 2
    assert receiver.bodies[1]["contact"]["first_name"] == "דנה"
    assert receiver.bodies[1]["event"]["data"]["name"] == "visit"
    assert receiver.keys[0] == receiver.keys[1]
    statuses = list(WebhookAttempt.objects.order_by("pk").values_list("status_code", flat=True))
    assert statuses == [503, 200]


def test_webhook_parks_after_last_attempt(api_client, account, settings):
    settings.AUTOMATION_WEBHOOK_ALLOW_PRIVATE = True
    receiver = Receiver([500] * engine.MAX_ATTEMPTS)
    try:
        flow = create_flow(
            api_client,
            [node("t", "custom_event", name="visit"), node("h", "webhook", url=receiver.url)],
            [edge("t", "h")],
        )
        visit(account, new_contact(account, "w@example.com"))
        at = timezone.now()
        for _attempt in range(engine.MAX_ATTEMPTS):
            run_engine(at)
            at += datetime.timedelta(hours=1)
        parked = Enrollment.objects.get()
        assert parked.state == EnrollmentState.PARKED
        assert parked.parked_reason == "The webhook answered 500."

        actions.retry_parked(account, flow)
        run_engine(at)
    finally:
        receiver.stop()

    assert Enrollment.objects.get().state == EnrollmentState.COMPLETED
