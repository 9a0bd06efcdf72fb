"""Changes to contacts: the one upsert, events, consent, suppression, deletion.

Every path that creates or changes a contact (the UI, imports, the API,
forms, store webhooks) goes through upsert_contacts, which applies the
account's identifier policy and never replaces a stored value with an
empty one.
"""

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contacts import queries
from contacts.fields import SYSTEM_FIELD_KEYS, TEXT_LIMITS, FieldSpec
from contacts.models import (
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactEvent,
    CustomField,
    FieldType,
    Suppression,
)
from contacts.normalize import (
    InvalidValue,
    normalize_boolean,
    normalize_choice,
    normalize_date,
    normalize_email,
    normalize_gender,
    normalize_multi_choice,
    normalize_number,
    normalize_phone,
    normalize_text,
)
from smoove.bulk import bulk_insert
from smoove.models import Account, IdentifierPolicy

logger = logging.getLogger(__name__)


class EventKind:
    """Names of contact events; other apps add their own kinds as strings."""

    CREATED = "contact_created"
    UPDATED = "contact_updated"
    DELETED = "contact_deleted"
    LIST_JOINED = "list_joined"
    LIST_LEFT = "list_left"
    CONSENT_CHANGED = "consent_changed"
    SUPPRESSED = "suppressed"
    IMPORTED = "imported"
    CUSTOM = "custom"


class ContactError(Exception):
    """A contact change that cannot be applied; field_errors maps field key to message."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


@dataclass
class UpsertOutcome:
    """The result of upserting one input row."""

    index: int
    contact: Contact | None = None
    created: bool = False
    changed_fields: list[str] = field(default_factory=list)
    # Field key (or "__all__") to message. With a contact, these are values
    # that were left out; without one, the row was not applied.
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def applied(self) -> bool:
        return self.contact is not None


IDENTITY_FIELD = {
    IdentifierPolicy.EMAIL: "email",
    IdentifierPolicy.MOBILE: "mobile",
    IdentifierPolicy.EXTERNAL_ID: "external_id",
}


def _clean_row(
    values: dict[str, Any], custom: dict[str, FieldSpec]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Normalise one row; return system values, custom values and errors by key."""
    system: dict[str, Any] = {}
    custom_values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        try:
            if key == "email":
                system["email"] = normalize_email(raw)
            elif key in ("mobile", "phone"):
                phone = normalize_phone(raw)
                if phone is None:
                    continue
                if phone.is_mobile:
                    # A mobile given as "phone" still serves as the mobile
                    # unless the row names one of its own.
                    if key == "mobile" or not values.get("mobile"):
                        system["mobile"] = phone.e164
                    if key == "phone":
                        system["phone"] = phone.e164
                else:
                    system["phone"] = phone.e164
            elif key == "gender":
                system["gender"] = normalize_gender(raw)
            elif key == "birthday":
                system["birthday"] = normalize_date(raw)
            elif key in TEXT_LIMITS:
                system[key] = normalize_text(raw, TEXT_LIMITS[key])
            elif key in custom:
                custom_values[key] = _clean_custom(custom[key], raw)
            else:
                errors[key] = _("There is no field “%(key)s”.") % {"key": key}
        except InvalidValue as exc:
            errors[key] = str(exc)
    return system, custom_values, errors


def _clean_custom(spec: FieldSpec, raw: Any) -> Any:
    if spec.type == FieldType.NUMBER:
        return normalize_number(raw)
    if spec.type == FieldType.DATE:
        day = normalize_date(raw)
        return day.isoformat() if day else None
    if spec.type == FieldType.BOOLEAN:
        return normalize_boolean(raw)
    if spec.type == FieldType.CHOICE:
        return normalize_choice(raw, list(spec.choices))
    if spec.type == FieldType.MULTI_CHOICE:
        return normalize_multi_choice(raw, list(spec.choices))
    return normalize_text(raw, 2000)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def identity_of(policy: str, system: dict[str, Any]) -> str:
    return system.get(IDENTITY_FIELD[IdentifierPolicy(policy)], "") or ""


