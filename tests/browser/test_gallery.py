"""The template gallery in Chromium: pick a template, land on its flow's canvas, activate it."""

import re

import pytest

from automation.models import Flow, FlowState
from campaigns import actions as campaign_actions
from tests.browser.support import screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_template_opens_and_activates(page, owner, account):
    # Activation checks that the messages can be sent, from a verified sender.
    campaign_actions.add_verified_sender(
        account, name=account.name, email=account.default_sender_email, make_default=True
    )
    page.goto("/accounts/login/")
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_url(re.compile(r".*/$"))

    page.click("nav.mainnav a[href='/automation/']")
    page.click("[data-testid=template-gallery]")
    page.wait_for_url("**/automation/templates/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    cards = page.locator("article.gallery-card")
    assert cards.count() == 11
    screenshot(page, "gallery-index")

    card = page.locator("[data-testid=template-email_not_opened_sms]")
    assert "המייל נפתח?" in card.inner_text()
    card.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/automation/flows/\d+/$"))

    flow = Flow.objects.get(account=account)
    assert page.url.endswith(f"/automation/flows/{flow.pk}/")
    for node_id in ("signed_up", "welcome", "wait", "opened", "done", "nudge"):
        page.locator(f"[data-testid=node-{node_id}]").wait_for()
    assert page.locator("[data-testid=node-opened] .fnode-caption").inner_text() == "המייל נפתח?"
    # The first node sits above the last: the layout reads top to bottom.
    top = page.locator("[data-testid=node-signed_up]").bounding_box()
    bottom = page.locator("[data-testid=node-nudge]").bounding_box()
    assert top is not None and bottom is not None
    assert top["y"] < bottom["y"]
    screenshot(page, "gallery-template-on-canvas")

    page.click("[data-testid=activate]")
    page.locator("[data-testid=flow-state][data-state=active]").wait_for()
    flow.refresh_from_db()
    assert flow.state == FlowState.ACTIVE
