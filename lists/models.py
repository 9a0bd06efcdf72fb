"""Static, public and dynamic contact lists, and list memberships."""

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact
from smoove.models import Account


class ListKind(models.TextChoices):
    STATIC = "static", _("Static list")
    DYNAMIC = "dynamic", _("Dynamic list")


class ContactList(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ListKind.choices)
    # A public list is offered on forms for visitors to choose themselves.
    is_public = models.BooleanField(_("public list"), default=False)
    public_description = models.CharField(
        _("description shown on forms"), max_length=500, blank=True, default=""
    )
    # Saved conditions of a dynamic list; see lists.conditions for the shape.
    conditions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name", "id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["account", "name"], name="list_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ListMembership(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="memberships"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="memberships")
    source = models.CharField(max_length=20, default="manual")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["contact_list", "contact"], name="membership_once")
        ]
        indexes: ClassVar = [
            models.Index(fields=["account", "contact"], name="list_member_contact_idx")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.contact_list_id}"