def upsert_contacts(
    account: Account,
    rows: Sequence[dict[str, Any]],
    *,
    source: str,
    strict: bool = True,
    source_ref: str = "",
    custom_fields: dict[str, FieldSpec] | None = None,
) -> list[UpsertOutcome]:
    """Create or update contacts matched by the account's identifying field.

    1. Normalise every row. With strict, a row with any invalid value is not
       applied. Without strict, invalid values are left out and reported,
       and only a row without a valid identifier is not applied.
    2. Merge rows of this batch that share an identifier, later values first.
    3. Lock the account row, so concurrent upserts cannot create the same
       identifier twice or overrun the plan. Then load the stored contacts,
       fill in values without replacing any with an empty one, insert the
       new contacts and mark those past the plan's limit.
    4. Record contact_created and contact_updated events.
    """
    if custom_fields is None:
        custom_fields = queries.custom_field_specs(account)
    outcomes = [UpsertOutcome(index=i) for i in range(len(rows))]
    identity_key = IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]

    merged: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    indexes_by_identity: dict[str, list[int]] = {}
    for outcome, values in zip(outcomes, rows, strict=True):
        system, custom_values, errors = _clean_row(values, custom_fields)
        identity = identity_of(account.identifier_policy, system)
        outcome.errors = errors
        if identity_key in errors:
            continue
        if not identity:
            outcome.errors[identity_key] = _(
                "%(field)s is missing, and it identifies contacts in this account."
            ) % {"field": _field_label(identity_key)}
            continue
        if strict and errors:
            continue
        if identity in merged:
            stored_system, stored_custom = merged[identity]
            stored_system.update({k: v for k, v in system.items() if not _is_empty(v)})
            stored_custom.update({k: v for k, v in custom_values.items() if not _is_empty(v)})
        else:
            merged[identity] = (system, custom_values)
        indexes_by_identity.setdefault(identity, []).append(outcome.index)

    if not merged:
        return outcomes

    now = timezone.now()
    with transaction.atomic():
        locked = Account.objects.select_for_update().only("contact_limit").get(pk=account.pk)
        existing = {
            contact.identity: contact
            for contact in Contact.objects.filter(account=account, identity__in=list(merged))
        }
        room = None
        if locked.contact_limit is not None:
            used = Contact.objects.filter(account=account, over_plan=False).count()
            room = max(locked.contact_limit - used, 0)

        to_create: list[Contact] = []
        to_update: list[Contact] = []
        update_fields: set[str] = set()
        changes_by_identity: dict[str, dict[str, list[Any]]] = {}
        for identity, (system, custom_values) in merged.items():
            contact = existing.get(identity)
            if contact is None:
                contact = Contact(
                    account=account, identity=identity, created_at=now, updated_at=now
                )
                for key, value in system.items():
                    if not _is_empty(value):
                        setattr(contact, key, value)
                contact.fields = {k: v for k, v in custom_values.items() if not _is_empty(v)}
                if room is not None:
                    contact.over_plan = room <= 0
                    room -= 0 if contact.over_plan else 1
                to_create.append(contact)
                existing[identity] = contact
                continue
            changes = _merge_into(contact, system, custom_values)
            if changes:
                contact.updated_at = now
                to_update.append(contact)
                update_fields.update(k if k in SYSTEM_FIELD_KEYS else "fields" for k in changes)
                changes_by_identity[identity] = changes

        bulk_insert(Contact, to_create, assign_ids=True)
        if to_update:
            Contact.objects.bulk_update(to_update, [*sorted(update_fields), "updated_at"])

        events = [
            ContactEvent(
                account=account,
                contact=contact,
                kind=EventKind.CREATED,
                data={"source": source, "source_ref": source_ref, "over_plan": contact.over_plan},
                occurred_at=now,
            )
            for contact in to_create
        ]
        events += [
            ContactEvent(
                account=account,
                contact=existing[identity],
                kind=EventKind.UPDATED,
                data={"source": source, "source_ref": source_ref, "changes": changes},
                occurred_at=now,
            )
            for identity, changes in changes_by_identity.items()
        ]
        bulk_insert(ContactEvent, events)
        if events:
            _events_recorded()

    created_ids = {id(contact) for contact in to_create}
    for identity, indexes in indexes_by_identity.items():
        contact = existing[identity]
        for index in indexes:
            outcome = outcomes[index]
            outcome.contact = contact
            outcome.created = id(contact) in created_ids and index == indexes[0]
            outcome.changed_fields = sorted(changes_by_identity.get(identity, {}))
    if to_create and any(contact.over_plan for contact in to_create):
        logger.info("contacts kept over the plan limit", extra={"account_id": account.pk})
    return outcomes


