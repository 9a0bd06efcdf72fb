"""Taking a submission: store it raw, check it, apply it, or keep it with its reason.

1. receive_submission stores what the browser sent before anything else,
   together with what the form accepted: visible values by contact field
   key, hidden values from the form definition (never from the POST),
   chosen lists and the consent wording shown.
2. It checks the values as the contact upsert would. An invalid submission
   is kept with a message per field, and the messages are shown to the
   visitor.
3. A form with double opt-in waits for the emailed link. Otherwise, and on
   confirmation, apply_submission upserts the contact, then in one
   transaction joins the lists and records consent and the form_submitted
   event. Any failure keeps the submission with its reason.
4. replay_submission applies a kept submission again, with the
   marketer's corrected values if given.
"""

import datetime
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contacts import actions as contact_actions
from contacts import queries as contact_queries
from contacts.actions import ContactError
from contacts.fields import FieldSpec
from contacts.models import Channel, Contact, FieldType
from forms.models import (
    FORM_SUBMITTED_EVENT,
    REPLAYABLE_STATUSES,
    Form,
    LandingPage,
    Submission,
    SubmissionStatus,
)
from forms.queries import FormDefinition, load_definition
from lists import actions as list_actions
from lists import queries as list_queries
from lists.actions import ListError
from smoove.models import Account
from smoove.tasks_util import enqueue_on_commit

logger = logging.getLogger(__name__)

# Names of the inputs a form sends besides contact fields. They start with
# "_", and forms.actions.add_field rejects contact field keys that do.
LISTS_INPUT = "_lists"
CONSENT_INPUT_PREFIX = "_consent_"
NONCE_INPUT = "_nonce"
PAGE_INPUT = "_page"
SLOT_INPUT = "_slot"
# The spam trap: an input hidden from people that bots fill in.
HONEYPOT_INPUT = "_url"

# Maximum length of a visible input's value. Contact fields have lower
# limits of their own (100 characters for a name).
MAX_VALUE_LENGTH = 2000
# Maximum length of a hidden value taken from a page address.
MAX_QUERY_VALUE_LENGTH = 500
# The raw record keeps at most this many inputs and characters per value,
# so an oversized POST cannot fill the table.
RAW_MAX_INPUTS = 100
RAW_MAX_VALUE_LENGTH = 10_000
# A confirmation link works for this long after it was sent.
CONFIRMATION_MAX_AGE = 30 * 24 * 3600
CONFIRMATION_SALT = "forms.confirm-submission"
# Reminders after the first confirmation email, and the least time between two.
MAX_REMINDERS = 3
REMINDER_INTERVAL_SECONDS = 24 * 3600


class Outcome:
    APPLIED = "applied"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    INVALID = "invalid"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    SPAM = "spam"


@dataclass
class Received:
    """The outcome of a submission, for the visitor's response."""

    outcome: str
    submission: Submission
    # Field key (or an input name such as "_consent_email") to message.
    errors: dict[str, str] = field(default_factory=dict)


