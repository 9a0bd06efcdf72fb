"""A local SMTP server for tests: real SMTP hand-off, messages kept in memory."""

import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """Start an SMTP server on 127.0.0.1 and collect what it receives."""

    def __init__(self) -> None:
        self.handler = _Handler()
        # aiosmtpd connects to its own port to check it started, so it needs
        # a real port number rather than 0.
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=_free_port())

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()


def body_text(message: EmailMessage) -> str:
    """Return the plain-text body of a received message."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""