def _merge_into(
    contact: Contact, system: dict[str, Any], custom_values: dict[str, Any]
) -> dict[str, list[Any]]:
    """Copy non-empty new values onto contact; return {key: [old, new]} of what changed."""
    changes: dict[str, list[Any]] = {}
    for key, value in system.items():
        old = getattr(contact, key)
        if _is_empty(value) or value == old:
            continue
        setattr(contact, key, value)
        changes[key] = [_jsonable(old), _jsonable(value)]
    merged_fields = dict(contact.fields or {})
    for key, value in custom_values.items():
        old = merged_fields.get(key)
        if _is_empty(value) or value == old:
            continue
        merged_fields[key] = value
        changes[key] = [old, value]
    contact.fields = merged_fields
    return changes


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _field_label(key: str) -> str:
    from contacts.fields import SYSTEM_FIELDS

    for spec in SYSTEM_FIELDS:
        if spec.key == key:
            return str(spec.label)
    return key


def validate_contact_values(
    account: Account,
    values: dict[str, Any],
    *,
    custom_fields: dict[str, FieldSpec] | None = None,
    require_identity: bool = True,
) -> dict[str, str]:
    """Check values as upsert_contacts would, without saving; return messages by field key.

    Forms with double opt-in check a submission when it arrives but save
    the contact only once the visitor confirms.
    """
    if custom_fields is None:
        custom_fields = queries.custom_field_specs(account)
    system, _custom_values, errors = _clean_row(values, custom_fields)
    identity_key = IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]
    if (
        require_identity
        and identity_key not in errors
        and not identity_of(account.identifier_policy, system)
    ):
        errors[identity_key] = _(
            "%(field)s is missing, and it identifies contacts in this account."
        ) % {"field": _field_label(identity_key)}
    return errors


def upsert_contact(
    account: Account, values: dict[str, Any], *, source: str, source_ref: str = ""
) -> UpsertOutcome:
    """Upsert one contact strictly; raise ContactError with field messages if invalid."""
    outcome = upsert_contacts(account, [values], source=source, source_ref=source_ref)[0]
    if not outcome.applied:
        raise ContactError(_("The contact was not saved."), outcome.errors)
    return outcome


def update_contact(
    account: Account, contact: Contact, values: dict[str, Any], *, source: str
) -> Contact:
    """Change a stored contact's fields, clearing those given as empty.

    Unlike an upsert, an edit may clear a value, because the person reads
    the stored value and removes it on purpose. The identifying field cannot
    be cleared.
    """
    custom_fields = queries.custom_field_specs(account)
    system, custom_values, errors = _clean_row(values, custom_fields)
    identity_key = IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]
    if identity_key in values and not system.get(identity_key) and identity_key not in errors:
        errors[identity_key] = _(
            "%(field)s is missing, and it identifies contacts in this account."
        ) % {"field": _field_label(identity_key)}
    if errors:
        raise ContactError(_("The contact was not saved."), errors)

    with transaction.atomic():
        # Read the row again under a lock: the caller's instance may be stale
        # (an engine batch loads its contacts before stepping them), and
        # changes must apply to the stored values, not overwrite later ones.
        fresh = Contact.objects.select_for_update(no_key=True).get(account=account, pk=contact.pk)
        changes = _apply_changes(fresh, values, system, custom_values, custom_fields)
        if changes:
            new_identity = identity_of(
                account.identifier_policy, {identity_key: getattr(fresh, identity_key)}
            )
            if new_identity != fresh.identity:
                clash = Contact.objects.filter(account=account, identity=new_identity).exclude(
                    pk=fresh.pk
                )
                if clash.exists():
                    raise ContactError(
                        _("Another contact already has this value."),
                        {identity_key: _("Another contact already has this value.")},
                    )
                fresh.identity = new_identity
            fresh.updated_at = timezone.now()
            # identity is saved even when unchanged: it is one column, and
            # listing it always keeps the update_fields logic simple.
            columns = [key for key in changes if key in SYSTEM_FIELD_KEYS]
            fresh.save(update_fields=[*columns, "fields", "identity", "updated_at"])
            record_event(account, fresh, EventKind.UPDATED, {"source": source, "changes": changes})
    for name in (*SYSTEM_FIELD_KEYS, "fields", "identity", "updated_at"):
        setattr(contact, name, getattr(fresh, name))
    return contact


