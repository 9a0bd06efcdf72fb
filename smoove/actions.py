"""Changes to accounts, users, memberships, invitations and API keys."""

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from smoove.models import (
    FREE_PLAN_CONTACT_LIMIT,
    Account,
    ApiKey,
    Invitation,
    Membership,
    Plan,
    Role,
    User,
    hash_api_key,
)

logger = logging.getLogger(__name__)


class AccountError(Exception):
    """A change to an account that cannot be applied, with a readable reason."""


@transaction.atomic
def sign_up(*, business_name: str, email: str, password: str, full_name: str = "") -> Membership:
    """Create an account on the free plan with its owner."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(_("A user with this email address already exists."))
    account = Account.objects.create(
        name=business_name.strip(),
        plan=Plan.FREE,
        contact_limit=FREE_PLAN_CONTACT_LIMIT,
        default_sender_name=business_name.strip(),
        default_sender_email=email,
    )
    user = User.objects.create_user(email=email, password=password, full_name=full_name)
    return Membership.objects.create(account=account, user=user, role=Role.OWNER)


def create_account_with_owner(name: str, owner_email: str) -> tuple[Account, User, str]:
    """Create an account and owner for operators; return them and a new raw API key."""
    with transaction.atomic():
        owner_email = owner_email.strip().lower()
        user, _created = User.objects.get_or_create(email=owner_email)
        if _created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        account = Account.objects.create(
            name=name, default_sender_name=name, default_sender_email=owner_email
        )
        Membership.objects.create(account=account, user=user, role=Role.OWNER)
        _key, raw_key = create_api_key(account, name="operator")
    return account, user, raw_key


def create_api_key(account: Account, name: str) -> tuple[ApiKey, str]:
    """Create an API key; the raw key is returned once and never stored."""
    raw_key = ApiKey.generate_raw_key()
    key = ApiKey.objects.create(
        account=account, name=name, prefix=raw_key[:10], key_hash=hash_api_key(raw_key)
    )
    return key, raw_key


def revoke_api_key(key: ApiKey) -> None:
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])


@dataclass(frozen=True)
class InvitationSent:
    invitation: Invitation
    accept_url: str


def invite_member(account: Account, invited_by: User, email: str) -> InvitationSent:
    """Record an invitation and email its link to the invited address."""
    email = email.strip().lower()
    if Membership.objects.filter(account=account, user__email__iexact=email).exists():
        raise AccountError(_("This person is already a member of the account."))
    invitation, _created = Invitation.objects.get_or_create(
        account=account,
        email=email,
        accepted_at=None,
        defaults={"token": secrets.token_urlsafe(32), "invited_by": invited_by},
    )
    accept_url = settings.SITE_URL + reverse("accept_invitation", args=[invitation.token])
    with override(account.language):
        subject = _("%(inviter)s invited you to %(account)s on smoove") % {
            "inviter": invited_by.full_name or invited_by.email,
            "account": account.name,
        }
        body = _("To join, open this link and choose a password:\n%(url)s") % {"url": accept_url}
    send_mail(subject, body, None, [email])
    logger.info("invitation sent", extra={"account_id": account.pk})
    return InvitationSent(invitation=invitation, accept_url=accept_url)


@transaction.atomic
def accept_invitation(invitation: Invitation, *, password: str | None, full_name: str = "") -> User:
    """Join the invited person to the account, creating the user if needed."""
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        if not password:
            raise AccountError(_("Choose a password."))
        user = User.objects.create_user(
            email=invitation.email, password=password, full_name=full_name
        )
    Membership.objects.get_or_create(
        account=invitation.account, user=user, defaults={"role": Role.MEMBER}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


SETTINGS_FIELDS = (
    "name",
    "default_sender_name",
    "default_sender_email",
    "time_zone",
    "language",
    "identifier_policy",
    "external_id_label",
)


def update_account_settings(account: Account, changes: dict[str, Any]) -> list[str]:
    """Apply account settings; an identifier policy change re-keys the contacts."""
    from contacts import actions as contact_actions

    changed = [
        name
        for name in SETTINGS_FIELDS
        if name in changes and getattr(account, name) != changes[name]
    ]
    with transaction.atomic():
        old_policy = account.identifier_policy
        for name in changed:
            setattr(account, name, changes[name])
        if "identifier_policy" in changed:
            # Raises ContactError, rolling everything back, when two contacts
            # would share the new identifier or one lacks it.
            contact_actions.rekey_contacts(account, old_policy=old_policy)
        account.save(update_fields=changed or ["name"])
    return changed


def set_plan(account: Account, plan: str, contact_limit: int | None) -> None:
    """Move the account to a plan (an operator's action) and re-mark over-plan contacts."""
    from contacts import actions as contact_actions

    with transaction.atomic():
        account.plan = plan
        account.contact_limit = contact_limit
        account.save(update_fields=["plan", "contact_limit"])
        contact_actions.refresh_plan_marks(account)
