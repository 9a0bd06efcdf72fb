"""SMS and WhatsApp through the twilio SDK.

TWILIO_API_BASE_URL replaces https://api.twilio.com, so tests point the
real SDK at a local fake server.
"""

import json

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from campaigns.backends.base import (
    AmbiguousError,
    Backend,
    Outgoing,
    PermanentError,
    TransientError,
)

# Twilio responds within a second or two, and a stuck call must not hold a worker.
REQUEST_TIMEOUT_SECONDS = 15


class TwilioBackend(Backend):
    @classmethod
    def provider_account(cls, channel: str) -> str:
        # Twilio queues per account and paces per sender (number or
        # messaging service), so both name the limit.
        if channel == "whatsapp":
            sender = settings.TWILIO_WHATSAPP_FROM
        else:
            sender = settings.TWILIO_MESSAGING_SERVICE_SID or settings.TWILIO_SMS_FROM
        return f"twilio:{settings.TWILIO_ACCOUNT_SID}:{sender}"

    def open(self) -> None:
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS),
        )
        if settings.TWILIO_API_BASE_URL:
            self.client.api.base_url = settings.TWILIO_API_BASE_URL

    def send(self, outgoing: Outgoing) -> str:
        whatsapp = self.channel == "whatsapp"
        values: dict[str, object] = {"to": f"whatsapp:{outgoing.to}" if whatsapp else outgoing.to}
        if settings.TWILIO_MESSAGING_SERVICE_SID and not whatsapp:
            values["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            sender = settings.TWILIO_WHATSAPP_FROM if whatsapp else outgoing.sender
            values["from_"] = f"whatsapp:{sender}" if whatsapp else sender
        if outgoing.content_sid:
            values["content_sid"] = outgoing.content_sid
            values["content_variables"] = json.dumps(outgoing.content_variables, ensure_ascii=False)
        else:
            values["body"] = outgoing.text
        if outgoing.status_callback:
            values["status_callback"] = outgoing.status_callback
        try:
            created = self.client.messages.create(**values)  # type: ignore[arg-type]
        except TwilioRestException as exc:
            code = str(exc.code or exc.status)
            if exc.status == 429 or exc.status >= 500:
                raise TransientError(f"Twilio is unavailable: {exc.status}", code) from exc
            raise PermanentError(f"Twilio rejected the message: {code}", code) from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"Twilio connection failed: {exc}") from exc
        except requests.Timeout as exc:
            raise AmbiguousError(f"Twilio call timed out: {exc}") from exc
        return str(created.sid)
