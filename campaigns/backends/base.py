"""The arguments, results and errors that every channel backend shares."""

from dataclasses import dataclass, field


@dataclass
class Outgoing:
    """One message ready for a provider; email uses every field, texts use `text`."""

    to: str
    sender: str
    text: str
    subject: str = ""
    html: str = ""
    reply_to: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    # WhatsApp: an approved template and its variables, instead of free text.
    content_sid: str = ""
    content_variables: dict[str, str] = field(default_factory=dict)
    status_callback: str = ""


class DeliveryError(Exception):
    """The provider did not take the message; `code` is its error code, if any."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TransientError(DeliveryError):
    """The provider rejected the message for now (busy, rate limit, 4xx SMTP reply): retry later."""


class PermanentError(DeliveryError):
    """The provider rejected this message for good (invalid address, 5xx reply)."""


class AmbiguousError(DeliveryError):
    """The call broke off after the message may have reached the provider."""


class Backend:
    def __init__(self, *, channel: str, account_id: int | None) -> None:
        self.channel = channel
        self.account_id = account_id

    @classmethod
    def provider_account(cls, channel: str) -> str:
        """Return the identity of the provider account this backend sends through.

        Every smoove account that sends through the same credentials shares
        that provider account's rate limit, so the limiter keys by this.
        """
        return cls.__name__

    def open(self) -> None:
        """Connect before the first message; raise TransientError if the provider is down."""

    def send(self, outgoing: Outgoing) -> str:
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection."""
