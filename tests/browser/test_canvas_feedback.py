"""Feedback the canvas gives a first-time marketer: failures, problems, versions, and its own words."""

import re
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from automation import actions as flow_actions
from automation.models import Enrollment, EnrollmentState, Flow
from campaigns import actions as campaign_actions
from contacts import actions as contact_actions
from tests.automation.conftest import run_engine
from tests.browser.support import screenshot
from tests.browser.test_canvas import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def graph(*nodes: dict[str, Any], edges: tuple[tuple[str, str, str], ...] = ()) -> dict[str, Any]:
    return {
        "nodes": list(nodes),
        "edges": [{"source": s, "target": t, "branch": b} for s, t, b in edges],
    }


def step(node_id: str, type_: str, x: int, y: int, **settings: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "settings": settings, "position": {"x": x, "y": y}}


def boxes_overlap(first: dict[str, float], second: dict[str, float]) -> bool:
    return (
        first["x"] < second["x"] + second["width"]
        and second["x"] < first["x"] + first["width"]
        and first["y"] < second["y"] + second["height"]
        and second["y"] < first["y"] + first["height"]
    )


def test_failed_step_shows_reason_and_retries(page: Any, owner: Any, account: Any) -> None:
    campaign_actions.add_verified_sender(
        account, name="חנות הפרחים", email="dana@flowers.example.co.il", make_default=True
    )
    message = campaign_actions.save_message(
        account,
        None,
        {"name": "תודה", "subject": "פרסומת: תודה שנרשמת!", "is_advertising": True},
        channel="email",
    )
    flow = flow_actions.create_flow(
        account,
        {
            "name": "תודה",
            "graph": graph(
                step("t", "contact_created", 300, 40),
                step("mail", "send_message", 300, 220, message_id=message.pk),
                edges=(("t", "mail", "next"),),
            ),
        },
    )
    flow_actions.activate_flow(account, flow)
    # The subject loses its word after activation, so the send step fails.
    message.subject = "תודה שנרשמת!"
    message.save(update_fields=["subject"])
    contact_actions.upsert_contact(account, {"email": "visitor@example.com"}, source="test")
    # A worker parks in the site's default language, whatever an earlier
    # test left active in this process.
    with translation.override(settings.LANGUAGE_CODE):
        run_engine()
    assert Enrollment.objects.get(flow=flow).state == EnrollmentState.PARKED

    sign_in(page, owner.email)
    page.goto(f"/automation/flows/{flow.pk}/")
    page.locator("[data-testid=node-mail] .fnode-kind").click()
    reasons = page.locator("[data-testid=failed-reasons]")
    reasons.wait_for()

    assert "הנושא של מייל פרסומת חייב להתחיל במילה" in reasons.inner_text()
    assert "איש קשר אחד" in reasons.inner_text()
    assert "compliance" not in reasons.inner_text()
    # The check run on load names the same problem on the step, before activation.
    assert "פרסומת" in page.inner_text("[data-testid=problems-mail]")
    screenshot(page, "canvas-failed-reasons")
    page.click("[data-testid=retry-failed]")
    page.wait_for_selector("[data-testid=notice].notice-ok")
    assert Enrollment.objects.get(flow=flow).state == EnrollmentState.ACTIVE


def test_resume_keeps_published_version(page: Any, owner: Any, account: Any) -> None:
    flow = flow_actions.create_flow(
        account,
        {
            "name": "השהיה",
            "graph": graph(
                step("t", "contact_created", 300, 40),
                step("x", "exit", 300, 220),
                edges=(("t", "x", "next"),),
            ),
        },
    )
    flow_actions.activate_flow(account, flow)
    flow_actions.pause_flow(account, flow)
    edited = graph(step("t", "contact_created", 300, 40), step("x", "exit", 300, 220))
    edited["edges"] = flow.graph["edges"]
    edited["nodes"][0]["label"] = "כל איש קשר חדש"
    flow_actions.update_flow(account, flow, {"graph": edited})

    sign_in(page, owner.email)
    page.goto(f"/automation/flows/{flow.pk}/")
    page.wait_for_selector("[data-testid=unpublished-help]")
    assert page.inner_text("[data-testid=publish]") == "פרסום השינויים"
    page.click("[data-testid=resume]")
    page.wait_for_selector("[data-testid=flow-state][data-state=active]")

    flow.refresh_from_db()
    assert flow.versions.count() == 1
    assert flow.current_version is not None
    assert flow.current_version.graph != flow.graph
    assert page.locator("[data-testid=publish]").count() == 1
    assert page.locator("[data-testid=activate]").count() == 0