def _apply_changes(
    contact: Contact,
    values: dict[str, Any],
    system: dict[str, Any],
    custom_values: dict[str, Any],
    custom_fields: dict[str, Any],
) -> dict[str, list[Any]]:
    """Set the changed values on the contact and return them as [old, new] by key."""
    changes: dict[str, list[Any]] = {}
    for key in (set(values) | set(system)) & SYSTEM_FIELD_KEYS:
        new = system.get(key, None if key == "birthday" else "")
        old = getattr(contact, key)
        if new != old:
            setattr(contact, key, new)
            changes[key] = [_jsonable(old), _jsonable(new)]
    stored = dict(contact.fields or {})
    for key in values:
        if key in custom_fields:
            new_value = custom_values.get(key)
            if new_value != stored.get(key):
                changes[key] = [stored.get(key), new_value]
                if _is_empty(new_value):
                    stored.pop(key, None)
                else:
                    stored[key] = new_value
    contact.fields = stored
    return changes


def record_event(
    account: Account, contact: Contact, kind: str, data: dict[str, Any] | None = None
) -> ContactEvent:
    event = ContactEvent.objects.create(
        account=account, contact=contact, kind=kind, data=data or {}
    )
    _events_recorded()
    return event


def record_events(
    account: Account,
    items: Iterable[tuple[Contact, str, dict[str, Any]]],
    *,
    occurred_at: Sequence[datetime.datetime] | None = None,
) -> list[ContactEvent]:
    """Insert events in bulk, at now or at the given time of each item."""
    now = timezone.now()
    events = [
        ContactEvent(account=account, contact=contact, kind=kind, data=data, occurred_at=now)
        for contact, kind, data in items
    ]
    if occurred_at is not None:
        for event, moment in zip(events, occurred_at, strict=True):
            event.occurred_at = moment
    bulk_insert(ContactEvent, events)
    if events:
        _events_recorded()
    return events


def _events_recorded() -> None:
    """Let the flow engine read the new events once they commit, not at its next beat."""
    from automation.tasks import kick_tick

    kick_tick()


def record_consent(
    account: Account,
    contact: Contact,
    *,
    channel: str,
    status: str,
    source: str,
    source_ref: str = "",
    wording: str = "",
    ip_address: str | None = None,
) -> ConsentRecord | None:
    """Record a consent change; a grant is refused for a suppressed contact.

    Returns None when a grant was not recorded because the contact
    unsubscribed or was suppressed on that channel: only the contact's own
    new opt-in (a form, later) may lift that, through lift_suppression.
    """
    if status == ConsentStatus.GRANTED and queries.is_suppressed(contact, channel):
        return None
    record = ConsentRecord.objects.create(
        account=account,
        contact=contact,
        channel=channel,
        status=status,
        source=source,
        source_ref=source_ref,
        wording=wording,
        ip_address=ip_address,
    )
    record_event(
        account,
        contact,
        EventKind.CONSENT_CHANGED,
        {"channel": channel, "status": status, "source": source, "source_ref": source_ref},
    )
    return record


def suppress(account: Account, contact: Contact, *, channel: str, reason: str) -> bool:
    """Stop all sending to contact on channel; return False if it already was."""
    _suppression, created = Suppression.objects.get_or_create(
        account=account, contact=contact, channel=channel, defaults={"reason": reason}
    )
    if created:
        record_event(account, contact, EventKind.SUPPRESSED, {"channel": channel, "reason": reason})
    return created


def lift_suppression(account: Account, contact: Contact, *, channel: str) -> None:
    Suppression.objects.filter(account=account, contact=contact, channel=channel).delete()


def delete_contact(account: Account, contact: Contact) -> None:
    """Delete a contact with its events, memberships and consent (a privacy request)."""
    with transaction.atomic():
        was_in_plan = not contact.over_plan
        Contact.objects.filter(account=account, pk=contact.pk).delete()
        if was_in_plan and account.contact_limit is not None:
            refresh_plan_marks(account)
    logger.info("contact deleted", extra={"account_id": account.pk, "contact_id": contact.pk})


