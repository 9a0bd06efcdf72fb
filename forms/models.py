"""Forms, their fields and lists, landing pages, and the submissions they collect."""

import secrets
from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Channel, Contact
from lists.models import ContactList
from smoove.models import Account

# The contact event every applied submission records.
FORM_SUBMITTED_EVENT = "form_submitted"


def new_public_token() -> str:
    """Return 128 random bits, URL-safe: the only key a public address carries."""
    return secrets.token_urlsafe(16)


class FormStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class AfterSubmit(models.TextChoices):
    MESSAGE = "message", _("Show a thank-you message")
    PAGE = "page", _("Open a thank-you page")
    REDIRECT = "redirect", _("Redirect to an address")


class Form(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    # Addresses of the hosted form, its iframe and its submissions carry
    # this token; the account and the form's id never appear in them.
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token)
    status = models.CharField(
        _("status"), max_length=20, choices=FormStatus.choices, default=FormStatus.DRAFT
    )
    title = models.CharField(_("title"), max_length=200, blank=True, default="")
    description = models.TextField(_("text above the fields"), blank=True, default="")
    submit_label = models.CharField(_("button text"), max_length=100, blank=True, default="")
    lists_intro = models.CharField(
        _("text above the list choices"), max_length=500, blank=True, default=""
    )
    after_submit = models.CharField(
        _("after submission"),
        max_length=20,
        choices=AfterSubmit.choices,
        default=AfterSubmit.MESSAGE,
    )
    thank_you_title = models.CharField(_("thank-you title"), max_length=200, blank=True, default="")
    thank_you_text = models.TextField(_("thank-you text"), blank=True, default="")
    redirect_url = models.URLField(_("redirect address"), max_length=500, blank=True, default="")
    double_opt_in = models.BooleanField(_("double opt-in"), default=False)
    confirmation_subject = models.CharField(
        _("confirmation email subject"), max_length=200, blank=True, default=""
    )
    confirmation_text = models.TextField(_("confirmation email text"), blank=True, default="")
    # Times the form was shown to a visitor: on a hosted page, in an iframe,
    # or through the embed snippet's counting image. Marketer previews are
    # not counted.
    view_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [
            models.Index(fields=["account", "created_at"], name="form_created_idx")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.status == FormStatus.PUBLISHED


class FormField(models.Model):
    """A contact field on a form: an input the visitor fills, or a hidden value."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="fields")
    # A system field key (email, first_name, …) or a custom field key.
    field_key = models.CharField(_("contact field"), max_length=64)
    position = models.PositiveIntegerField(default=0)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    label = models.CharField(_("label"), max_length=200, blank=True, default="")
    placeholder = models.CharField(_("placeholder"), max_length=200, blank=True, default="")
    required = models.BooleanField(_("required"), default=False)
    # Hidden fields only: the value taken from the page address's query
    # parameter, when given, and otherwise the fixed value.
    fixed_value = models.CharField(_("fixed value"), max_length=500, blank=True, default="")
    query_param = models.CharField(_("query parameter"), max_length=64, blank=True, default="")

    class Meta:
        ordering = ("position", "id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["form", "field_key"], name="form_field_once")
        ]

    def __str__(self) -> str:
        return self.field_key


class FormListRole(models.TextChoices):
    # A public list the visitor may tick to join.
    OFFERED = "offered", _("Offered as a choice")
    # A list every submission joins.
    TARGET = "target", _("Joined by every submission")


class FormList(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="form_lists")
    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, choices=FormListRole.choices)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["form", "contact_list", "role"], name="form_list_once")
        ]

    def __str__(self) -> str:
        return f"{self.contact_list_id} ({self.role})"


class FormConsent(models.Model):
    """A consent checkbox for one channel, with the wording the visitor agrees to."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    wording = models.TextField(_("wording"))
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ("id",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["form", "channel"], name="form_consent_once")
        ]

    def __str__(self) -> str:
        return self.channel


class LandingPage(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token)
    is_published = models.BooleanField(_("published"), default=False)
    title = models.CharField(_("title"), max_length=200, blank=True, default="")
    text = models.TextField(_("text"), blank=True, default="")
    image = models.FileField(_("image"), upload_to="landing/%Y/%m/", blank=True, default="")
    # The image's media type, checked from its first bytes on upload.
    image_type = models.CharField(max_length=32, blank=True, default="")
    background_color = models.CharField(_("background colour"), max_length=7, default="#f6f7fb")
    text_color = models.CharField(_("text colour"), max_length=7, default="#1f2430")
    accent_color = models.CharField(_("button colour"), max_length=7, default="#5b3cc4")
    view_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.name