def test_activation_lists_step_problems(page: Any, owner: Any, account: Any) -> None:
    flow = flow_actions.create_flow(
        account,
        {
            "name": "חסר ענף",
            "graph": graph(
                step("t", "contact_created", 300, 40),
                step("c", "form_status", 300, 220, status="submitted"),
                step("x", "exit", 300, 420),
                edges=(("t", "c", "next"), ("c", "x", "no")),
            ),
        },
    )

    sign_in(page, owner.email)
    page.goto(f"/automation/flows/{flow.pk}/")
    # The saved draft's problems show on opening, without a save.
    page.wait_for_selector("[data-testid=problems-c]")
    page.click("[data-testid=activate]")
    notice = page.locator("[data-testid=notice].notice-error")
    notice.wait_for()

    listed = notice.locator("[data-testid=step-problems]").inner_text()
    assert "סטטוס טופס" in listed
    assert "הענף “yes” לא מחובר לצעד הבא." in listed
    assert "בצעד אחד יש בעיות" in notice.inner_text()
    screenshot(page, "canvas-activation-problems")
    assert Flow.objects.get(pk=flow.pk).state == "draft"


def test_canvas_speaks_hebrew_and_places_steps_apart(page: Any, owner: Any, account: Any) -> None:
    flow = flow_actions.create_flow(
        account,
        {
            "name": "המתנה",
            "graph": graph(
                step("t", "contact_created", 300, 40),
                step("wait", "wait", 300, 220, mode="duration", amount=1, unit="days"),
                edges=(("t", "wait", "next"),),
            ),
        },
    )

    sign_in(page, owner.email)
    page.goto(f"/automation/flows/{flow.pk}/")
    page.wait_for_selector("[data-testid=node-wait]")

    # Counted words take the right Hebrew form.
    assert page.inner_text("[data-testid=node-wait] .fnode-summary") == "יום אחד"
    page.locator("[data-testid=node-wait] .fnode-kind").click()
    page.fill("#setting-amount", "2")
    assert page.inner_text("[data-testid=node-wait] .fnode-summary") == "2 ימים"
    page.select_option("#setting-unit", "hours")
    page.fill("#setting-amount", "1")
    assert page.inner_text("[data-testid=node-wait] .fnode-summary") == "שעה אחת"

    # React Flow's controls and connections are labelled in Hebrew.
    assert page.get_attribute(".react-flow__controls-zoomin", "title") == "הגדלה"
    assert page.get_attribute(".react-flow__controls-zoomout", "aria-label") == "הקטנה"
    assert page.get_attribute(".react-flow__controls", "aria-label") == "פקדי זום"
    edge_label = page.get_attribute(".react-flow__edge", "aria-label") or ""
    assert edge_label.startswith("חיבור מ")
    assert "Edge" not in edge_label

    # Fit to screen does not blow a small flow up past its natural size.
    page.click("[data-testid=fit-view]")
    page.wait_for_timeout(400)
    transform = page.get_attribute(".react-flow__viewport", "style") or ""
    zoom = re.search(r"scale\(([\d.]+)\)", transform)
    assert zoom is not None
    scale = float(zoom.group(1))
    assert scale <= 1

    # A notice floats over the canvas instead of pushing it down.
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=notice]")
    with_notice = page.locator("[data-testid=pane]").bounding_box()["y"]
    page.click("[data-testid=notice-close]")
    page.wait_for_selector("[data-testid=notice]", state="detached")
    assert page.locator("[data-testid=pane]").bounding_box()["y"] == with_notice

    # A palette click puts the new step where no step is.
    page.click("[data-testid=settings-close]")
    for _ in range(3):
        before = page.locator(".fnode").count()
        page.click("[data-testid=palette-exit]")
        page.wait_for_function(f"document.querySelectorAll('.fnode').length === {before + 1}")
    boxes = [
        box
        for box in page.locator(".fnode").evaluate_all(
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return {x: r.x, y: r.y, width: r.width, height: r.height}; })"
        )
    ]
    for index, first in enumerate(boxes):
        for second in boxes[index + 1 :]:
            assert not boxes_overlap(first, second), (first, second)
    screenshot(page, "canvas-palette-placement")
