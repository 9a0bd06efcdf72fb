"""A marketer builds and publishes a form in Chromium; a visitor signs up in Hebrew."""

import re

import pytest

from contacts import actions as contact_actions
from contacts.models import Contact
from lists import actions as list_actions
from lists.models import ListMembership
from tests.browser.support import screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_url(re.compile(r".*/$"))


def test_marketer_publishes_form_and_visitor_signs_up(page, browser, owner, account):
    contact_actions.create_custom_field(account, label="מקור", key="source", type="text")
    shoes = list_actions.create_list(
        account, name="נעליים", is_public=True, public_description="עדכונים על נעליים חדשות"
    )

    # The marketer builds a form with a hidden field and a public list.
    sign_in(page, owner.email)
    page.goto("/forms/")
    page.fill("#new-form-name", "הרשמה לעדכונים")
    page.locator("form[action$='/forms/new/'] button").click()
    page.wait_for_selector("#fields")
    page.select_option("[data-testid=hidden-field-key]", "source")
    page.fill("[data-testid=hidden-fixed-value]", "טופס 1")
    page.click("[data-testid=add-hidden]")
    page.wait_for_selector("#hidden input[name=fixed_value][value='טופס 1']")
    page.check(f"#lists input[name=offered][value='{shoes.pk}']")
    page.click("[data-testid=save-lists]")
    page.wait_for_selector(f"#lists input[name=offered][value='{shoes.pk}']:checked")
    page.fill("[data-testid=thank-you-title]", "תודה שנרשמת!")
    page.click("[data-testid=save-settings]")
    page.wait_for_selector("[data-testid=thank-you-title][value='תודה שנרשמת!']")
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=public-url]")
    screenshot(page, "forms-builder")

    # ...and a landing page that carries it.
    page.goto("/forms/")
    page.fill("#new-page-name", "מבצע אביב")
    page.locator("form[action$='/forms/pages/new/'] button").click()
    page.wait_for_selector("[data-testid=slot-top]")
    page.select_option("[data-testid=slot-top]", label="הרשמה לעדכונים")
    page.fill("#p-title", "נעליים חדשות הגיעו")
    page.click("[data-testid=save-page]")
    page.click("[data-testid=publish-page]")
    page_url = page.locator("[data-testid=page-url]").get_attribute("href")
    assert page_url

    # A visitor, with no session, fills it in Hebrew and ticks the list.
    visitor_context = browser.new_context(
        base_url=page.url.split("/forms/")[0],
        locale="he-IL",
        viewport={"width": 390, "height": 844},
    )
    visitor = visitor_context.new_page()
    path = "/" + page_url.split("/", 3)[3]
    visitor.goto(path)
    assert visitor.locator("html").get_attribute("dir") == "rtl"
    visitor.fill("input[name=email]", "noa@example.com")
    visitor.fill("input[name=first_name]", "נועה")
    visitor.get_by_label("עדכונים על נעליים חדשות").check()
    screenshot(visitor, "forms-visitor-filled")
    visitor.locator("[data-testid=visitor-form-top] button[type=submit]").click()
    visitor.wait_for_selector("[data-testid=thank-you]")
    assert "תודה שנרשמת!" in visitor.locator("[data-testid=thank-you]").inner_text()
    screenshot(visitor, "forms-visitor-thanks")
    visitor_context.close()

    # The contact shows the hidden value and the list.
    contact = Contact.objects.get(account=account, email="noa@example.com")
    assert contact.first_name == "נועה"
    assert contact.fields["source"] == "טופס 1"
    assert ListMembership.objects.filter(contact=contact, contact_list=shoes).exists()
    page.goto(f"/contacts/{contact.pk}/")
    card = page.locator("main").inner_text()
    assert "טופס 1" in card
    assert "נעליים" in card
    screenshot(page, "forms-contact-card")