def refresh_plan_marks(account: Account) -> None:
    """Mark the oldest contacts up to the plan's limit as within it, the rest as over."""
    contacts = Contact.objects.filter(account=account)
    if account.contact_limit is None:
        contacts.filter(over_plan=True).update(over_plan=False)
        return
    within = list(
        contacts.order_by("created_at", "id").values_list("pk", flat=True)[: account.contact_limit]
    )
    contacts.filter(pk__in=within, over_plan=True).update(over_plan=False)
    contacts.exclude(pk__in=within).filter(over_plan=False).update(over_plan=True)


def rekey_contacts(account: Account, *, old_policy: str) -> None:
    """Recompute every contact's identity for account.identifier_policy.

    Raises ContactError, without changing anything, when a contact lacks
    the new identifying field or two contacts share a value of it.
    """
    field_name = IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]
    contacts = Contact.objects.filter(account=account)
    missing = contacts.filter(**{field_name: ""}).count()
    if missing:
        raise ContactError(
            ngettext(
                "%(count)d contact has no %(field)s, so it cannot identify contacts.",
                "%(count)d contacts have no %(field)s, so it cannot identify contacts.",
                missing,
            )
            % {"count": missing, "field": _field_label(field_name)}
        )
    duplicates = queries.duplicate_values(account, field_name)
    if duplicates:
        raise ContactError(
            _("Several contacts share the %(field)s “%(value)s”, so it cannot identify contacts.")
            % {"field": _field_label(field_name), "value": duplicates[0]}
        )
    # Two steps, because an identity may equal another row's old identity
    # and PostgreSQL checks the unique constraint row by row.
    contacts.update(identity=Concat(Value("~rekey~"), F("id")))
    contacts.update(identity=F(field_name))
    logger.info("contacts rekeyed", extra={"account_id": account.pk})


def create_custom_field(
    account: Account, *, label: str, type: str, key: str = "", choices: list[str] | None = None
) -> CustomField:
    from django.utils.text import slugify

    label = label.strip()
    key = key.strip() or slugify(label) or ""
    if not key or not key.isascii():
        # Hebrew labels have no ASCII slug: number the field instead.
        key = f"field_{CustomField.objects.filter(account=account).count() + 1}"
    key = key.replace("-", "_")
    if key in SYSTEM_FIELD_KEYS:
        raise ContactError(_("“%(key)s” is a system field.") % {"key": key}, {"key": _("Taken.")})
    if CustomField.objects.filter(account=account, key=key).exists():
        raise ContactError(
            _("A field with the key “%(key)s” exists.") % {"key": key},
            {"key": _("A field with this key exists.")},
        )
    if CustomField.objects.filter(account=account, label=label).exists():
        raise ContactError(
            _("A field named “%(label)s” exists.") % {"label": label},
            {"label": _("A field with this name exists.")},
        )
    if type in (FieldType.CHOICE, FieldType.MULTI_CHOICE) and not choices:
        raise ContactError(
            _("A choice field needs at least one choice."),
            {"choices": _("Add at least one choice.")},
        )
    position = CustomField.objects.filter(account=account).count()
    return CustomField.objects.create(
        account=account,
        key=key,
        label=label,
        type=type,
        choices=[c.strip() for c in choices or [] if c.strip()],
        position=position,
    )


def update_custom_field(
    account: Account, custom: CustomField, *, label: str, choices: list[str] | None = None
) -> CustomField:
    """Rename a field or change its choices; the key and type stay, so stored values keep meaning."""
    label = label.strip()
    if CustomField.objects.filter(account=account, label=label).exclude(pk=custom.pk).exists():
        raise ContactError(
            _("A field named “%(label)s” exists.") % {"label": label},
            {"label": _("A field with this name exists.")},
        )
    custom.label = label
    if choices is not None and custom.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        custom.choices = [c.strip() for c in choices if c.strip()]
    custom.save(update_fields=["label", "choices"])
    return custom


def delete_custom_field(account: Account, custom: CustomField) -> None:
    """Delete a custom field; its values stay in each contact's stored fields, unused."""
    CustomField.objects.filter(account=account, pk=custom.pk).delete()
