"""The condition builder and the contact card in real Chromium, through htmx."""

import re

import pytest
from django.conf import settings

from contacts import actions as contact_actions
from contacts.models import FieldType
from lists import actions, queries
from lists.models import ContactList, ListKind
from smoove.middleware import LANGUAGE_SESSION_KEY
from tests.browser.support import screenshot
from tests.conftest import client_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_contact(account, email, **values):
    return contact_actions.upsert_contact(
        account, {"email": email, **values}, source="manual"
    ).contact


@pytest.fixture
def people(account):
    contact_actions.create_custom_field(
        account, label="Visits", key="visits", type=FieldType.NUMBER
    )
    return {
        "dana": add_contact(account, "dana@example.com", city="חולון", visits=12),
        "avi": add_contact(account, "avi@example.com", city="חיפה", visits=2),
        "tal": add_contact(account, "tal@example.com", city="חולון", visits=5),
    }


@pytest.fixture
def signed_in(page, owner, live_server):
    """Sign the owner in through a test client's session cookie, in English."""
    client = client_for(owner)
    session = client.session
    session[LANGUAGE_SESSION_KEY] = "en"
    session.save()
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key}
    page.context.add_cookies([{**cookie, "url": live_server.url}])
    return page


def settle(tab):
    """Wait until htmx has no request in flight, so a re-render cannot undo typing."""
    tab.wait_for_function("() => !document.querySelector('.htmx-request')")


def count_text(tab):
    return tab.locator('[data-testid="condition-count"]').inner_text()


def test_builder_edits_rows_and_counts_live(signed_in, account, people):
    tab = signed_in

    tab.goto("/lists/new/?kind=dynamic")
    tab.fill("#id_name", "Loyal in Holon")
    tab.select_option("[name=rules-0-field]", "city")
    settle(tab)
    tab.fill("[name=rules-0-value]", "חולון")
    tab.wait_for_function(
        "() => document.querySelector('[data-testid=condition-count]')?.innerText.startsWith('2 ')"
    )

    tab.click("text=Add a rule")
    settle(tab)
    tab.wait_for_selector("[name=rules-1-field]")
    tab.select_option("[name=rules-1-field]", "visits")
    settle(tab)
    tab.wait_for_selector("[name=rules-1-value][type=number]")
    tab.select_option("[name=rules-1-op]", "lt")
    settle(tab)
    tab.fill("[name=rules-1-value]", "10")
    tab.locator("[name=rules-1-value]").press("Tab")
    tab.wait_for_function(
        "() => document.querySelector('[data-testid=condition-count]')?.innerText.startsWith('1 ')"
    )
    screenshot(tab, "list-builder")

    tab.locator('[data-testid="rule"][data-index="0"] >> text=Remove this rule').click()
    tab.wait_for_function("() => document.querySelectorAll('[data-testid=rule]').length === 1")
    tab.wait_for_function(
        "() => document.querySelector('[data-testid=condition-count]')?.innerText.startsWith('2 ')"
    )
    assert re.match(r"2 contacts match", count_text(tab))

    tab.click("text=Create the list")
    tab.wait_for_url(re.compile(r"/lists/\d+/$"))
    created = ContactList.objects.get(account=account, name="Loyal in Holon")
    assert created.kind == ListKind.DYNAMIC
    assert created.conditions == {
        "match": "all",
        "rules": [{"type": "field", "field": "visits", "op": "lt", "value": 10}],
    }
    members = sorted(queries.members_of_list(created).values_list("email", flat=True))
    assert members == ["avi@example.com", "tal@example.com"]


def test_card_adds_and_removes_a_list(signed_in, account, people):
    tab = signed_in
    newsletter = actions.create_list(account, name="Newsletter")
    contact = people["dana"]

    tab.goto(f"/contacts/{contact.pk}/")
    tab.click("text=Add to a list")
    tab.click('[data-testid="joinable-lists"] >> text=Newsletter')
    tab.wait_for_url(f"**/contacts/{contact.pk}/")
    assert queries.is_member(newsletter, contact)
    screenshot(tab, "contact-card")

    tab.click("text=Remove from “Newsletter”")
    tab.wait_for_url(f"**/contacts/{contact.pk}/")
    assert not queries.is_member(newsletter, contact)