def _items(data: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Return every value of an input; a QueryDict's get() would give only the last."""
    getlist = getattr(data, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    return list(data.get(name, []))


def _single(values: Sequence[str]) -> str:
    return values[0] if values else ""


def _raw_record(data: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Copy the POST for the record, capped in inputs and length, without the nonce."""
    record: dict[str, Any] = {}
    for name in list(data)[:RAW_MAX_INPUTS]:
        if name in ("csrfmiddlewaretoken", NONCE_INPUT):
            continue
        items = [str(item)[:RAW_MAX_VALUE_LENGTH] for item in _items(data, name)[:50]]
        record[name] = items[0] if len(items) == 1 else items
    if len(data) > RAW_MAX_INPUTS:
        record["__truncated__"] = True
    return record


def resolve_hidden_values(definition: FormDefinition, query: Mapping[str, str]) -> dict[str, str]:
    """Return each hidden field's value: its query parameter when present, else the fixed value."""
    resolved: dict[str, str] = {}
    for form_field, _spec in definition.hidden:
        value = ""
        if form_field.query_param:
            value = str(query.get(form_field.query_param, "")).strip()[:MAX_QUERY_VALUE_LENGTH]
        if not value:
            value = form_field.fixed_value
        if value:
            resolved[form_field.field_key] = value
    return resolved


def _visible_values(
    definition: FormDefinition, data: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Read each visible field's input; return values and the required or size errors."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for form_field, spec in definition.visible:
        key = form_field.field_key
        items = [str(item).strip() for item in _items(data, key)]
        value: Any = (
            [item for item in items if item]
            if spec.type == FieldType.MULTI_CHOICE
            else _single(items)
        )
        if spec.type == FieldType.BOOLEAN and not value:
            # An unticked box carries no value, so the upsert keeps a stored one.
            value = ""
        longest = max((len(item) for item in items), default=0)
        if longest > MAX_VALUE_LENGTH:
            errors[key] = _("The value is longer than %(max)d characters.") % {
                "max": MAX_VALUE_LENGTH
            }
            value = (
                [item[:MAX_VALUE_LENGTH] for item in items]
                if isinstance(value, list)
                else value[:MAX_VALUE_LENGTH]
            )
        elif form_field.required and not value:
            errors[key] = _("Fill in “%(label)s”.") % {"label": form_field.label or spec.label}
        values[key] = value
    return values, errors


def receive_submission(
    form: Form,
    data: Mapping[str, Sequence[str]],
    *,
    query: Mapping[str, str],
    ip_address: str | None,
    user_agent: str = "",
    page: LandingPage | None = None,
    slot: str = "",
    definition: FormDefinition | None = None,
) -> Received:
    """Store a visitor's POST, then check and apply it (see the module's steps).

    data maps each input name to its list of values, as a QueryDict does.
    query is the page address's query string, for hidden fields that take
    a parameter.
    """
    if definition is None:
        definition = load_definition(form)
    values, errors = _visible_values(definition, data)
    offered_ids = {contact_list.pk for contact_list in definition.offered_lists}
    chosen_ids = [
        int(item)
        for item in _items(data, LISTS_INPUT)
        if str(item).isdigit() and int(item) in offered_ids
    ]
    consents: dict[str, str] = {}
    for consent in definition.consents:
        ticked = bool(_single(_items(data, CONSENT_INPUT_PREFIX + consent.channel)))
        if ticked:
            consents[consent.channel] = consent.wording
        elif consent.required:
            errors[CONSENT_INPUT_PREFIX + consent.channel] = _("Tick this box to send the form.")

    submission = Submission.objects.create(
        account_id=form.account_id,
        form=form,
        page=page,
        slot=slot if page is not None else "",
        raw=_raw_record(data),
        values=values,
        hidden_values=resolve_hidden_values(definition, query),
        list_ids=sorted(set(chosen_ids) | set(definition.target_list_ids)),
        consents=consents,
        nonce=_single(_items(data, NONCE_INPUT))[:64],
        ip_address=ip_address,
        user_agent=user_agent[:300],
    )

    if _single(_items(data, HONEYPOT_INPUT)):
        _keep(submission, SubmissionStatus.SPAM, _("The spam trap field was filled in."))
        logger.info("form submission caught as spam", extra={"submission_id": submission.pk})
        return Received(Outcome.SPAM, submission)

    if _is_duplicate(submission):
        _keep(submission, SubmissionStatus.DUPLICATE, _("The same form was sent twice."))
        return Received(Outcome.DUPLICATE, submission)

    for key, message in _check_values(definition, values, errors).items():
        errors.setdefault(key, message)
    if form.double_opt_in and "email" not in errors and not values.get("email"):
        errors["email"] = _("Fill in your email address: a confirmation link is sent to it.")
    if errors:
        _keep(submission, SubmissionStatus.INVALID, _("Some values are invalid."), errors)
        return Received(Outcome.INVALID, submission, errors)

    if form.double_opt_in:
        return _await_confirmation(submission)
    return apply_submission(submission, custom_fields=definition.custom_fields)


def _check_values(
    definition: FormDefinition, values: dict[str, Any], known: dict[str, str]
) -> dict[str, str]:
    """Return the upsert's messages for values without an error yet."""
    unchecked = {key: value for key, value in values.items() if key not in known}
    return contact_actions.validate_contact_values(
        definition.form.account, unchecked, custom_fields=definition.custom_fields
    )


def _is_duplicate(submission: Submission) -> bool:
    if not submission.nonce:
        return False
    return (
        Submission.objects.filter(
            account_id=submission.account_id,
            form_id=submission.form_id,
            nonce=submission.nonce,
            status__in=(SubmissionStatus.APPLIED, SubmissionStatus.AWAITING_CONFIRMATION),
        )
        .exclude(pk=submission.pk)
        .exists()
    )


def _keep(
    submission: Submission, status: str, reason: str, errors: dict[str, str] | None = None
) -> None:
    submission.status = status
    submission.reason = reason
    submission.errors = errors or {}
    submission.save(update_fields=["status", "reason", "errors"])


def _await_confirmation(submission: Submission) -> Received:
    try:
        with transaction.atomic():
            submission.status = SubmissionStatus.AWAITING_CONFIRMATION
            submission.confirmations_requested += 1
            submission.save(update_fields=["status", "confirmations_requested"])
            _mark_superseded(submission)
            _enqueue_confirmation(submission)
    except IntegrityError:
        submission.refresh_from_db()
        _keep(submission, SubmissionStatus.DUPLICATE, _("The same form was sent twice."))
        return Received(Outcome.DUPLICATE, submission)
    return Received(Outcome.AWAITING_CONFIRMATION, submission)


def _enqueue_confirmation(submission: Submission) -> None:
    from forms import tasks

    enqueue_on_commit(
        tasks.send_confirmation_email,
        submission.account_id,
        submission.pk,
        submission.confirmations_requested,
    )


def _mark_superseded(submission: Submission) -> None:
    """Mark earlier invalid tries of the same rendered form as corrected by this one."""
    if not submission.nonce:
        return
    Submission.objects.filter(
        account_id=submission.account_id,
        form_id=submission.form_id,
        nonce=submission.nonce,
        status=SubmissionStatus.INVALID,
    ).exclude(pk=submission.pk).update(status=SubmissionStatus.SUPERSEDED)


def apply_submission(
    submission: Submission,
    *,
    confirmed: bool = False,
    custom_fields: dict[str, FieldSpec] | None = None,
) -> Received:
    """Apply a stored submission; keep it with its reason on failure.

    The contact upsert commits on its own, so the account row it locks is
    held only for the upsert. Lists, consent, the event and the status then
    commit together. When that second part fails, the contact stays saved
    and the submission is kept: a replay upserts again, which changes
    nothing, and finishes the rest.
    """
    form = submission.form
    if custom_fields is None:
        custom_fields = contact_queries.custom_field_specs(form.account)
    try:
        hidden, warnings = _valid_hidden_values(form.account, submission, custom_fields)
        contact = _upsert(form, submission, hidden, custom_fields)
        with transaction.atomic():
            _finish(form, submission, contact, hidden, warnings, confirmed=confirmed)
            _mark_superseded(submission)
    except ContactError as exc:
        submission.refresh_from_db()
        _keep(submission, SubmissionStatus.INVALID, str(exc), exc.field_errors)
        return Received(Outcome.INVALID, submission, exc.field_errors)
    except IntegrityError:
        # Another submission with the same nonce reached a final status first.
        submission.refresh_from_db()
        _keep(submission, SubmissionStatus.DUPLICATE, _("The same form was sent twice."))
        return Received(Outcome.DUPLICATE, submission)
    except Exception as exc:
        # Whatever went wrong, the visitor's data stays as a kept
        # submission the marketer can replay once the cause is fixed.
        logger.exception(
            "form submission could not be applied",
            extra={"account_id": submission.account_id, "submission_id": submission.pk},
        )
        submission.refresh_from_db()
        _keep(
            submission,
            SubmissionStatus.FAILED,
            _("An internal error stopped this submission (%(error)s). Replay it to try again.")
            % {"error": type(exc).__name__},
        )
        return Received(Outcome.FAILED, submission)
    return Received(Outcome.APPLIED, submission)


def _valid_hidden_values(
    account: Account, submission: Submission, custom_fields: dict[str, FieldSpec]
) -> tuple[dict[str, str], list[str]]:
    """Return the hidden values the contact fields accept, and a warning per value left out."""
    hidden: dict[str, str] = {}
    warnings: list[str] = []
    for key, value in (submission.hidden_values or {}).items():
        problems = contact_actions.validate_contact_values(
            account, {key: value}, custom_fields=custom_fields, require_identity=False
        )
        if problems:
            warnings.append(
                _("The hidden value “%(value)s” for “%(key)s” was left out: %(problem)s")
                % {"value": value, "key": key, "problem": problems.get(key, "")}
            )
        else:
            hidden[key] = value
    return hidden, warnings


def _upsert(
    form: Form,
    submission: Submission,
    hidden: dict[str, str],
    custom_fields: dict[str, FieldSpec],
) -> Contact:
    outcome = contact_actions.upsert_contacts(
        form.account,
        [{**submission.values, **hidden}],
        source="form",
        source_ref=f"form:{form.pk}",
        custom_fields=custom_fields,
    )[0]
    if outcome.contact is None:
        raise ContactError(_("Some values are invalid."), outcome.errors)
    return outcome.contact


def _finish(
    form: Form,
    submission: Submission,
    contact: Contact,
    hidden: dict[str, str],
    warnings: list[str],
    *,
    confirmed: bool,
) -> None:
    """Join the lists, record consent and the form_submitted event, and mark it applied."""
    account = form.account
    joined = _join_lists(account, contact, submission.list_ids, warnings)
    _record_consents(account, form, submission, contact, confirmed=confirmed, warnings=warnings)
    contact_actions.record_event(
        account,
        contact,
        FORM_SUBMITTED_EVENT,
        {
            "form_id": form.pk,
            "page_id": submission.page_id,
            "slot": submission.slot,
            "submission_id": submission.pk,
            "hidden": hidden,
            "list_ids": joined,
            "double_opt_in": form.double_opt_in,
        },
    )

    submission.status = SubmissionStatus.APPLIED
    submission.contact = contact
    submission.over_plan = contact.over_plan
    submission.applied_at = timezone.now()
    submission.warnings = warnings
    submission.errors = {}
    submission.reason = ""
    if contact.over_plan:
        submission.reason = _(
            "The plan's contact limit was reached: the contact was saved but receives "
            "nothing until the account upgrades."
        )
    submission.save(
        update_fields=[
            "status",
            "contact",
            "over_plan",
            "applied_at",
            "warnings",
            "errors",
            "reason",
        ]
    )


def _join_lists(
    account: Account, contact: Contact, list_ids: list[int], warnings: list[str]
) -> list[int]:
    joined = []
    found = {
        contact_list.pk: contact_list
        for contact_list in list_queries.lists_of_account(account).filter(pk__in=list_ids)
    }
    for list_id in list_ids:
        contact_list = found.get(list_id)
        if contact_list is None:
            warnings.append(
                _("List %(id)s no longer exists, so it was not joined.") % {"id": list_id}
            )
            continue
        try:
            list_actions.add_contacts(account, contact_list, [contact], source="form")
        except ListError as exc:
            warnings.append(str(exc))
            continue
        joined.append(list_id)
    return joined


def _record_consents(
    account: Account,
    form: Form,
    submission: Submission,
    contact: Contact,
    *,
    confirmed: bool,
    warnings: list[str],
) -> None:
    for channel, wording in (submission.consents or {}).items():
        # Only a confirmed email address proves the opt-in came from its
        # owner, so only that lifts an unsubscribe, and only for email.
        if confirmed and channel == Channel.EMAIL:
            contact_actions.lift_suppression(account, contact, channel=channel)
        record = contact_actions.record_consent(
            account,
            contact,
            channel=channel,
            status="granted",
            source="form",
            source_ref=f"form:{form.pk}:submission:{submission.pk}",
            wording=wording,
            ip_address=submission.ip_address,
        )
        if record is None:
            warnings.append(
                _(
                    "Consent to %(channel)s was not recorded, because the contact unsubscribed from it."
                )
                % {"channel": Channel(channel).label}
            )


def replay_submission(submission: Submission, values: dict[str, Any] | None = None) -> Received:
    """Apply a kept submission again, with corrected contact values if given.

    Raises ValueError when the submission is not kept (already applied or
    waiting for confirmation).
    """
    updated = Submission.objects.filter(pk=submission.pk, status__in=REPLAYABLE_STATUSES).update(
        status=SubmissionStatus.RECEIVED,
        replay_count=F("replay_count") + 1,
        # A duplicate is replayed because its values differ from the first,
        # so it gives up the nonce it shared with it.
        nonce="",
    )
    if not updated:
        raise ValueError("Only a kept submission can be replayed.")
    submission.refresh_from_db()
    if values is not None:
        submission.values = {**submission.values, **values}
        submission.save(update_fields=["values"])
    definition = load_definition(submission.form)
    _visible, required_errors = _visible_values(
        definition,
        {
            key: value if isinstance(value, list) else [str(value)]
            for key, value in submission.values.items()
        },
    )
    errors = dict(required_errors)
    for key, message in _check_values(definition, submission.values, errors).items():
        errors.setdefault(key, message)
    if errors:
        _keep(submission, SubmissionStatus.INVALID, _("Some values are invalid."), errors)
        return Received(Outcome.INVALID, submission, errors)
    if submission.form.double_opt_in and submission.confirmed_at is None:
        # Never confirmed: the replay sends the confirmation email instead
        # of applying, as the first submission would have.
        return _await_confirmation(submission)
    return apply_submission(submission, confirmed=submission.confirmed_at is not None)


# Double opt-in.


def confirmation_token(submission: Submission) -> str:
    return signing.dumps({"submission": submission.pk}, salt=CONFIRMATION_SALT)


def confirmation_url(submission: Submission) -> str:
    return settings.SITE_URL + reverse(
        "public_forms:confirm", args=[confirmation_token(submission)]
    )


class ConfirmationError(Exception):
    """A confirmation link that is invalid or expired."""


def submission_of_token(token: str) -> Submission:
    """Return the submission a confirmation link names; raise ConfirmationError if invalid."""
    try:
        payload = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.BadSignature as exc:
        raise ConfirmationError(str(exc)) from exc
    submission = (
        Submission.objects.select_related("form__account")
        .filter(pk=payload.get("submission"))
        .first()
    )
    if submission is None:
        raise ConfirmationError("The submission no longer exists.")
    return submission


def confirm_submission(token: str) -> Received:
    """Apply the submission a confirmation link names; a second click changes nothing.

    Raises ConfirmationError when the link is tampered with or expired, or
    the submission is neither waiting nor applied.
    """
    submission = submission_of_token(token)
    if submission.status == SubmissionStatus.APPLIED:
        return Received(Outcome.APPLIED, submission)
    if submission.status != SubmissionStatus.AWAITING_CONFIRMATION:
        raise ConfirmationError("The submission is not waiting for confirmation.")
    # The claim records the click even if applying then fails, so a replay
    # of that failure applies instead of asking for confirmation again.
    claimed = Submission.objects.filter(
        pk=submission.pk, status=SubmissionStatus.AWAITING_CONFIRMATION
    ).update(status=SubmissionStatus.RECEIVED, confirmed_at=timezone.now())
    if not claimed:
        submission.refresh_from_db()
        return Received(Outcome.APPLIED, submission)
    return apply_submission(submission, confirmed=True)


def send_confirmation(submission: Submission, sequence: int) -> bool:
    """Send the confirmation email numbered sequence, once; return whether it was sent.

    The claim is a conditional update of confirmations_sent, so a task
    delivered twice sends one email. A failed send gives the claim back
    and re-raises, for the task to retry.
    """
    claimed = Submission.objects.filter(
        pk=submission.pk,
        status=SubmissionStatus.AWAITING_CONFIRMATION,
        confirmations_sent__lt=sequence,
    ).update(confirmations_sent=sequence, confirmation_sent_at=timezone.now())
    if not claimed:
        return False
    submission.refresh_from_db()
    try:
        _build_confirmation_email(submission).send()
    except OSError:
        Submission.objects.filter(pk=submission.pk, confirmations_sent=sequence).update(
            confirmations_sent=sequence - 1
        )
        raise
    logger.info(
        "confirmation email sent",
        extra={"account_id": submission.account_id, "submission_id": submission.pk},
    )
    return True


def _build_confirmation_email(submission: Submission) -> EmailMultiAlternatives:
    form = Form.objects.select_related("account").get(pk=submission.form_id)
    account = form.account
    sender = settings.DEFAULT_FROM_EMAIL
    if account.default_sender_email:
        sender = formataddr(
            (account.default_sender_name or account.name, account.default_sender_email)
        )
    context = {
        "account": account,
        "form": form,
        "first_name": submission.values.get("first_name", ""),
        "url": confirmation_url(submission),
    }
    with translation.override(account.language):
        subject = form.confirmation_subject or _(
            "Please confirm your subscription to %(business)s"
        ) % {"business": account.name}
        text = render_to_string("forms/email/confirm.txt", context)
        html = render_to_string("forms/email/confirm.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=sender, to=[submission.values["email"]]
    )
    message.attach_alternative(html, "text/html")
    return message


def remind_unconfirmed(form: Form, submission_ids: Sequence[int] | None = None) -> int:
    """Ask for another confirmation email to each unconfirmed submission that may get one.

    A submission gets at most MAX_REMINDERS reminders, at least
    REMINDER_INTERVAL_SECONDS apart. Returns how many were queued.
    """
    due_before = timezone.now() - datetime.timedelta(seconds=REMINDER_INTERVAL_SECONDS)
    candidates = Submission.objects.filter(
        account_id=form.account_id,
        form=form,
        status=SubmissionStatus.AWAITING_CONFIRMATION,
        confirmations_requested__lte=MAX_REMINDERS,
    ).filter(Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lte=due_before))
    if submission_ids is not None:
        candidates = candidates.filter(pk__in=list(submission_ids))
    queued = 0
    with transaction.atomic():
        for submission in candidates.select_for_update():
            # Only after the previous email went out, so two clicks of the
            # remind button queue one email.
            if submission.confirmations_sent < submission.confirmations_requested:
                continue
            submission.confirmations_requested += 1
            submission.save(update_fields=["confirmations_requested"])
            _enqueue_confirmation(submission)
            queued += 1
    return queued


def record_form_view(form: Form) -> None:
    Form.objects.filter(pk=form.pk).update(view_count=F("view_count") + 1)


def record_page_view(page: LandingPage, form_ids: Sequence[int]) -> None:
    """Count one view of the page and of each form placed on it."""
    LandingPage.objects.filter(pk=page.pk).update(view_count=F("view_count") + 1)
    Form.objects.filter(account_id=page.account_id, pk__in=list(form_ids)).update(
        view_count=F("view_count") + 1
    )
