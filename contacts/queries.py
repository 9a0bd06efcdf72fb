"""Reads of contacts, custom fields, consent, events and imports, scoped to an account."""

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.fields import SYSTEM_FIELDS, FieldSpec, custom_field_spec
from contacts.models import (
    ConsentRecord,
    Contact,
    ContactEvent,
    CustomField,
    ImportJob,
    ImportRowIssue,
    Suppression,
)
from contacts.normalize import InvalidValue, normalize_email, normalize_phone
from smoove.models import Account


def contacts_of_account(account: Account) -> QuerySet[Contact]:
    return Contact.objects.filter(account=account)


def get_contact_for_account(account: Account, pk: int | str) -> Contact:
    contact = Contact.objects.filter(account=account, pk=pk).first() if str(pk).isdigit() else None
    if contact is None:
        raise Http404("Contact not found.")
    return contact


def find_contact_by_identity(account: Account, identity: str) -> Contact | None:
    return Contact.objects.filter(account=account, identity=identity).first()


def custom_fields_of_account(account: Account) -> QuerySet[CustomField]:
    return CustomField.objects.filter(account=account)


def get_custom_field_for_account(account: Account, pk: int | str) -> CustomField:
    custom = (
        CustomField.objects.filter(account=account, pk=pk).first() if str(pk).isdigit() else None
    )
    if custom is None:
        raise Http404("Field not found.")
    return custom


def count_contacts_with_field_value(account: Account, key: str) -> int:
    """Count the contacts that store a value under the custom field key."""
    return Contact.objects.filter(account=account, fields__has_key=key).count()


def custom_field_specs(account: Account) -> dict[str, FieldSpec]:
    return {c.key: custom_field_spec(c) for c in CustomField.objects.filter(account=account)}


def field_catalog(account: Account) -> list[FieldSpec]:
    """Return every field a contact of this account has: system fields, then custom ones."""
    return [*SYSTEM_FIELDS, *custom_field_specs(account).values()]


def field_spec(account: Account, key: str) -> FieldSpec | None:
    for spec in field_catalog(account):
        if spec.key == key:
            return spec
    return None


def over_plan_count(account: Account) -> int:
    if account.contact_limit is None:
        return 0
    return Contact.objects.filter(account=account, over_plan=True).count()


def within_plan_count(account: Account) -> int:
    return Contact.objects.filter(account=account, over_plan=False).count()


def is_suppressed(contact: Contact, channel: str) -> bool:
    return Suppression.objects.filter(
        account_id=contact.account_id, contact=contact, channel=channel
    ).exists()


def suppressions_of_contact(contact: Contact) -> QuerySet[Suppression]:
    return Suppression.objects.filter(account_id=contact.account_id, contact=contact)


def consent_history(contact: Contact) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(account_id=contact.account_id, contact=contact).order_by(
        "-recorded_at", "-id"
    )


def current_consent(contact: Contact) -> dict[str, ConsentRecord]:
    """Return the latest consent record per channel."""
    latest: dict[str, ConsentRecord] = {}
    for record in consent_history(contact):
        latest.setdefault(record.channel, record)
    return latest


def timeline(contact: Contact, limit: int = 200) -> QuerySet[ContactEvent]:
    return ContactEvent.objects.filter(account_id=contact.account_id, contact=contact).order_by(
        "-occurred_at", "-id"
    )[:limit]


# Names of the event kinds that contacts, forms, campaigns and stores record,
# as a marketer reads them in rule builders. Kinds not listed here (custom
# kinds sent over the API) are shown by their code.
EVENT_KIND_LABELS = {
    "contact_created": gettext_lazy("Contact created"),
    "contact_updated": gettext_lazy("Contact updated"),
    "list_joined": gettext_lazy("Joined a list"),
    "list_left": gettext_lazy("Left a list"),
    "consent_changed": gettext_lazy("Consent changed"),
    "suppressed": gettext_lazy("Suppressed"),
    "imported": gettext_lazy("Imported from a file"),
    "custom": gettext_lazy("Custom event"),
    "form_submitted": gettext_lazy("Submitted a form"),
    "message_sent": gettext_lazy("Message sent"),
    "message_delivered": gettext_lazy("Message delivered"),
    "message_opened": gettext_lazy("Message opened"),
    "message_clicked": gettext_lazy("Link in a message clicked"),
    "message_bounced": gettext_lazy("Message bounced"),
    "message_complained": gettext_lazy("Message marked as spam"),
    "message_unsubscribed": gettext_lazy("Unsubscribed through a message"),
    "purchase": gettext_lazy("Purchase"),
    "cart_abandoned": gettext_lazy("Cart abandoned"),
}