class Slot(models.TextChoices):
    TOP = "top", _("Top")
    MIDDLE = "middle", _("Middle")
    BOTTOM = "bottom", _("Bottom")


SLOT_ORDER: dict[str, int] = {Slot.TOP: 0, Slot.MIDDLE: 1, Slot.BOTTOM: 2}


class Placement(models.Model):
    """A form in one slot of a landing page, with the text shown above it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="placements")
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="placements")
    slot = models.CharField(max_length=10, choices=Slot.choices)
    intro = models.TextField(_("text above the form"), blank=True, default="")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["page", "slot"], name="placement_slot_once")
        ]

    def __str__(self) -> str:
        return f"{self.page_id}:{self.slot}"


class SubmissionStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not applied yet")
    APPLIED = "applied", _("Applied")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Waiting for email confirmation")
    INVALID = "invalid", _("Kept: invalid values")
    FAILED = "failed", _("Kept: could not be applied")
    SPAM = "spam", _("Kept: caught by the spam trap")
    SUPERSEDED = "superseded", _("Corrected by a later submission")
    DUPLICATE = "duplicate", _("Sent twice; the first one was applied")


# Statuses whose data is still waiting for the marketer: shown as kept and
# offered for replay.
KEPT_STATUSES = (SubmissionStatus.INVALID, SubmissionStatus.FAILED, SubmissionStatus.SPAM)
# Statuses a marketer may replay: the kept ones, and a duplicate whose
# values differed from the first.
REPLAYABLE_STATUSES = (*KEPT_STATUSES, SubmissionStatus.DUPLICATE)
# Statuses that count as a submission in reports.
COUNTED_STATUSES = (SubmissionStatus.APPLIED, SubmissionStatus.AWAITING_CONFIRMATION)


class Submission(models.Model):
    """One POST of a form, stored before it is applied and kept if it cannot be."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="submissions")
    page = models.ForeignKey(
        LandingPage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    slot = models.CharField(max_length=10, blank=True, default="")
    status = models.CharField(
        max_length=32, choices=SubmissionStatus.choices, default=SubmissionStatus.RECEIVED
    )
    # Everything the browser sent, size-capped, for the record.
    raw = models.JSONField(default=dict)
    # The parts of the POST the form accepted at receipt. A replay after the
    # form changed therefore applies what the visitor saw. They are contact
    # values by field key, hidden values resolved from the form definition
    # and the page address, the chosen list ids, and the consent wording of
    # each ticked channel.
    values = models.JSONField(default=dict)
    hidden_values = models.JSONField(default=dict)
    list_ids = models.JSONField(default=list)
    consents = models.JSONField(default=dict)
    # Field key (or "__all__") to message, for invalid and failed ones.
    errors = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True, default="")
    # Values left out (an invalid hidden value, a consent refused because
    # the contact unsubscribed); the rest was applied.
    warnings = models.JSONField(default=list, blank=True)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    over_plan = models.BooleanField(default=False)
    # A random value the rendered form carries, so the same POST sent twice
    # (a double click, the back button) is applied once.
    nonce = models.CharField(max_length=64, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveIntegerField(default=0)
    # Confirmation emails asked for (the first and each reminder) and sent.
    # The send task claims a number by raising confirmations_sent to it, so
    # a task that runs twice sends once.
    confirmations_requested = models.PositiveIntegerField(default=0)
    confirmations_sent = models.PositiveIntegerField(default=0)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [
            models.Index(fields=["account", "form", "created_at"], name="submission_form_idx"),
            models.Index(fields=["account", "form", "status"], name="submission_status_idx"),
        ]
        constraints: ClassVar = [
            # Two POSTs with one nonce race here: the second to reach a
            # final status fails the constraint and is marked a duplicate.
            models.UniqueConstraint(
                fields=["form", "nonce"],
                condition=~models.Q(nonce="")
                & models.Q(status__in=["applied", "awaiting_confirmation"]),
                name="submission_nonce_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.form_id}#{self.pk} {self.status}"

    @property
    def is_kept(self) -> bool:
        return self.status in KEPT_STATUSES
