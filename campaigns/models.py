"""Messages, sends, recipients, deliveries, tracking hits and the local outbox."""

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Channel, Contact
from smoove.models import Account


class Message(models.Model):
    """An email, SMS or WhatsApp message a marketer composes.

    Email content is a list of blocks (see campaigns.blocks for the shape);
    SMS and WhatsApp content is `text`. Merge tags may appear in the
    subject, preheader, block texts and links, and in `text`.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    name = models.CharField(_("name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=300, blank=True, default="")
    preheader = models.CharField(_("preheader"), max_length=300, blank=True, default="")
    # Alternative subjects chosen by rule, first match wins, else `subject`:
    # [{"rule": <conditions>, "subject": "..."}].
    subject_rules = models.JSONField(default=list, blank=True)
    blocks = models.JSONField(default=list, blank=True)
    text = models.TextField(_("text"), blank=True, default="")
    # Israeli Communications Law, section 30A: advertising needs the word
    # "פרסומת", the sender's identity, a free way to refuse, and consent.
    is_advertising = models.BooleanField(_("advertising message"), default=True)
    # Overrides of the account's default sender, for this message only.
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True, default="")
    sender_email = models.EmailField(_("sender address"), blank=True, default="")
    reply_to = models.EmailField(_("reply-to address"), blank=True, default="")
    # A way to reach the sender, printed in the footer of advertising.
    sender_contact = models.CharField(
        _("sender contact details"), max_length=300, blank=True, default=""
    )
    # WhatsApp messages a business starts need a template Meta approved;
    # this is the Twilio Content SID of that template.
    whatsapp_content_sid = models.CharField(max_length=64, blank=True, default="")
    # The template's numbered variables: {"1": {"value": "[[first_name]]",
    # "fallback": "לקוח"}, "2": ...}. The value may hold merge tags; the
    # fallback replaces a value that renders empty, which WhatsApp rejects.
    whatsapp_variables = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-updated_at", "-id")
        indexes: ClassVar = [
            models.Index(fields=["account", "channel"], name="message_channel_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Sender(models.Model):
    """A sender identity of an account: a name and an address that emails may come from.

    An address becomes usable only after someone opens the verification
    link emailed to it. The account's default sender is the one whose
    address is the account's default_sender_email.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("sender name"), max_length=200)
    email = models.EmailField(_("sender address"))
    reply_to = models.EmailField(_("reply-to address"), blank=True, default="")
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("email",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["account", "email"], name="sender_address_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class MessageLink(models.Model):
    """A link of a message, or a smart button's action, that clicks may redirect to.

    Rows are kept when the message is edited, so links in emails already
    sent keep working; a click resolves only links of its own message.
    """

    class Kind(models.TextChoices):
        URL = "url", _("Link")
        ACTION = "action", _("Smart button")
        TRAP = "trap", _("Hidden scanner trap")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.URL)
    # The URL as written, merge tags included; empty for a trap.
    url = models.TextField(blank=True, default="")
    # For a smart button: {"kind": "add_to_list"|"remove_from_list"|"set_field", ...}.
    action = models.JSONField(default=dict, blank=True)
    label = models.CharField(max_length=300, blank=True, default="")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["message", "digest"], name="message_link_unique")
        ]

    def __str__(self) -> str:
        return self.label or self.url


class SendStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PREPARING = "preparing", _("Preparing recipients")
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Sending")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")
    DONE = "done", _("Sent")


