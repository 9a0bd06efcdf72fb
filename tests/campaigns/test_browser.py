"""A marketer composes, previews, sends and checks the outbox in Chromium."""

import re
import time

import pytest
from django.utils import translation

from campaigns import tasks
from campaigns.models import Message, OutboxMessage, Send, SendStatus
from contacts import actions as contact_actions
from contacts.queries import field_spec
from tests.browser.support import screenshot
from tests.campaigns.conftest import make_contact, make_list
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_url(re.compile(r".*/$"))


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_compose_preview_send_and_outbox(
    page,
    owner,
    sender_account,
    settings,
    celery_worker,
):
    account = sender_account
    settings.CAMPAIGNS_EMAIL_BACKEND = "outbox"
    contact_actions.create_custom_field(
        account, label="תחומי עניין", key="interests", type="multi_choice", choices=["X", "Y"]
    )
    uri = make_contact(account, email="uri@example.com", first_name="אורי", interests=["X"])
    yael = make_contact(account, email="yael@example.com", first_name="יעל", interests=["Y"])
    make_list(account, "מנויים", [uri, yael])
    coming = make_list(account, "מגיעים")

    sign_in(page, owner.email)
    page.goto("/campaigns/")
    page.fill("#new-name", "ניוזלטר אביב")
    page.locator("[data-testid=new-message] button[type=submit]").click()
    page.wait_for_selector("[data-testid=block-card]")

    page.fill("#id_subject", "פרסומת: שלום ")
    page.focus("#id_subject")
    page.press("#id_subject", "End")
    with translation.override("he"):
        first_name = str(field_spec(account, "first_name").label)
    page.select_option("[data-testid=merge-picker]", label=first_name)
    assert page.input_value("#id_subject") == f"פרסומת: שלום [[{first_name}]]"

    # A paragraph only for contacts interested in X.
    page.click("[data-testid=add-text] >> nth=-1")
    targeted = page.locator("[data-testid=block-card]").nth(1)
    targeted.locator("[data-testid=block-text]").fill("פסקה על מוצר X")
    targeted.locator("[data-testid=rule-toggle]").check()
    targeted = page.locator("[data-testid=block-card]").nth(1)
    targeted.locator("[data-testid=rule-field]").select_option("interests")
    targeted.locator("[data-testid=rule-op]").select_option("contains")
    page.locator("[data-testid=block-card]").nth(1).locator("[data-testid=rule-value]").fill("X")
    assert (
        page.locator("[data-testid=block-card]")
        .nth(1)
        .locator("[data-testid=targeted-mark]")
        .count()
        == 1
    )

    # A smart button that adds the contact to a list.
    page.click("[data-testid=add-button] >> nth=-1")
    button = page.locator("[data-testid=block-card]").nth(2)
    button.locator("[data-testid=block-label]").fill("מגיע/ה")
    button.locator("[data-testid=button-kind]").select_option("add_to_list")
    button = page.locator("[data-testid=block-card]").nth(2)
    button.locator("[data-testid=button-list]").select_option(str(coming.pk))
    button.locator("[data-testid=block-thanks]").fill("נרשמת לאירוע")

    # Drag the button above the targeted paragraph.
    page.locator("[data-testid=block-card]").nth(2).drag_to(
        page.locator("[data-testid=block-card]").nth(1)
    )
    types = page.locator("[data-testid=block-card]").evaluate_all(
        "cards => cards.map(c => c.dataset.type)"
    )
    assert types == ["text", "button", "text"]
    screenshot(page, "campaigns-editor")

    # The preview follows the edits before they are saved.
    page.select_option("[data-testid=preview-contact]", str(uri.pk))
    page.wait_for_function(
        "document.querySelector('#preview iframe')?.getAttribute('srcdoc')"
        "?.includes('פסקה על מוצר X')"
    )
    assert page.locator("[data-testid=preview-subject]").inner_text() == "פרסומת: שלום אורי"
    assert Message.objects.get(account=account, name="ניוזלטר אביב").subject == "פרסומת:"
    page.click("[data-testid=save]")
    page.wait_for_selector(".messages li")

    message = Message.objects.get(account=account, name="ניוזלטר אביב")
    assert [block["type"] for block in message.blocks] == ["text", "button", "text"]
    assert message.blocks[2]["rule"]["rules"][0]["field"] == "interests"
    assert message.blocks[1]["action"] == {"kind": "add_to_list", "list_id": coming.pk}
    assert page.locator("[data-testid=targeted-mark]").count() == 1

    # Preview as each contact, on a phone width too.
    page.select_option("[data-testid=preview-contact]", str(uri.pk))
    page.wait_for_function(
        "document.querySelector('[data-testid=preview-subject]')?.textContent.includes('אורי')"
    )
    assert "פסקה על מוצר X" in page.locator("#preview iframe").get_attribute("srcdoc")
    page.select_option("[data-testid=preview-contact]", str(yael.pk))
    page.wait_for_function(
        "document.querySelector('[data-testid=preview-subject]')?.textContent.includes('יעל')"
    )
    assert "פסקה על מוצר X" not in page.locator("#preview iframe").get_attribute("srcdoc")
    page.check("[data-testid=device-mobile]")
    page.wait_for_selector("iframe.preview-frame.mobile")
    screenshot(page, "campaigns-preview-mobile")

    # Send to the list and open the outbox.
    page.click("[data-testid=go-send]")
    page.get_by_label("מנויים").first.check()
    page.wait_for_selector("[data-testid=estimate]")
    page.click("[data-testid=start-send]")
    page.wait_for_selector("[data-testid=send-progress]")
    send = Send.objects.get(message=message)
    assert wait_for(lambda: Send.objects.get(pk=send.pk).status == SendStatus.RUNNING)
    tasks.tick()
    assert wait_for(lambda: OutboxMessage.objects.filter(account=account).count() == 2)
    assert wait_for(lambda: Send.objects.get(pk=send.pk).status == SendStatus.DONE)
    page.wait_for_selector(
        "[data-testid=send-status]:has-text('נשלח'), [data-testid=send-status]:has-text('Sent')"
    )
    screenshot(page, "campaigns-send-report")

    page.goto("/campaigns/outbox/")
    assert "uri@example.com" in page.locator("[data-testid=outbox]").inner_text()
    page.locator("[data-testid=outbox] a").first.click()
    page.wait_for_selector("[data-testid=outbox-html]")
    screenshot(page, "campaigns-outbox")
    kept = {k.to: k for k in OutboxMessage.objects.filter(account=account)}
    assert "פסקה על מוצר X" in kept["uri@example.com"].html
    assert "פסקה על מוצר X" not in kept["yael@example.com"].html
    assert kept["uri@example.com"].subject == "פרסומת: שלום אורי"


def test_editor_warns_before_leaving_unsaved_edits(page, owner, sender_account):
    from tests.campaigns.conftest import email_message

    message = email_message(sender_account, name="טיוטה")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    sign_in(page, owner.email)
    page.goto(f"/campaigns/{message.pk}/")
    page.fill("#id_subject", "פרסומת: נושא שלא נשמר")
    page.goto("/campaigns/")
    page.remove_listener("dialog", answer)

    assert dialogs == ["beforeunload"]
    message.refresh_from_db()
    assert message.subject != "פרסומת: נושא שלא נשמר"
