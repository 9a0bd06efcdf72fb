"""The automation canvas in Chromium: a marketer builds, checks and runs flows by mouse and keys.

The engine runs in a real Celery worker; a thread of the test enqueues the
engine's tick every second, as Celery beat does every two.
"""

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from automation import actions as flow_actions
from automation.models import Enrollment, EnrollmentState, Flow
from campaigns.models import Message
from contacts import actions as contact_actions
from forms import actions as form_actions
from tests.automation import conftest as automation_fixtures
from tests.automation.conftest import wait_for
from tests.browser.support import screenshot
from tests.campaigns import conftest as campaign_fixtures
from tests.conftest import PASSWORD
from tests.forms.conftest import build_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Fixtures of other test packages, used here by name.
twilio = automation_fixtures.twilio
sender_account = campaign_fixtures.sender_account

BUNDLE = Path(__file__).resolve().parents[2] / "automation/static/automation/canvas/canvas.js"
TICK_EVERY_SECONDS = 1.0
# The canvas polls counts every 3 seconds; the engine needs a tick or two.
COUNTER_TIMEOUT_MS = 30_000


@pytest.fixture(autouse=True)
def _canvas_bundle() -> None:
    assert BUNDLE.exists(), "The canvas bundle is missing: run `make canvas` first."


@pytest.fixture
def engine_beat(celery_worker: Any) -> Iterator[None]:
    """Enqueue the engine's tick every second for the worker, as Celery beat would."""
    from automation.tasks import tick

    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(TICK_EVERY_SECONDS):
            tick.delay()

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=5)


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_url(re.compile(r".*/$"))


def drop(page: Any, node_type: str, x: int, y: int) -> str:
    """Drag a palette item onto the pane at (x, y) of the pane; return the new node's id."""
    before = set(page.locator(".fnode").evaluate_all("els => els.map(e => e.dataset.testid)"))
    page.drag_and_drop(
        f"[data-testid=palette-{node_type}]",
        "[data-testid=pane] .react-flow__pane",
        target_position={"x": x, "y": y},
    )
    page.wait_for_function(f"document.querySelectorAll('.fnode').length === {len(before) + 1}")
    after = set(page.locator(".fnode").evaluate_all("els => els.map(e => e.dataset.testid)"))
    (added,) = after - before
    return str(added).removeprefix("node-")


def connect(page: Any, source: str, branch: str, target: str) -> None:
    """Drag from a node's output handle to another node's input handle."""
    page.drag_and_drop(
        f"[data-testid=handle-{source}-{branch}]",
        f"[data-testid=node-{target}] .fhandle-in",
    )
    # A straight vertical edge has no width, so Playwright never calls it visible.
    page.wait_for_selector(
        f".react-flow__edge[data-testid='rf__edge-{source}:{branch}->{target}']", state="attached"
    )


def open_panel(page: Any, node_id: str) -> None:
    page.locator(f"[data-testid=node-{node_id}] .fnode-kind").click()
    page.wait_for_selector("[data-testid=settings-panel]")


def click_between(page: Any, start: str, end: str) -> None:
    """Click halfway between two elements, on the edge that joins them."""
    first = page.locator(start).bounding_box()
    second = page.locator(end).bounding_box()
    page.mouse.click(
        (first["x"] + first["width"] / 2 + second["x"] + second["width"] / 2) / 2,
        (first["y"] + first["height"] / 2 + second["y"] + second["height"] / 2) / 2,
    )


def entered(page: Any, node_id: str) -> str:
    return str(page.locator(f"[data-testid=entered-{node_id}]").inner_text())


