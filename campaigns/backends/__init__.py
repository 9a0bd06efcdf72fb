"""Channel backends: how an email or a text leaves the product.

Each module has the same shape: a class with open(), send(outgoing) that
returns the provider's message id, and close(). send() raises one of the
errors in campaigns.backends.base, which tell whether the provider may have
taken the message. Settings choose the backend per channel (see
backend_for); the embedded default is the local outbox.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from campaigns.backends.base import Backend

EMAIL_BACKENDS = {
    "smtp": "campaigns.backends.smtp.SmtpBackend",
    "ses": "campaigns.backends.ses.SesBackend",
    "outbox": "campaigns.backends.outbox.OutboxBackend",
}
TEXT_BACKENDS = {
    "twilio": "campaigns.backends.twilio.TwilioBackend",
    "outbox": "campaigns.backends.outbox.OutboxBackend",
}


def email_backend_name() -> str:
    """Return the configured email backend; without one, follow Django's EMAIL_BACKEND."""
    chosen = getattr(settings, "CAMPAIGNS_EMAIL_BACKEND", "")
    if chosen:
        return chosen
    django_backend = settings.EMAIL_BACKEND
    if django_backend.endswith("smtp.EmailBackend"):
        return "smtp"
    if django_backend.startswith("django_ses"):
        return "ses"
    return "outbox"


def text_backend_name() -> str:
    chosen = getattr(settings, "CAMPAIGNS_TEXT_BACKEND", "")
    if chosen:
        return chosen
    return "twilio" if settings.TWILIO_ACCOUNT_SID else "outbox"


def backend_class_for(channel: str) -> type[Backend]:
    if channel == "email":
        path = EMAIL_BACKENDS[email_backend_name()]
    else:
        path = TEXT_BACKENDS[text_backend_name()]
    return import_string(path)  # type: ignore[no-any-return]


def backend_for(channel: str, account_id: int | None) -> Backend:
    return backend_class_for(channel)(channel=channel, account_id=account_id)


def provider_account(channel: str) -> str:
    """Return the identity of the provider account that the channel's backend uses now."""
    return backend_class_for(channel).provider_account(channel)
