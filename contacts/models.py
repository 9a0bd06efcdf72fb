"""Contacts, custom fields, consent, suppressions, the event log and imports."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smoove.models import Account


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class Contact(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # The normalised value of the account's identifying field (email, E.164
    # mobile or external ID). Uniqueness lives here, so changing the policy
    # only recomputes this column.
    identity = models.CharField(max_length=254)
    email = models.CharField(_("email"), max_length=254, blank=True, default="")
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, default="")
    # Any number that is not a mobile (a landline, a foreign number that
    # cannot receive SMS); kept so nothing the marketer brought is lost.
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    first_name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100, blank=True, default="")
    city = models.CharField(_("city"), max_length=100, blank=True, default="")
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, blank=True, default=""
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    external_id = models.CharField(_("external ID"), max_length=100, blank=True, default="")
    # Custom field values by CustomField.key, typed as the field defines:
    # text, number, ISO date, boolean, a choice, or a list of choices.
    fields = models.JSONField(default=dict, blank=True)
    # Set on contacts collected past the plan's limit: kept, never sent to.
    over_plan = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["account", "identity"], name="contact_identity_unique")
        ]
        indexes: ClassVar = [
            models.Index(fields=["account", "email"], name="contact_email_idx"),
            models.Index(fields=["account", "mobile"], name="contact_mobile_idx"),
            models.Index(fields=["account", "external_id"], name="contact_external_id_idx"),
            models.Index(fields=["account", "created_at"], name="contact_created_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.mobile or self.identity

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes / no")
    CHOICE = "choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")


class CustomField(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(_("key"), max_length=64, allow_unicode=False)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("position", "id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["account", "key"], name="custom_field_key_unique"),
            models.UniqueConstraint(fields=["account", "label"], name="custom_field_label_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REVOKED = "revoked", _("Revoked")


class ConsentRecord(models.Model):
    """One append-only consent change: who agreed or refused, when, where, to what text."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(max_length=20, choices=ConsentStatus.choices)
    source = models.CharField(max_length=20)  # form, import, api, manual, unsubscribe
    source_ref = models.CharField(max_length=200, blank=True, default="")
    wording = models.TextField(blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["account", "contact", "channel", "recorded_at"], name="consent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} ({self.source})"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Marked as spam")
    MANUAL = "manual", _("Blocked by the account")


class Suppression(models.Model):
    """A contact that must receive nothing on one channel."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="suppressions")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["contact", "channel"], name="suppression_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.reason}"


class ContactEvent(models.Model):
    """An append-only fact about a contact; triggers and statistics read these."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["account", "contact", "occurred_at"], name="event_contact_idx"),
            models.Index(fields=["account", "kind", "occurred_at"], name="event_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.kind


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    # Detected on upload: "xlsx", or the text encoding and CSV delimiter.
    file_format = models.CharField(max_length=10, default="csv")
    encoding = models.CharField(max_length=32, blank=True, default="")
    delimiter = models.CharField(max_length=4, blank=True, default="")
    headers = models.JSONField(default=list)
    # Column index (as a string) to contact field key; unmapped columns are
    # absent and ignored.
    mapping = models.JSONField(default=dict, blank=True)
    # Lists app id; an integer, not a foreign key, because lists depends on
    # contacts and not the other way round.
    target_list_id = models.BigIntegerField(null=True, blank=True)
    # Consent is recorded only when the marketer declares where the file's
    # contacts agreed; the text is stored with each consent record.
    consent_channels = models.JSONField(default=list, blank=True)
    consent_source = models.CharField(max_length=500, blank=True, default="")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the job was last queued or applied a batch; a queued or running
    # job untouched for long is queued again by the stalled-import reaper.
    touched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.original_name


class RowIssueLevel(models.TextChoices):
    ERROR = "error", _("Not imported")
    WARNING = "warning", _("Imported without some values")


class ImportRowIssue(models.Model):
    """A file row that could not be applied whole, kept with its reason for replay."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row_number = models.PositiveIntegerField()
    level = models.CharField(max_length=10, choices=RowIssueLevel.choices)
    values = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("row_number",)

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.level}"
