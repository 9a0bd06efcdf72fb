"""Email through Amazon SES with django-ses; SES's MessageId maps callbacks back."""

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.mail import get_connection

from campaigns.backends.base import (
    AmbiguousError,
    Backend,
    Outgoing,
    PermanentError,
    TransientError,
)
from campaigns.backends.smtp import build_email

# SES error codes worth retrying; any other ClientError is final.
TRANSIENT_CODES = {"Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure"}


class SesBackend(Backend):
    @classmethod
    def provider_account(cls, channel: str) -> str:
        # SES limits the sending rate per AWS account and region; the access
        # key stands for the account (without one, boto3 finds the default).
        key = getattr(settings, "AWS_SES_ACCESS_KEY_ID", "") or getattr(
            settings, "AWS_ACCESS_KEY_ID", ""
        )
        return f"ses:{key or 'default'}:{settings.AWS_SES_REGION_NAME}"

    def open(self) -> None:
        self.connection = get_connection("django_ses.SESBackend", fail_silently=False)
        self.connection.open()

    def send(self, outgoing: Outgoing) -> str:
        message = build_email(outgoing, self.connection)
        try:
            self.connection.send_messages([message])
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            error = TransientError if code in TRANSIENT_CODES else PermanentError
            raise error(f"SES rejected the message: {code}", code) from exc
        except BotoCoreError as exc:
            raise AmbiguousError(f"SES call broke off: {exc}") from exc
        return str(message.extra_headers.get("message_id", ""))

    def close(self) -> None:
        connection = getattr(self, "connection", None)
        if connection is not None:
            connection.close()
