"""Signed tokens for tracking and unsubscribe URLs, and telling scanners from people.

Tokens are short because they go into SMS texts: base-36 ids and the first
10 bytes of an HMAC-SHA256 keyed by SECRET_KEY. They carry ids only, so a
URL reveals nothing about the contact, and the account is found through
the delivery the signature vouches for.
"""

import base64
import datetime
import functools
import hmac
import re

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

SIGNATURE_BYTES = 10
# User agents of mail-security scanners, link checkers and scripts. A match
# marks the hit as a scanner's. Sources: the product names these vendors
# publish; the list is a best effort, not complete.
SCANNER_AGENT_RE = re.compile(
    r"barracuda|mimecast|proofpoint|symantec|messagelabs|trendmicro|fortiguard|sophos|"
    r"safelinks|urldefense|linkscanner|bot\b|spider|crawler|headlesschrome|python-requests|"
    r"python-urllib|curl/|wget/|go-http-client|java/|okhttp|slackbot|facebookexternalhit",
    re.IGNORECASE,
)
# A click this soon after sending is a scanner following links on arrival;
# a person needs longer to open the email and find a button.
MIN_HUMAN_CLICK_SECONDS = 5
# Hits this soon after the hidden trap link was followed belong to the same
# scanner's sweep.
TRAP_WINDOW_SECONDS = 120


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, remainder = divmod(number, 36)
        out = digits[remainder] + out
        if number == 0:
            return out


def _signature(purpose: str, payload: str) -> str:
    digest = salted_hmac(f"campaigns.{purpose}", payload, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).decode().rstrip("=")


def make_token(purpose: str, *ids: int) -> str:
    payload = ".".join(_b36(value) for value in ids)
    return f"{payload}.{_signature(purpose, payload)}"


def read_token(purpose: str, token: str, count: int) -> tuple[int, ...] | None:
    """Return the ids in a token of this purpose, or None when it is forged or malformed."""
    parts = token.split(".")
    if len(parts) != count + 1:
        return None
    payload = ".".join(parts[:-1])
    if not hmac.compare_digest(parts[-1], _signature(purpose, payload)):
        return None
    try:
        return tuple(int(part, 36) for part in parts[:-1])
    except ValueError:
        return None


@functools.cache
def _url_prefix(name: str) -> str:
    """Return SITE_URL plus the route of a public view, up to its token."""
    placeholder = "0"
    path = reverse(f"campaigns_public:{name}", args=[placeholder])
    return settings.SITE_URL + path[: path.rindex(placeholder)]


def click_url(delivery_id: int, link_id: int) -> str:
    return f"{_url_prefix('click')}{make_token('click', delivery_id, link_id)}/"


def open_url(delivery_id: int) -> str:
    return f"{_url_prefix('open')}{make_token('open', delivery_id)}/"


def unsubscribe_url(delivery_id: int) -> str:
    return f"{_url_prefix('unsubscribe')}{make_token('unsubscribe', delivery_id)}/"


def scanner_reason(
    *,
    kind: str,
    user_agent: str,
    sent_at: datetime.datetime | None,
    scanner_seen_at: datetime.datetime | None,
    now: datetime.datetime,
) -> str:
    """Return why a hit looks like a scanner's, or "" when it looks like a person's."""
    if not user_agent.strip():
        return "no_user_agent"
    if SCANNER_AGENT_RE.search(user_agent):
        return "scanner_user_agent"
    if (
        scanner_seen_at is not None
        and abs((now - scanner_seen_at).total_seconds()) <= TRAP_WINDOW_SECONDS
    ):
        return "trap_followed"
    if kind == "click" and sent_at is not None:
        if (now - sent_at).total_seconds() < MIN_HUMAN_CLICK_SECONDS:
            return "too_fast"
    return ""