def event_kind_label(kind: str) -> str:
    """Return the readable name of an event kind, or the kind itself when it has none."""
    label = EVENT_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


# The number of newest events that recent_event_kinds reads. A DISTINCT over
# all of a large account's events would scan its whole index range, so only
# the kinds seen lately are returned.
RECENT_EVENTS_SAMPLE = 5000


def recent_event_kinds(account: Account) -> list[str]:
    """Return the event kinds among the account's newest events, sorted."""
    newest = ContactEvent.objects.filter(account=account).order_by("-occurred_at")
    sample = newest.values("pk")[:RECENT_EVENTS_SAMPLE]
    kinds = ContactEvent.objects.filter(account=account, pk__in=sample).values_list(
        "kind", flat=True
    )
    return sorted(set(kinds))


def duplicate_values(account: Account, field_name: str) -> list[str]:
    rows = (
        Contact.objects.filter(account=account)
        .exclude(**{field_name: ""})
        .values(field_name)
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by(field_name)
    )
    return [row[field_name] for row in rows[:5]]


def contact_values(contact: Contact, specs: list[FieldSpec]) -> list[tuple[FieldSpec, Any]]:
    values = []
    for spec in specs:
        if spec.is_custom:
            values.append((spec, (contact.fields or {}).get(spec.key)))
        else:
            values.append((spec, getattr(contact, spec.key)))
    return values


def export_contact_data(contact: Contact) -> dict[str, Any]:
    """Return everything held about one contact, for a privacy request."""
    from lists import queries as list_queries

    def stamp(value: Any) -> Any:
        return value.isoformat() if value is not None and hasattr(value, "isoformat") else value

    account = contact.account
    return {
        "contact": {
            "id": contact.pk,
            **{
                spec.key: stamp(value)
                for spec, value in contact_values(contact, field_catalog(account))
            },
            "over_plan": contact.over_plan,
            "created_at": stamp(contact.created_at),
            "updated_at": stamp(contact.updated_at),
            "other_fields": {
                k: v
                for k, v in (contact.fields or {}).items()
                if k not in custom_field_specs(account)
            },
        },
        "lists": [
            {"list": membership.contact_list.name, "joined_at": stamp(membership.joined_at)}
            for membership in list_queries.memberships_of_contact(contact)
        ],
        "consent": [
            {
                "channel": r.channel,
                "status": r.status,
                "source": r.source,
                "source_ref": r.source_ref,
                "wording": r.wording,
                "ip_address": r.ip_address,
                "recorded_at": stamp(r.recorded_at),
            }
            for r in consent_history(contact)
        ],
        "suppressions": [
            {"channel": s.channel, "reason": s.reason, "created_at": stamp(s.created_at)}
            for s in suppressions_of_contact(contact)
        ],
        "events": [
            {"kind": e.kind, "data": e.data, "occurred_at": stamp(e.occurred_at)}
            for e in ContactEvent.objects.filter(
                account_id=contact.account_id, contact=contact
            ).order_by("occurred_at", "id")
        ],
    }


def imports_of_account(account: Account) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(account=account).order_by("-created_at", "-id")


def get_import_for_account(account: Account, pk: int | str) -> ImportJob:
    job = ImportJob.objects.filter(account=account, pk=pk).first() if str(pk).isdigit() else None
    if job is None:
        raise Http404("Import not found.")
    return job


def issues_of_import(job: ImportJob) -> QuerySet[ImportRowIssue]:
    return ImportRowIssue.objects.filter(account_id=job.account_id, job=job)


