"""A marketer adds a sender address, confirms it from the email, and makes it the default."""

import re

import pytest

from campaigns.models import Sender
from tests.browser.support import screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINK_RE = re.compile(r"http://127\.0\.0\.1:8000(/senders/verify/[^/\s]+/)")


def test_add_confirm_and_default_a_sender(page, owner, account, mailbox):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_url(re.compile(r".*/$"))

    page.goto("/settings/")
    page.click("[data-testid=senders-link]")
    page.wait_for_selector("[data-testid=default-unverified]")
    page.fill("#sender-name", "יהב – מכירות")
    page.fill("#sender-email", "yahav@shop.example.co.il")
    page.click("[data-testid=add-sender-submit]")
    page.wait_for_selector("[data-testid=sender-row][data-address='yahav@shop.example.co.il']")
    assert page.locator("[data-testid=sender-status]").inner_text() == "טרם אושר"
    screenshot(page, "campaigns-senders-waiting")

    body = mailbox.messages[0].get_body(preferencelist=("plain",)).get_content()
    page.goto(LINK_RE.search(body).group(1))
    assert not Sender.objects.get(account=account).is_verified
    page.click("[data-testid=confirm-sender]")
    page.wait_for_selector("[data-testid=sender-verified]")
    assert Sender.objects.get(account=account).is_verified

    page.goto("/campaigns/senders/")
    page.click("[data-testid=sender-make-default]")
    page.wait_for_selector("[data-testid=sender-default]")
    assert page.locator("[data-testid=default-unverified]").count() == 0
    screenshot(page, "campaigns-senders-default")
    account.refresh_from_db()
    assert account.default_sender_email == "yahav@shop.example.co.il"