def test_scenario_01_built_on_canvas(
    page,
    browser,
    owner,
    account,
    sender_account,
    mailbox,
    twilio,
    engine_beat,
):
    form = build_form(account, name="הרשמה לניוזלטר", extra_fields=("mobile",))
    form_actions.set_consent(account, form, channel="sms", enabled=True, wording="SMS מסכים/ה")
    landing = form_actions.create_page(account, name="מבצע אביב", form=form)
    form_actions.publish_page(account, landing, True)
    flow = flow_actions.create_flow(account, {"name": "מייל שלא נפתח ← SMS"})

    sign_in(page, owner.email)
    page.goto(f"/automation/flows/{flow.pk}/")
    page.wait_for_selector("[data-testid=palette]")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("[data-testid=pane]").get_attribute("dir") == "ltr"

    # Build the flow from the palette.
    trigger = drop(page, "form_submitted", 330, 60)
    welcome = drop(page, "send_message", 330, 190)
    day = drop(page, "wait", 330, 320)
    opened = drop(page, "email_status", 330, 450)
    sms = drop(page, "send_message", 200, 600)
    assert page.locator(f"[data-testid=node-{opened}] .fnode-kind").inner_text() == "סטטוס מייל"
    assert page.locator(f"[data-testid=branch-{opened}-yes]").inner_text().startswith("כן")
    assert page.locator(f"[data-testid=branch-{opened}-no]").inner_text().startswith("לא")
    connect(page, trigger, "next", welcome)
    connect(page, welcome, "next", day)
    connect(page, day, "next", opened)
    connect(page, opened, "no", sms)

    # Configure each node in the side panel; the messages are written there.
    open_panel(page, trigger)
    page.select_option("#setting-form_id", label="הרשמה לניוזלטר")
    open_panel(page, welcome)
    page.click("[data-testid=message-new]")
    page.select_option("#composer-channel", "email")
    page.fill("#composer-name", "ברוכים הבאים")
    page.fill("#composer-subject", "פרסומת: ברוכים הבאים [[שם פרטי]]")
    page.fill("#composer-body", "שלום [[שם פרטי]], תודה שנרשמת לניוזלטר.")
    page.click("[data-testid=composer-save]")
    page.wait_for_selector("[data-testid=message-composer]", state="detached")
    email = Message.objects.get(account=account, name="ברוכים הבאים")
    assert page.input_value("#setting-message_id") == str(email.pk)
    open_panel(page, day)
    page.select_option("#setting-mode", "duration")
    page.fill("#setting-amount", "1")
    page.select_option("#setting-unit", "days")
    open_panel(page, opened)
    page.select_option("#setting-message_id", str(email.pk))
    page.select_option("#setting-status", "opened")
    open_panel(page, sms)
    page.click("[data-testid=message-new]")
    page.select_option("#composer-channel", "sms")
    page.fill("#composer-name", "מייל מחכה")
    page.fill("#composer-body", "פרסומת: [[שם פרטי]], מייל מחכה לך בתיבה")
    page.click("[data-testid=composer-save]")
    page.wait_for_selector("[data-testid=message-composer]", state="detached")
    text_message = Message.objects.get(account=account, name="מייל מחכה")
    assert text_message.channel == "sms"
    page.click("[data-testid=message-edit]")
    assert page.input_value("#composer-body") == "פרסומת: [[שם פרטי]], מייל מחכה לך בתיבה"
    page.fill("#composer-body", "פרסומת: [[שם פרטי]], מייל מחכה לך בתיבה!")
    page.click("[data-testid=composer-save]")
    page.wait_for_selector("[data-testid=message-composer]", state="detached")
    text_message.refresh_from_db()
    assert text_message.text == "פרסומת: [[שם פרטי]], מייל מחכה לך בתיבה!"
    page.click("[data-testid=settings-close]")

    # Saving shows the engine's complaint on the condition: "yes" leads nowhere.
    page.click("[data-testid=save]")
    problems = page.locator(f"[data-testid=problems-{opened}]")
    problems.wait_for()
    assert "“yes” לא מחובר לצעד הבא" in problems.inner_text()
    assert "has-problem" in (page.locator(f"[data-testid=node-{opened}]").get_attribute("class"))
    saved = Flow.objects.get(pk=flow.pk)
    assert len(saved.graph["nodes"]) == 5
    assert {"source": opened, "target": sms, "branch": "no"} in saved.graph["edges"]
    screenshot(page, "canvas-scenario-01-problem")

    # Fix it: "yes" ends the flow.
    done = drop(page, "exit", 520, 600)
    connect(page, opened, "yes", done)
    page.click("[data-testid=save]")
    page.wait_for_selector(f"[data-testid=problems-{opened}]", state="detached")
    page.click("[data-testid=activate]")
    page.wait_for_selector("[data-testid=flow-state][data-state=active]")
    assert Flow.objects.get(pk=flow.pk).state == "active"
    screenshot(page, "canvas-scenario-01-built")

    # A visitor signs up on the landing page.
    visitor_context = browser.new_context(base_url=page.url.split("/automation/")[0])
    visitor = visitor_context.new_page()
    visitor.goto(f"/p/{landing.public_token}/")
    visitor.fill("input[name=email]", "ruti@example.com")
    visitor.fill("input[name=first_name]", "רותי")
    visitor.fill("input[name=mobile]", "050-1234567")
    for box in visitor.locator("input[type=checkbox]").all():
        box.check()
    visitor.locator("button[type=submit]").first.click()
    visitor.wait_for_selector("[data-testid=thank-you]")
    visitor_context.close()

    # The counters move on the open canvas, and the welcome email arrives.
    page.wait_for_function(
        f"document.querySelector('[data-testid=entered-{trigger}]').textContent === '1'",
        timeout=COUNTER_TIMEOUT_MS,
    )
    page.wait_for_function(
        f"document.querySelector('[data-testid=waiting-{day}]').textContent === '1'",
        timeout=COUNTER_TIMEOUT_MS,
    )
    assert entered(page, welcome) == "1"
    assert wait_for(lambda: len(mailbox.messages) == 1)
    assert mailbox.messages[0]["To"] == "ruti@example.com"
    assert mailbox.messages[0]["Subject"].strip() == "פרסומת: ברוכים הבאים רותי"
    screenshot(page, "canvas-scenario-01-running")

    # A day passes unopened: the SMS goes out and its counter moves.
    Enrollment.objects.filter(flow=flow, state=EnrollmentState.WAITING).update(
        wake_at=timezone.now()
    )
    assert wait_for(lambda: len(twilio.requests) == 1)
    assert twilio.requests[0]["To"] == "+972501234567"
    assert twilio.requests[0]["Body"].startswith("פרסומת: רותי, מייל מחכה לך בתיבה")
    page.wait_for_function(
        f"document.querySelector('[data-testid=entered-{sms}]').textContent === '1'",
        timeout=COUNTER_TIMEOUT_MS,
    )
    assert "(1)" in page.locator(f"[data-testid=branch-{opened}-no]").inner_text()
    screenshot(page, "canvas-scenario-01-sms")

    # Pause and resume from the canvas.
    page.click("[data-testid=pause]")
    page.wait_for_selector("[data-testid=flow-state][data-state=paused]")
    assert Flow.objects.get(pk=flow.pk).state == "paused"
    assert page.inner_text("[data-testid=resume]") == "המשך"
    page.click("[data-testid=resume]")
    page.wait_for_selector("[data-testid=flow-state][data-state=active]")
    assert Flow.objects.get(pk=flow.pk).state == "active"

    # The published version is listed and opens read only, on a laptop screen.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("[data-testid=versions-link]")
    page.locator("[data-testid=versions] a").first.click()
    page.wait_for_selector(f"[data-testid=node-{opened}]")
    assert page.locator("[data-testid=palette]").count() == 0
    assert page.locator("[data-testid=save]").count() == 0
    assert page.locator(".fnode").count() == 6
    screenshot(page, "canvas-scenario-01-version-1366x768")