def filter_contacts(
    account: Account,
    *,
    email: str | None = None,
    mobile: str | None = None,
    external_id: str | None = None,
    updated_since: datetime.datetime | None = None,
    text: str | None = None,
) -> QuerySet[Contact]:
    """Return the account's contacts matching every given filter, oldest first.

    Email and mobile are normalised as the upsert stores them, so any
    Israeli way of writing a number finds the contact. Each word of text
    must appear in one of the contact's name, email, city, external ID or
    phone fields. Raises ContactError naming the filter whose value is
    invalid.
    """
    from contacts.actions import ContactError

    contacts = Contact.objects.filter(account=account)
    errors: dict[str, str] = {}
    if email is not None:
        try:
            contacts = contacts.filter(email=normalize_email(email))
        except InvalidValue as exc:
            errors["email"] = str(exc)
    if mobile is not None:
        try:
            phone = normalize_phone(mobile)
        except InvalidValue as exc:
            errors["mobile"] = str(exc)
        else:
            contacts = contacts.filter(mobile=phone.e164 if phone else "")
    if errors:
        raise ContactError(_("The filters are invalid."), errors)
    if external_id is not None:
        contacts = contacts.filter(external_id=external_id.strip())
    if updated_since is not None:
        contacts = contacts.filter(updated_at__gte=updated_since)
    for word in (text or "").split():
        contacts = contacts.filter(_text_match(word))
    return contacts.order_by("id")


def _text_match(word: str) -> Q:
    match = Q()
    for name in ("email", "first_name", "last_name", "city", "external_id", "mobile", "phone"):
        match |= Q(**{f"{name}__icontains": word})
    # A number typed the local way (050-1234567) is stored as +972501234567.
    try:
        phone = normalize_phone(word) if any(ch.isdigit() for ch in word) else None
    except InvalidValue:
        phone = None
    if phone is not None:
        match |= Q(mobile=phone.e164) | Q(phone=phone.e164)
    return match


def get_contacts_for_account(account: Account, pks: Sequence[int]) -> list[Contact]:
    """Return the account's contacts with these ids, in order, without repeats.

    Raises ContactError under "contact_ids" naming every id that is not a
    contact of this account, so another account's ids read as unknown.
    """
    from contacts.actions import ContactError

    wanted = list(dict.fromkeys(pks))
    found = {c.pk: c for c in Contact.objects.filter(account=account, pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        message = _("No contact has the ID %(ids)s.") % {
            "ids": ", ".join(str(pk) for pk in missing)
        }
        raise ContactError(message, {"contact_ids": message})
    return [found[pk] for pk in wanted]


def find_contact(
    account: Account,
    *,
    email: str | None = None,
    mobile: str | None = None,
    external_id: str | None = None,
) -> Contact:
    """Return the one contact whose email, mobile or external ID is the given value.

    The first of email, mobile and external_id that is given decides.
    Raises Http404 when no contact has the value, and ContactError when the
    value is invalid or several contacts share it (possible for a field
    that does not identify contacts in this account).
    """
    from contacts.actions import ContactError

    for name, raw in (("email", email), ("mobile", mobile), ("external_id", external_id)):
        if not raw:
            continue
        try:
            value = _normalized_lookup_value(name, raw)
        except InvalidValue as exc:
            raise ContactError(str(exc), {name: str(exc)}) from exc
        matches = list(Contact.objects.filter(account=account, **{name: value})[:2])
        if not matches:
            raise Http404(f"No contact has this {name.replace('_', ' ')}.")
        if len(matches) > 1:
            message = _("Several contacts have this value; identify the contact by its ID.")
            raise ContactError(message, {name: message})
        return matches[0]
    message = _("Give a contact ID, email, mobile or external ID.")
    raise ContactError(message, {"contact": message})


def _normalized_lookup_value(name: str, raw: str) -> str:
    if name == "email":
        return normalize_email(raw)
    if name == "mobile":
        phone = normalize_phone(raw)
        return phone.e164 if phone else ""
    return str(raw).strip()
