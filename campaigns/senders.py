"""Sender identities: verification links and the rule that email leaves only from verified addresses.

An account keeps a set of senders (a name, an address and an optional
reply-to). Adding one emails a signed link to the address; opening the link
and pressing the button marks the sender verified. Messages may name any
sender name, but their address must belong to a verified sender, checked
when a message is saved, when a send starts and before each batch leaves.
"""

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import Message, Sender
from campaigns.rendering import sender_of
from contacts.models import Channel
from smoove.models import Account

# How long a verification link works; a new one can be requested any time.
VERIFICATION_MAX_AGE = datetime.timedelta(days=3)
# A new verification email for the same sender waits at least this long, so
# the button cannot be used to flood someone's mailbox.
RESEND_INTERVAL = datetime.timedelta(minutes=1)
_SALT = "campaigns.sender-verification"


class LinkExpired(Exception):
    """The verification link was genuine but is older than VERIFICATION_MAX_AGE."""


def verification_token(sender: Sender) -> str:
    """Return a signed, timestamped token naming the sender and its address."""
    return signing.dumps({"sender": sender.pk, "email": sender.email}, salt=_SALT)


def verification_url(sender: Sender) -> str:
    path = reverse("campaigns_public:verify_sender", args=[verification_token(sender)])
    return settings.SITE_URL + path


def sender_by_token(token: str) -> Sender | None:
    """Return the sender a verification token names; None for a forged or stale token.

    A token stops working when its sender is deleted, even if the same
    address is added again, because it names the sender's id.
    """
    try:
        data = signing.loads(token, salt=_SALT, max_age=VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("sender"), int):
        return None
    return (
        Sender.objects.select_related("account")
        .filter(pk=data["sender"], email=str(data.get("email")))
        .first()
    )


def verified_senders(account: Account) -> dict[str, Sender]:
    """Return the account's verified senders by lowercase address."""
    found = Sender.objects.filter(account=account, verified_at__isnull=False)
    return {sender.email.lower(): sender for sender in found}


def allowed_reply_to(verified: dict[str, Sender]) -> set[str]:
    """Return the addresses a message may name as reply-to: verified senders' own and reply-tos."""
    addresses = set(verified)
    addresses.update(s.reply_to.lower() for s in verified.values() if s.reply_to)
    return addresses


def save_problems(account: Account, message: Message) -> dict[str, list[str]]:
    """Return the sender problems that stop an email message from being saved, by field.

    An empty address means the account's default sender, which is checked
    when a send starts, so a new account can write drafts before it has
    verified any address.
    """
    if message.channel != Channel.EMAIL:
        return {}
    errors: dict[str, list[str]] = {}
    verified = verified_senders(account)
    address = message.sender_email.strip().lower()
    if address and address not in verified:
        errors["sender_email"] = [unverified_text(address)]
    reply_to = message.reply_to.strip().lower()
    if reply_to and reply_to not in allowed_reply_to(verified):
        errors["reply_to"] = [
            _(
                "The reply-to address “%(address)s” must be the address or the reply-to "
                "address of one of the account's verified senders."
            )
            % {"address": message.reply_to}
        ]
    return errors


def send_problems(
    account: Account, message: Message, overrides: list[dict[str, str]] | None = None
) -> list[str]:
    """Return why the message's sender (or an A/B variant's) may not send now, if it may not."""
    if message.channel != Channel.EMAIL:
        return []
    verified = verified_senders(account)
    problems: list[str] = []
    for override in overrides or [{}]:
        address = sender_of(message, account, override).email.strip().lower()
        if not address:
            continue  # compliance_problems reports the missing address.
        if address not in verified:
            problem = unverified_text(address)
            if problem not in problems:
                problems.append(problem)
    reply_to = message.reply_to.strip().lower()
    if reply_to and reply_to not in allowed_reply_to(verified):
        problems.append(
            _(
                "The reply-to address “%(address)s” is no longer one of the account's verified senders."
            )
            % {"address": message.reply_to}
        )
    return problems


def unverified_text(address: str) -> str:
    return _(
        "“%(address)s” is not a verified sender address of this account. Add it under "
        "Settings → Senders and open the link emailed to it, or choose a verified sender."
    ) % {"address": address}


def reply_to_of(account: Account, message: Message, address: str) -> str:
    """Return the reply-to of an email: the message's own, else its sender's, else none."""
    if message.reply_to:
        return message.reply_to
    sender = Sender.objects.filter(account=account, email__iexact=address).first()
    return sender.reply_to if sender is not None else ""