def test_dry_run_undo_redo_and_keyboard_delete(page, owner, account):
    vip = contact_actions.create_custom_field(account, label="סוג לקוח", key="tier", type="text")
    assert vip.key == "tier"
    contact_actions.upsert_contact(
        account, {"email": "gold@example.com", "first_name": "זהבה", "tier": "vip"}, source="test"
    )
    flow = flow_actions.create_flow(
        account,
        {
            "name": "לפי סוג לקוח",
            "graph": {
                "nodes": [
                    {"id": "t", "type": "contact_created", "position": {"x": 200, "y": 0}},
                    {
                        "id": "vip",
                        "type": "contact_status",
                        "settings": {
                            "match": "all",
                            "rules": [
                                {"type": "field", "field": "tier", "op": "equals", "value": "vip"}
                            ],
                        },
                        "position": {"x": 200, "y": 150},
                    },
                    {
                        "id": "gift",
                        "type": "exit",
                        "label": "מתנה",
                        "position": {"x": 40, "y": 320},
                    },
                    {
                        "id": "plain",
                        "type": "exit",
                        "label": "רגיל",
                        "position": {"x": 360, "y": 320},
                    },
                ],
                "edges": [
                    {"source": "t", "target": "vip", "branch": "next"},
                    {"source": "vip", "target": "gift", "branch": "yes"},
                    {"source": "vip", "target": "plain", "branch": "no"},
                ],
            },
        },
    )

    sign_in(page, owner.email)
    page.goto(f"/automation/flows/{flow.pk}/")
    page.wait_for_selector("[data-testid=node-vip]")

    # The dry run for a VIP contact lights the "yes" path, not the "no" one.
    page.fill("[data-testid=dry-run-search]", "gold")
    page.locator("[data-testid^=dry-run-contact-]").first.click()
    page.wait_for_selector("[data-testid=dry-run-result]")
    page.wait_for_selector("[data-testid=node-gift][data-on-path=true]")
    assert page.get_attribute("[data-testid=node-plain]", "data-on-path") == "false"
    assert page.get_attribute("[data-testid=node-t]", "data-on-path") == "true"
    steps = page.locator("[data-testid=dry-run-steps] li").all_inner_texts()
    assert steps == ["איש הקשר נוצר: הבא", "סטטוס איש קשר: כן", "יציאה מהמסע"]
    yes_edge = page.locator(".react-flow__edge[data-testid='rf__edge-vip:yes->gift']")
    no_edge = page.locator(".react-flow__edge[data-testid='rf__edge-vip:no->plain']")
    assert "on-path" in (yes_edge.get_attribute("class") or "")
    assert "on-path" not in (no_edge.get_attribute("class") or "")
    screenshot(page, "canvas-dry-run")

    # Delete a node with the keyboard, undo it, redo it, undo with the button.
    page.locator("[data-testid=node-plain] .fnode-kind").click()
    page.keyboard.press("Delete")
    page.wait_for_selector("[data-testid=node-plain]", state="detached")
    assert no_edge.count() == 0
    page.keyboard.press("Control+z")
    page.wait_for_selector("[data-testid=node-plain]")
    # React Flow draws an edge only after measuring its nodes, a frame later.
    no_edge.wait_for(state="attached")
    assert no_edge.count() == 1
    page.keyboard.press("Control+Shift+z")
    page.wait_for_selector("[data-testid=node-plain]", state="detached")
    page.click("[data-testid=undo]")
    page.wait_for_selector("[data-testid=node-plain]")

    # Select an edge by clicking it and remove it with Backspace.
    click_between(page, "[data-testid=handle-t-next]", "[data-testid=node-vip] .fhandle-in")
    page.keyboard.press("Backspace")
    page.wait_for_selector(
        ".react-flow__edge[data-testid='rf__edge-t:next->vip']", state="detached"
    )
    page.click("[data-testid=undo]")
    page.wait_for_selector(
        ".react-flow__edge[data-testid='rf__edge-t:next->vip']", state="attached"
    )

    # The clause editor changes the condition's rules.
    page.locator("[data-testid=node-vip] .fnode-kind").click()
    assert page.input_value("[data-testid=setting-rules-rule-0-value]") == "vip"
    page.fill("[data-testid=setting-rules-rule-0-value]", "gold")
    page.click("[data-testid=setting-rules-add-rule]")
    page.select_option("[data-testid=setting-rules-rule-1-field]", "city")
    page.select_option("[data-testid=setting-rules-rule-1-op]", "equals")
    page.fill("[data-testid=setting-rules-rule-1-value]", "חולון")
    page.select_option("#setting-match", "any")

    # Saving keeps what the undo restored and the panel changed.
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=notice].notice-ok")
    saved = Flow.objects.get(pk=flow.pk)
    assert len(saved.graph["edges"]) == 3
    assert {node["id"] for node in saved.graph["nodes"]} == {"t", "vip", "gift", "plain"}
    condition = next(node for node in saved.graph["nodes"] if node["id"] == "vip")
    assert condition["settings"] == {
        "match": "any",
        "rules": [
            {"type": "field", "field": "tier", "op": "equals", "value": "gold"},
            {"type": "field", "field": "city", "op": "equals", "value": "חולון"},
        ],
    }

    # The flow's own settings sit in the side panel when no step is chosen.
    page.click("[data-testid=settings-close]")
    page.select_option("#flow-reentry", "once_per_days")
    page.fill("#flow-reentry-days", "30")
    page.wait_for_selector("[data-testid=unsaved]")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=unsaved]", state="detached")
    saved = Flow.objects.get(pk=flow.pk)
    assert (saved.reentry, saved.reentry_days) == ("once_per_days", 30)

    # A split has one output per branch, each labelled with its share.
    split = drop(page, "split", 700, 60)
    assert page.inner_text(f"[data-testid=branch-{split}-a]").startswith("a · 50%")
    assert page.inner_text(f"[data-testid=branch-{split}-b]").startswith("b · 50%")
    page.click("[data-testid=split-add-branch]")
    page.fill("[data-testid=split-percent-0]", "40")
    page.fill("[data-testid=split-percent-1]", "30")
    page.fill("[data-testid=split-percent-2]", "30")
    page.wait_for_selector("[data-testid=split-total].is-complete")
    assert page.inner_text(f"[data-testid=branch-{split}-c]").startswith("c · 30%")
    connect(page, split, "c", "gift")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=notice].notice-warn")
    saved = Flow.objects.get(pk=flow.pk)
    added = next(node for node in saved.graph["nodes"] if node["id"] == split)
    assert added["settings"]["branches"] == [
        {"key": "a", "percent": 40},
        {"key": "b", "percent": 30},
        {"key": "c", "percent": 30},
    ]
    assert {"source": split, "target": "gift", "branch": "c"} in saved.graph["edges"]

    # Without a mouse, Enter on a palette item adds the step to the view.
    before = page.locator(".fnode").count()
    page.focus("[data-testid=palette-exit]")
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.fnode').length === {before + 1}")
    page.wait_for_selector("[data-testid=settings-panel] h2:has-text('יציאה מהמסע')")
