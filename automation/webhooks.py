"""Webhook calls from flows: public addresses only, a short timeout, every attempt kept.

The address guard resolves the host and refuses it when any address is
loopback, private, link-local (which covers the 169.254.169.254 metadata
service), multicast, reserved or unspecified, so a marketer cannot make
the workers reach the internal network.
"""

import ipaddress
import json
import logging
import socket
import urllib.parse
from typing import Any

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _

from automation.models import WebhookAttempt
from automation.nodes.base import Step, StepError, TransientStepError

logger = logging.getLogger(__name__)

# Seconds to connect and to read the response. A flow step keeps its batch's
# transaction open while it waits, so both stay short.
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 5
MAX_RESPONSE_CHARS = 2000
# Metadata services on addresses that ipaddress counts as global.
BLOCKED_ADDRESSES = frozenset({ipaddress.ip_address("fd00:ec2::254")})


class AddressRefused(Exception):
    """The webhook's host is not a public address, with the reason as the message."""


def allows_private_addresses() -> bool:
    """Return whether tests relaxed the guard, to call a server of their own on 127.0.0.1."""
    return bool(getattr(settings, "AUTOMATION_WEBHOOK_ALLOW_PRIVATE", False))


def url_problem(url: str) -> str | None:
    """Return why the address cannot be a webhook without resolving it, or None."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return _("the address must start with https:// and name a host.")
    if parsed.username or parsed.password:
        return _("the address must not contain a user name or password.")
    try:
        address = ipaddress.ip_address(parsed.hostname)
    except ValueError:
        return None
    return (
        None
        if is_public(address) or allows_private_addresses()
        else _("the address is not public.")
    )


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and address not in BLOCKED_ADDRESSES


def check_host(host: str, port: int) -> list[str]:
    """Resolve host and return its addresses; raise AddressRefused if any is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AddressRefused(_("The host %(host)s was not found.") % {"host": host}) from exc
    addresses = sorted({str(info[4][0]) for info in infos})
    if allows_private_addresses():
        return addresses
    for text in addresses:
        if not is_public(ipaddress.ip_address(text.split("%")[0])):
            raise AddressRefused(
                _("The host %(host)s resolves to %(address)s, which is not a public address.")
                % {"host": host, "address": text}
            )
    return addresses


def payload_of(step: Step) -> dict[str, Any]:
    contact = step.contact
    return {
        "flow_id": step.flow_id,
        "node_id": step.node_id,
        "enrollment_id": step.enrollment_id,
        "event": step.trigger_data,
        "contact": {
            "id": contact.pk,
            "email": contact.email,
            "mobile": contact.mobile,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "city": contact.city,
            "external_id": contact.external_id,
            "fields": contact.fields,
        },
        "sent_at": timezone.now(),
    }


def deliver(step: Step, url: str) -> int:
    """POST the step's payload to url and return the status code.

    Raise StepError for a refused address or a 4xx (retrying cannot help)
    and TransientStepError for a timeout, a connection error or a 5xx. The
    attempt row travels on the exception, because the engine rolls back the
    step before it records the failure.

    NOTE: the host is resolved twice, by the guard and by the HTTP client,
    so a DNS answer that changes in between (DNS rebinding) is not caught.
    Connecting to the checked address would close that gap.
    """
    parsed = urllib.parse.urlsplit(url)
    if step.enrollment_id is None:
        raise StepError(_("A dry run does not call webhooks."))
    attempt = WebhookAttempt(
        account=step.account, enrollment_id=step.enrollment_id, node_id=step.node_id, url=url
    )
    try:
        check_host(parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80))
    except AddressRefused as exc:
        attempt.error = str(exc)
        raise _with_attempt(StepError(str(exc)), attempt) from exc

    body = json.dumps(payload_of(step), cls=DjangoJSONEncoder, ensure_ascii=False)
    key = f"smoove-flow-{step.enrollment_id}-{step.node_id}"
    try:
        response = requests.post(
            url,
            data=body.encode(),
            headers={
                "Content-Type": "application/json",
                "User-Agent": "smoove-webhooks/1",
                # The same key on every retry, so the receiver can drop repeats.
                "Idempotency-Key": key,
            },
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            allow_redirects=False,
        )
    except requests.Timeout as exc:
        attempt.error = _("The webhook timed out.")
        raise _with_attempt(TransientStepError(attempt.error), attempt) from exc
    except requests.ConnectionError as exc:
        attempt.error = _("The webhook's server could not be reached.")
        raise _with_attempt(TransientStepError(attempt.error), attempt) from exc

    attempt.status_code = response.status_code
    attempt.response_body = response.text[:MAX_RESPONSE_CHARS]
    if response.status_code >= 500:
        attempt.error = _("The webhook answered %(status)d.") % {"status": response.status_code}
        logger.warning(
            "webhook failed, will retry",
            extra={"account_id": step.account.pk, "status": response.status_code},
        )
        raise _with_attempt(TransientStepError(attempt.error), attempt)
    if response.status_code >= 400:
        attempt.error = _("The webhook answered %(status)d.") % {"status": response.status_code}
        raise _with_attempt(StepError(attempt.error), attempt)
    attempt.save()
    return response.status_code


def _with_attempt(exc: Exception, attempt: WebhookAttempt) -> Exception:
    exc.attempt = attempt  # type: ignore[attr-defined]
    return exc
