"""Webhook calls from flows: public addresses only, a short timeout, every attempt kept.

The address guard resolves the host once and refuses it when any address
is loopback, private, link-local (which covers the 169.254.169.254
metadata service), multicast, reserved or unspecified, so a marketer
cannot make the workers reach the internal network. The request then
goes to the address that was checked, with the host name in the Host
header and in TLS (SNI and certificate check), so a DNS answer that
changes between the check and the connection (DNS rebinding) is never
used.
"""

import ipaddress
import json
import logging
import socket
import urllib.parse
from collections.abc import Callable
from typing import Any

import certifi
import urllib3
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


# host, port -> the addresses to check and connect to, most preferred first.
Resolver = Callable[[str, int], list[str]]


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


def resolve_host(host: str, port: int) -> list[str]:
    """Return the host's addresses in the system resolver's order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_host(host: str, port: int, resolver: Resolver | None = None) -> list[str]:
    """Resolve host and return its addresses; raise AddressRefused if any is not public."""
    try:
        addresses = (resolver or resolve_host)(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(_("The host %(host)s was not found.") % {"host": host}) from exc
    if not addresses:
        raise AddressRefused(_("The host %(host)s was not found.") % {"host": host})
    if allows_private_addresses():
        return addresses
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            address = None
        if address is None or not is_public(address):
            raise AddressRefused(
                _("The host %(host)s resolves to %(address)s, which is not a public address.")
                % {"host": host, "address": text}
            )
    return addresses


def post_to_address(
    address: str, url: str, body: bytes, headers: dict[str, str]
) -> urllib3.BaseHTTPResponse:
    """POST body to url over a connection to address, never resolving the URL's host again.

    The Host header, the TLS server name (SNI) and the certificate check
    all use the URL's host, so the receiver sees an ordinary request.
    """
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    https = parsed.scheme == "https"
    port = parsed.port or (443 if https else 80)
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS)
    pool: urllib3.HTTPConnectionPool
    if https:
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=getattr(settings, "AUTOMATION_WEBHOOK_CA_BUNDLE", None) or certifi.where(),
            server_hostname=host,
            assert_hostname=host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    target = urllib.parse.urlunsplit(("", "", parsed.path or "/", parsed.query, ""))
    name = f"[{host}]" if ":" in host else host
    try:
        return pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "Host": name if parsed.port is None else f"{name}:{port}"},
            redirect=False,
            retries=False,
            assert_same_host=False,
        )
    finally:
        pool.close()


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


def deliver(step: Step, url: str, resolver: Resolver | None = None) -> int:
    """POST the step's payload to url and return the status code.

    The host is resolved once, by resolver (the system's by default); the
    connection goes to the first checked address. Raise StepError for a
    refused address or a 4xx (retrying cannot help) and
    TransientStepError for a timeout, a connection error or a 5xx. The
    attempt row travels on the exception, because the engine rolls back
    the step before it records the failure.
    """
    parsed = urllib.parse.urlsplit(url)
    if step.enrollment_id is None:
        raise StepError(_("A dry run does not call webhooks."))
    attempt = WebhookAttempt(
        account=step.account, enrollment_id=step.enrollment_id, node_id=step.node_id, url=url
    )
    try:
        addresses = check_host(
            parsed.hostname or "",
            parsed.port or (443 if parsed.scheme == "https" else 80),
            resolver,
        )
    except AddressRefused as exc:
        attempt.error = str(exc)
        raise _with_attempt(StepError(str(exc)), attempt) from exc

    body = json.dumps(payload_of(step), cls=DjangoJSONEncoder, ensure_ascii=False)
    key = f"smoove-flow-{step.enrollment_id}-{step.node_id}"
    try:
        # NOTE: only the first address is tried; a host whose first address
        # is down waits for the step's retry instead of using the next one.
        response = post_to_address(
            addresses[0],
            url,
            body.encode(),
            {
                "Content-Type": "application/json",
                "User-Agent": "smoove-webhooks/1",
                # The same key on every retry, so the receiver can drop repeats.
                "Idempotency-Key": key,
            },
        )
    except urllib3.exceptions.TimeoutError as exc:
        attempt.error = _("The webhook timed out.")
        raise _with_attempt(TransientStepError(attempt.error), attempt) from exc
    except urllib3.exceptions.HTTPError as exc:
        attempt.error = _("The webhook's server could not be reached.")
        raise _with_attempt(TransientStepError(attempt.error), attempt) from exc

    attempt.status_code = response.status
    attempt.response_body = response.data.decode(errors="replace")[:MAX_RESPONSE_CHARS]
    if response.status >= 500:
        attempt.error = _("The webhook answered %(status)d.") % {"status": response.status}
        logger.warning(
            "webhook failed, will retry",
            extra={"account_id": step.account.pk, "status": response.status},
        )
        raise _with_attempt(TransientStepError(attempt.error), attempt)
    if response.status >= 400:
        attempt.error = _("The webhook answered %(status)d.") % {"status": response.status}
        raise _with_attempt(StepError(attempt.error), attempt)
    attempt.save()
    return response.status


def _with_attempt(exc: Exception, attempt: WebhookAttempt) -> Exception:
    exc.attempt = attempt  # type: ignore[attr-defined]
    return exc
