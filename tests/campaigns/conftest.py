"""Fixtures for campaigns: contacts with consent, lists, and message factories."""

import datetime
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from campaigns import actions, hit_buffer, ratelimit
from campaigns.models import Delivery, Message, Sender
from contacts import actions as contact_actions
from contacts.models import Contact
from lists import actions as list_actions
from lists.models import ContactList
from smoove.models import Account


@pytest.fixture(autouse=True)
def _fresh_redis_state() -> Iterator[None]:
    """Start and end each test with empty rate windows and no hit buffer in Redis."""
    ratelimit.reset()
    hit_buffer.reset()
    yield
    hit_buffer.reset()


def make_contact(
    account: Account, *, consent: tuple[str, ...] = ("email",), **values: Any
) -> Contact:
    outcome = contact_actions.upsert_contact(account, values, source="test")
    contact = outcome.contact
    assert contact is not None
    for channel in consent:
        contact_actions.record_consent(
            account,
            contact,
            channel=channel,
            status="granted",
            source="test",
            wording="I agree to receive newsletters.",
        )
    return contact


def make_list(account: Account, name: str, contacts: list[Contact] = ()) -> ContactList:  # type: ignore[assignment]
    contact_list = list_actions.create_list(account, name=name)
    list_actions.add_contacts(account, contact_list, list(contacts), source="test")
    return contact_list


def email_message(account: Account, **values: Any) -> Message:
    defaults: dict[str, Any] = {
        "name": "ניוזלטר",
        "subject": "פרסומת: [[שם פרטי|לקוח יקר]] – ביקשת? קיבלת!",
        "preheader": "מבצעים לשבוע",
        "blocks": [
            {"id": "h1", "type": "heading", "text": "שלום [[first_name|חבר]]"},
            {
                "id": "t1",
                "type": "text",
                "text": "פסקה לכולם. [לחנות](https://shop.example.co.il/?ref=news)",
            },
        ],
        "is_advertising": True,
        "sender_name": "חנות הפרחים",
        "sender_email": "news@flowers.example.co.il",
    }
    defaults.update(values)
    if defaults.get("sender_email"):
        # Emails leave only from verified addresses; tests stand for an
        # account that confirmed the address it sends from.
        verified_sender(account, defaults["sender_email"], defaults.get("sender_name") or "")
    return actions.save_message(account, None, defaults, channel="email")


def verified_sender(account: Account, email: str, name: str = "", **values: Any) -> Sender:
    return actions.add_verified_sender(account, name=name or account.name, email=email, **values)


@pytest.fixture
def sender_account(account: Account) -> Account:
    verified_sender(account, "dana@flowers.example.co.il", "חנות הפרחים של דנה", make_default=True)
    account.refresh_from_db()
    return account


BROWSER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
LINK_RE = re.compile(r'href="http://127\.0\.0\.1:8000(/t/c/[^"]+)"')
PIXEL_RE = re.compile(r'src="http://127\.0\.0\.1:8000(/t/o/[^"]+)"')


def html_of(received: Any) -> str:
    return received.get_body(preferencelist=("html",)).get_content()


def tracked_links(received: Any) -> list[str]:
    """Return the paths of the tracked links in a received email, in order, the trap last."""
    return [html.unescape(path) for path in LINK_RE.findall(html_of(received))]


def pixel_path(received: Any) -> str:
    return html.unescape(PIXEL_RE.findall(html_of(received))[0])


def as_if_sent_earlier(minutes: int = 10) -> None:
    """Move every delivery's send time back, so clicks are not taken for a scanner's."""
    Delivery.objects.update(sent_at=timezone.now() - datetime.timedelta(minutes=minutes))
