"""Reads of accounts, memberships, invitations and API keys."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from smoove.models import Account, ApiKey, Invitation, Membership, Role, User, hash_api_key


def get_current_membership(user: User, preferred_account_id: int | None) -> Membership | None:
    """Return the user's membership in the preferred account, else the oldest one."""
    memberships = Membership.objects.filter(user=user).select_related("account")
    if preferred_account_id:
        membership = memberships.filter(account_id=preferred_account_id).first()
        if membership is not None:
            return membership
    return memberships.order_by("created_at", "id").first()


def memberships_of_user(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("account").order_by("account__name")


def members_of_account(account: Account) -> QuerySet[Membership]:
    return Membership.objects.filter(account=account).select_related("user").order_by("created_at")


def is_owner(account: Account, user: User) -> bool:
    return Membership.objects.filter(account=account, user=user, role=Role.OWNER).exists()


def open_invitations(account: Account) -> QuerySet[Invitation]:
    return Invitation.objects.filter(account=account, accepted_at__isnull=True).order_by("-id")


def get_open_invitation(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("account")
        .filter(token=token, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise Http404("Invitation not found or already used.")
    return invitation


def api_keys_of_account(account: Account) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(account=account, revoked_at__isnull=True).order_by("-created_at")


def get_api_key_for_account(account: Account, pk: int) -> ApiKey:
    key = ApiKey.objects.filter(account=account, pk=pk, revoked_at__isnull=True).first()
    if key is None:
        raise Http404("API key not found.")
    return key


def find_active_api_key(raw_key: str) -> ApiKey | None:
    """Return the live key matching raw_key, and note when it was last used."""
    key = (
        ApiKey.objects.select_related("account")
        .filter(key_hash=hash_api_key(raw_key), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        now = timezone.now()
        # Write about once a minute per key (two requests at the same moment
        # may both write), so a busy integration does not turn every API read
        # into a write.
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
