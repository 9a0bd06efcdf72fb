"""Webhook steps connect to the address the guard checked, never to a second DNS answer.

The host names end in .test, which RFC 6761 reserves for testing and public
DNS does not delegate, so requests reach the receivers here on 127.0.0.1 only
through the injected resolver.
"""

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from automation import webhooks
from automation.models import Enrollment, EnrollmentState, WebhookAttempt
from contacts import actions as contact_actions
from tests.automation.conftest import create_flow, edge, node, run_engine

pytestmark = pytest.mark.django_db
HOST = "hooks.example.test"


class Receiver:
    """A webhook receiver on 127.0.0.1, over TLS when given a certificate and key."""

    def __init__(self, cert: tuple[Path, Path] | None = None) -> None:
        self.requests: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"host": self.headers["Host"], "path": self.path})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*cert)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Resolver:
    """Answer HOST with 127.0.0.1 once; a second question fails, as a rebinding DNS would."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.questions.append(host)
        if host != HOST or len(self.questions) > 1:
            raise AssertionError(f"{host} was resolved again")
        return ["127.0.0.1"]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def resolver(monkeypatch):
    fake = Resolver()
    monkeypatch.setattr(webhooks, "resolve_host", fake)
    return fake


def webhook_flow(api_client, account, url: str) -> None:
    create_flow(
        api_client,
        [node("t", "custom_event", name="visit"), node("h", "webhook", url=url)],
        [edge("t", "h")],
    )
    contact = contact_actions.upsert_contact(
        account, {"email": "w@example.com"}, source="test"
    ).contact
    assert contact is not None
    contact_actions.record_event(account, contact, "custom", {"name": "visit"})


def test_loopback_name_rejected_uncalled(api_client, account, receiver, resolver):
    webhook_flow(api_client, account, f"http://{HOST}:{receiver.port}/hook")

    run_engine()

    enrollment = Enrollment.objects.get()
    assert enrollment.state == EnrollmentState.PARKED
    assert "127.0.0.1, which is not a public address" in enrollment.parked_reason
    assert WebhookAttempt.objects.get().status_code is None
    assert receiver.requests == []


def test_request_uses_checked_address(api_client, account, receiver, resolver, settings):
    # The guard allows loopback here, the only address a test may call.
    settings.AUTOMATION_WEBHOOK_ALLOW_PRIVATE = True
    webhook_flow(api_client, account, f"http://{HOST}:{receiver.port}/hook?source=flow")

    run_engine()

    assert Enrollment.objects.get().state == EnrollmentState.COMPLETED
    assert resolver.questions == [HOST]
    assert receiver.requests == [{"host": f"{HOST}:{receiver.port}", "path": "/hook?source=flow"}]
    assert WebhookAttempt.objects.get().status_code == 200


def certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """Write a self-signed certificate for name and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize(
    ("cert_name", "state"),
    [(HOST, EnrollmentState.COMPLETED), ("other.example.test", EnrollmentState.ACTIVE)],
)
def test_tls_checks_certificate_host_name(
    api_client, account, resolver, settings, tmp_path, cert_name, state
):
    settings.AUTOMATION_WEBHOOK_ALLOW_PRIVATE = True
    cert_path, key_path = certificate(tmp_path, cert_name)
    settings.AUTOMATION_WEBHOOK_CA_BUNDLE = str(cert_path)
    server = Receiver((cert_path, key_path))
    try:
        webhook_flow(api_client, account, f"https://{HOST}:{server.port}/hook")
        run_engine()
    finally:
        server.stop()

    enrollment = Enrollment.objects.get()
    assert enrollment.state == state
    if state == EnrollmentState.COMPLETED:
        assert server.requests == [{"host": f"{HOST}:{server.port}", "path": "/hook"}]
    else:
        # A certificate for another name is a failed connection, retried later.
        assert enrollment.attempts == 1
        assert server.requests == []
        assert WebhookAttempt.objects.get().error == "The webhook's server could not be reached."
