"""Accounts (tenants), users, memberships, invitations and API keys."""

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FREE_PLAN_CONTACT_LIMIT = 100


class Plan(models.TextChoices):
    FREE = "free", _("Free")
    PAID = "paid", _("Paid")


class IdentifierPolicy(models.TextChoices):
    EMAIL = "email", _("Email address")
    MOBILE = "mobile", _("Mobile number")
    EXTERNAL_ID = "external_id", _("External ID")


class Account(models.Model):
    name = models.CharField(_("business name"), max_length=200)
    plan = models.CharField(_("plan"), max_length=20, choices=Plan.choices, default=Plan.FREE)
    # Only operators change the plan (billing is outside the product); the
    # limit is kept on the row so a custom deal can set its own number.
    contact_limit = models.PositiveIntegerField(
        _("contact limit"), null=True, blank=True, default=FREE_PLAN_CONTACT_LIMIT
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Jerusalem")
    language = models.CharField(
        _("language"), max_length=8, choices=[("he", "עברית"), ("en", "English")], default="he"
    )
    identifier_policy = models.CharField(
        _("identifying field"),
        max_length=20,
        choices=IdentifierPolicy.choices,
        default=IdentifierPolicy.EMAIL,
    )
    external_id_label = models.CharField(
        _("external ID label"), max_length=100, blank=True, default=""
    )
    default_sender_name = models.CharField(_("default sender name"), max_length=200, blank=True)
    default_sender_email = models.EmailField(_("default sender address"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def is_limited(self) -> bool:
        return self.contact_limit is not None


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(
        _("interface language"),
        max_length=8,
        choices=[("he", "עברית"), ("en", "English")],
        default="he",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["account", "user"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.account_id} ({self.role})"


class Invitation(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["account", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_open_unique",
            )
        ]

    def __str__(self) -> str:
        return self.email


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """A per-account API key; only its SHA-256 digest is stored."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate_raw_key() -> str:
        return "sm_" + secrets.token_urlsafe(32)