class Send(models.Model):
    """One sending of a message to lists: a persisted queue released in pulses."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="sends")
    status = models.CharField(max_length=20, choices=SendStatus.choices, default=SendStatus.DRAFT)
    list_ids = models.JSONField(default=list)
    exclude_list_ids = models.JSONField(default=list, blank=True)
    # None sends everyone in one pulse.
    pulse_size = models.PositiveIntegerField(null=True, blank=True)
    pulse_interval_minutes = models.PositiveIntegerField(default=1)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    next_pulse_at = models.DateTimeField(null=True, blank=True)
    pulses_released = models.PositiveIntegerField(default=0)
    recipient_count = models.PositiveIntegerField(default=0)
    # Skipped recipients by reason, e.g. {"suppressed": 3, "no_consent": 10}.
    skipped = models.JSONField(default=dict, blank=True)
    # A/B test: [{"subject": ..., "sender_name": ...}, ...]; empty for none.
    variants = models.JSONField(default=list, blank=True)
    test_percent = models.PositiveSmallIntegerField(default=0)
    winner_metric = models.CharField(max_length=10, default="opens")
    decide_at = models.DateTimeField(null=True, blank=True)
    winner_variant = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [
            models.Index(
                fields=["next_pulse_at"],
                name="send_due_idx",
                condition=models.Q(status="running"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.status})"


class RecipientState(models.TextChoices):
    QUEUED = "queued", _("Waiting for a pulse")
    HELD = "held", _("Waiting for the A/B test winner")
    RELEASED = "released", _("Released")
    CLAIMED = "claimed", _("Handed to delivery")
    SKIPPED = "skipped", _("Skipped")


class SkipReason(models.TextChoices):
    NO_ADDRESS = "no_address", _("No address for this channel")
    SUPPRESSED = "suppressed", _("Unsubscribed or blocked")
    NO_CONSENT = "no_consent", _("No consent to advertising")
    OVER_PLAN = "over_plan", _("Over the plan's contact limit")
    ALREADY_SENT = "already_sent", _("Already received this message")
    EXCLUDED = "excluded", _("In an excluded list")
    NO_WHATSAPP_SESSION = "no_session", _("No WhatsApp conversation open and no template")
    CANCELLED = "cancelled", _("The send was cancelled")


class Recipient(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=RecipientState.choices)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    variant = models.PositiveSmallIntegerField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["send", "contact"], name="recipient_once")
        ]
        indexes: ClassVar = [
            models.Index(fields=["send", "state", "id"], name="recipient_state_idx")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in send {self.send_id}"


class DeliveryStatus(models.TextChoices):
    # Claimed: the row exists and the provider has not been called, so it
    # may be tried again. Sending: the provider call started; if it is
    # never marked, the outcome is unknown and it becomes ambiguous.
    CLAIMED = "claimed", _("Queued")
    SENDING = "sending", _("Handing to the provider")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    AMBIGUOUS = "ambiguous", _("Unknown: the provider may have received it")


class Delivery(models.Model):
    """One message to one contact; unique, so it is never sent twice."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    send = models.ForeignKey(Send, on_delete=models.SET_NULL, null=True, related_name="deliveries")
    variant = models.PositiveSmallIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    address = models.CharField(max_length=254)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    claim_token = models.CharField(max_length=32)
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    # When the row was last claimed or marked sending; the reaper's lease
    # counts from here.
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True, default="")
    provider_status = models.CharField(max_length=30, blank=True, default="")
    error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # First open and click by a person; scanners' hits do not set these.
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    click_count = models.PositiveIntegerField(default=0)
    # Set when the hidden trap link was followed: a scanner reads this mail.
    scanner_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["message", "contact"], name="delivery_once")
        ]
        indexes: ClassVar = [
            models.Index(fields=["send", "status"], name="delivery_send_status_idx"),
            models.Index(fields=["status", "claimed_at"], name="delivery_status_claimed_idx"),
            models.Index(fields=["provider_id"], name="delivery_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} to {self.contact_id} ({self.status})"


class TrackingHit(models.Model):
    """An open or click as received, kept whether a person or a scanner made it."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        CLICK = "click", _("Click")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="hits")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    link = models.ForeignKey(MessageLink, on_delete=models.SET_NULL, null=True, blank=True)
    url = models.TextField(blank=True, default="")
    user_agent = models.CharField(max_length=500, blank=True, default="")
    is_bot = models.BooleanField(default=False)
    bot_reason = models.CharField(max_length=30, blank=True, default="")
    occurred_at = models.DateTimeField(default=timezone.now)
    # The Redis stream entry the hit came from, if it was buffered; unique,
    # so a batch that is drained twice is written once.
    queue_id = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["delivery", "kind"], name="hit_delivery_idx"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["queue_id"], condition=~models.Q(queue_id=""), name="hit_queue_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.delivery_id}"


class OutboxMessage(models.Model):
    """A message the local outbox backend kept instead of sending."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", null=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    to = models.CharField(max_length=254)
    sender = models.CharField(max_length=300, blank=True, default="")
    subject = models.CharField(max_length=300, blank=True, default="")
    text = models.TextField(blank=True, default="")
    html = models.TextField(blank=True, default="")
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [models.Index(fields=["account", "created_at"], name="outbox_idx")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}"


class ProviderNotice(models.Model):
    """A provider callback already applied, keyed by its id, so retries do nothing."""

    provider = models.CharField(max_length=20)
    notice_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["provider", "notice_id"], name="provider_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.notice_id}"


class InboundEndpoint(models.Model):
    """The token in an inbound webhook URL (`?tenant=…`) that names the account.

    Twilio signs the whole URL, so once the signature checks out the token
    is as trustworthy as the request.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.token
