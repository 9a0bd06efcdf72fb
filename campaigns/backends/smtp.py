"""Email over SMTP, one connection reused for a whole batch."""

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from campaigns.backends.base import (
    AmbiguousError,
    Backend,
    Outgoing,
    PermanentError,
    TransientError,
)


def build_email(outgoing: Outgoing, connection: object) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=outgoing.subject,
        body=outgoing.text,
        from_email=outgoing.sender,
        to=[outgoing.to],
        reply_to=[outgoing.reply_to] if outgoing.reply_to else None,
        headers=outgoing.headers,
        connection=connection,  # type: ignore[arg-type]
    )
    if outgoing.html:
        message.attach_alternative(outgoing.html, "text/html")
    return message


class SmtpBackend(Backend):
    django_backend = "django.core.mail.backends.smtp.EmailBackend"

    @classmethod
    def provider_account(cls, channel: str) -> str:
        return f"smtp:{settings.EMAIL_HOST}:{settings.EMAIL_PORT}:{settings.EMAIL_HOST_USER}"

    def open(self) -> None:
        self.connection = get_connection(self.django_backend, fail_silently=False)
        try:
            self.connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"SMTP connection failed: {exc}") from exc

    def send(self, outgoing: Outgoing) -> str:
        domain = outgoing.sender.rpartition("@")[2].strip(">") or "smoove.local"
        message_id = make_msgid(domain=domain)
        outgoing.headers.setdefault("Message-ID", message_id)
        message = build_email(outgoing, self.connection)
        try:
            self.connection.send_messages([message])
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0] if exc.recipients else 550
            error = PermanentError if code >= 500 else TransientError
            raise error(f"SMTP server rejected the recipient: {code}", str(code)) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            error = PermanentError if exc.smtp_code >= 500 else TransientError
            raise error(
                f"SMTP server rejected the message: {exc.smtp_code}", str(exc.smtp_code)
            ) from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            # The server may have queued the message before the line broke.
            self.close()
            self.open()
            raise AmbiguousError(f"SMTP connection broke during the send: {exc}") from exc
        return outgoing.headers["Message-ID"]

    def close(self) -> None:
        connection = getattr(self, "connection", None)
        if connection is not None:
            try:
                connection.close()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None
