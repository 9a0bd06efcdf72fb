"""The contact card: show, create, edit, delete, and export one contact's data."""

import datetime
import json
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts import actions, queries
from contacts.actions import IDENTITY_FIELD, ContactError, EventKind
from contacts.fields import FieldSpec
from contacts.forms import ContactForm, field_label, readable_phone
from contacts.models import (
    Channel,
    ConsentStatus,
    Contact,
    ContactEvent,
    FieldType,
    Gender,
    SuppressionReason,
)
from lists import queries as list_queries
from lists.models import ListKind
from smoove.decorators import account_required
from smoove.models import Account, IdentifierPolicy

MANUAL_SOURCE = "manual"
# Israelis write the day first in either language, and imports read dates
# that way, so the English interface does not switch to month first.
DAY_FIRST_DATE = "d/m/Y"


# Display of stored values.


def display_value(spec: FieldSpec, value: Any) -> str:
    """Format a stored value for reading, or return "" when there is none."""
    if value is None or value == "" or value == []:
        return ""
    if spec.key in ("mobile", "phone"):
        return readable_phone(str(value))
    if spec.key == "gender":
        return str(Gender(value).label) if value in Gender.values else str(value)
    if spec.type == FieldType.DATE:
        day = value
        if isinstance(value, str):
            try:
                day = datetime.date.fromisoformat(value)
            except ValueError:
                return value
        return formats.date_format(day, DAY_FIRST_DATE)
    if spec.type == FieldType.BOOLEAN:
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if spec.type == FieldType.NUMBER and isinstance(value, int | float):
        return formats.number_format(value, use_l10n=True)
    return str(value)


@dataclass
class FieldRow:
    key: str
    label: str
    text: str
    is_custom: bool
    # A mailto: or tel: link for addresses and numbers, else "".
    href: str = ""


def field_rows(account: Account, contact: Contact, catalog: list[FieldSpec]) -> list[FieldRow]:
    rows = []
    for spec, value in queries.contact_values(contact, catalog):
        row = FieldRow(
            spec.key, field_label(spec, account), display_value(spec, value), spec.is_custom
        )
        if value and spec.key == "email":
            row.href = f"mailto:{value}"
        elif value and spec.key in ("mobile", "phone"):
            row.href = f"tel:{value}"
        rows.append(row)
    return rows


# Timeline: one readable line per event, with details below it.

SOURCE_LABELS = {
    "manual": gettext_lazy("Entered by hand"),
    "import": gettext_lazy("Import"),
    "api": gettext_lazy("API"),
    "form": gettext_lazy("Form"),
    "unsubscribe": gettext_lazy("Unsubscribe link"),
}
# Kinds that the forms and campaigns apps record. Their data is listed as
# stored, because its shape belongs to those apps.
OTHER_APP_TITLES = {
    "message_sent": gettext_lazy("A message was sent"),
    "message_delivered": gettext_lazy("A message was delivered"),
    "message_opened": gettext_lazy("Opened a message"),
    "message_clicked": gettext_lazy("Clicked a link in a message"),
    "message_bounced": gettext_lazy("A message bounced"),
    "message_complained": gettext_lazy("Marked a message as spam"),
    "message_unsubscribed": gettext_lazy("Unsubscribed through a message"),
    "message_scanned": gettext_lazy("A security scanner opened a message"),
    "sms_received": gettext_lazy("Sent an SMS reply"),
    "whatsapp_received": gettext_lazy("Sent a WhatsApp reply"),
}
CHANNEL_LABELS = dict(Channel.choices)
REASON_LABELS = dict(SuppressionReason.choices)
# Event data shown with every kind: where the change came from.
SOURCE_KEYS = ("source", "source_ref")
# Keys of message events that _message_details words, or that only join rows
# (send, delivery and link ids) and mean nothing to a marketer.
MESSAGE_DATA_KEYS = ("message_id", "channel", "url", "send_id", "delivery_id", "link_id")
GENERIC_DETAIL_LIMIT = 10
TIMELINE_LIMIT = 200
GENERIC_VALUE_LIMIT = 200


@dataclass
class TimelineEntry:
    event: ContactEvent
    text: str
    details: list[str] = field(default_factory=list)


def _label_of(labels: dict[str, Any], value: Any) -> str:
    """Return the label of a stored choice, or the value itself if it has none."""
    return str(labels.get(str(value), value))


def _source_details(data: dict[str, Any]) -> list[str]:
    details = []
    source = data.get("source")
    if source:
        label = SOURCE_LABELS.get(str(source), str(source))
        details.append(_("Source: %(source)s") % {"source": label})
    if data.get("source_ref"):
        details.append(_("Reference: %(reference)s") % {"reference": data["source_ref"]})
    return details


def _short(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    text = str(value)
    if len(text) > GENERIC_VALUE_LIMIT:
        return text[:GENERIC_VALUE_LIMIT] + "…"
    return text


def _message_details(data: dict[str, Any], message_names: dict[int, str]) -> list[str]:
    """Name the message, channel and link of a message event, or return nothing."""
    message_id = data.get("message_id")
    name = message_names.get(message_id) if isinstance(message_id, int) else None
    if name is None:
        return []
    details = [_("Message: %(name)s") % {"name": name}]
    if data.get("channel"):
        details.append(
            _("Channel: %(channel)s") % {"channel": _label_of(CHANNEL_LABELS, data["channel"])}
        )
    if data.get("url"):
        details.append(_("Link: %(url)s") % {"url": _short(data["url"])})
    return details


def _generic_details(data: dict[str, Any], skip: tuple[str, ...] = ()) -> list[str]:
    """List an event's data as "key: value" lines, for kinds without their own wording."""
    details = []
    for key, value in list(data.items())[:GENERIC_DETAIL_LIMIT]:
        if key not in skip:
            details.append(_("%(name)s: %(value)s") % {"name": key, "value": _short(value)})
    return details


def _describe_update(
    data: dict[str, Any], specs: dict[str, FieldSpec], account: Account
) -> tuple[str, list[str]]:
    """Name the changed fields, with one "old → new" line per field."""
    changes = data.get("changes") or {}
    labels = []
    details = []
    for key, pair in changes.items():
        spec = specs.get(key)
        label = field_label(spec, account) if spec else key
        labels.append(label)
        old, new = (pair[0], pair[1]) if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        if spec is not None:
            old, new = display_value(spec, old), display_value(spec, new)
        details.append(
            _("%(field)s: %(old)s → %(new)s")
            % {"field": label, "old": _short(old), "new": _short(new)}
        )
    text = _("Changed: %(fields)s") % {"fields": ", ".join(labels)}
    return text, details + _source_details(data)


def _describe_list_event(kind: str, data: dict[str, Any], list_names: dict[int, str]) -> str:
    name = list_names.get(data.get("list_id"))  # type: ignore[arg-type]
    if kind == EventKind.LIST_JOINED:
        if name is None:
            return _("Joined a list that was since deleted")
        return _("Joined the list “%(list)s”") % {"list": name}
    if name is None:
        return _("Left a list that was since deleted")
    return _("Left the list “%(list)s”") % {"list": name}


def _describe_consent(data: dict[str, Any]) -> str:
    channel = _label_of(CHANNEL_LABELS, data.get("channel"))
    if data.get("status") == ConsentStatus.GRANTED:
        return _("Consent to %(channel)s granted") % {"channel": channel}
    if data.get("status") == ConsentStatus.REVOKED:
        return _("Consent to %(channel)s revoked") % {"channel": channel}
    return _("Consent to %(channel)s changed") % {"channel": channel}


def _describe_form_submission(
    event: ContactEvent,
    data: dict[str, Any],
    specs: dict[str, FieldSpec],
    list_names: dict[int, str],
    form_names: dict[int, str],
) -> TimelineEntry:
    """Describe a form submission: the form's name, hidden values and lists joined."""
    form_name = form_names.get(data.get("form_id"))  # type: ignore[arg-type]
    if form_name:
        text = _("Submitted the form “%(name)s”") % {"name": form_name}
    else:
        text = _("Submitted a form that was since deleted")
    details = []
    hidden = data.get("hidden")
    for key, value in hidden.items() if isinstance(hidden, dict) else []:
        spec = specs.get(key)
        label = str(spec.label) if spec else key
        details.append(_("Hidden field %(field)s: %(value)s") % {"field": label, "value": value})
    list_ids = data.get("list_ids")
    joined = [list_names[pk] for pk in list_ids or [] if pk in list_names]
    if joined:
        details.append(_("Lists: %(names)s") % {"names": ", ".join(joined)})
    if data.get("double_opt_in"):
        details.append(_("Confirmed by double opt-in"))
    return TimelineEntry(event, text, details)


def describe_event(
    event: ContactEvent,
    account: Account,
    specs: dict[str, FieldSpec],
    list_names: dict[int, str],
    form_names: dict[int, str] | None = None,
    message_names: dict[int, str] | None = None,
) -> TimelineEntry:
    """Describe one event for the timeline. Unknown kinds show their name and data."""
    data = event.data if isinstance(event.data, dict) else {"data": event.data}
    kind = event.kind

    if kind == EventKind.CREATED:
        details = _source_details(data)
        if data.get("over_plan"):
            details.append(_("Kept over the plan limit, so it receives no messages."))
        return TimelineEntry(event, _("Contact created"), details)

    if kind == EventKind.UPDATED:
        text, details = _describe_update(data, specs, account)
        return TimelineEntry(event, text, details)

    if kind in (EventKind.LIST_JOINED, EventKind.LIST_LEFT):
        text = _describe_list_event(kind, data, list_names)
        return TimelineEntry(event, text, _source_details(data))

    if kind == EventKind.CONSENT_CHANGED:
        return TimelineEntry(event, _describe_consent(data), _source_details(data))

    if kind == EventKind.SUPPRESSED:
        text = _("Suppressed on %(channel)s: %(reason)s") % {
            "channel": _label_of(CHANNEL_LABELS, data.get("channel")),
            "reason": _label_of(REASON_LABELS, data.get("reason")),
        }
        return TimelineEntry(event, text)

    if kind == EventKind.IMPORTED:
        details = _source_details(data) + _generic_details(data, skip=SOURCE_KEYS)
        return TimelineEntry(event, _("Imported from a file"), details)

    if kind == EventKind.CUSTOM:
        text = _("Custom event “%(name)s”") % {"name": data.get("name") or "—"}
        properties = data.get("properties")
        details = _generic_details(properties) if isinstance(properties, dict) else []
        details += _generic_details(data, skip=("name", "properties"))
        return TimelineEntry(event, text, details)

    if kind == "form_submitted":
        return _describe_form_submission(event, data, specs, list_names, form_names or {})

    if kind in OTHER_APP_TITLES:
        details = _message_details(data, message_names or {})
        shown = MESSAGE_DATA_KEYS if details else ()
        details += _generic_details(data, skip=shown)
        return TimelineEntry(event, str(OTHER_APP_TITLES[kind]), details)

    text = _("Event “%(kind)s”") % {"kind": kind}
    return TimelineEntry(event, text, _generic_details(data))


def timeline_entries(
    account: Account, contact: Contact, catalog: list[FieldSpec]
) -> list[TimelineEntry]:
    from campaigns import queries as campaign_queries  # campaigns depends on contacts.
    from forms import queries as form_queries  # forms depends on contacts.

    events = list(queries.timeline(contact, limit=TIMELINE_LIMIT))
    list_ids: set[Any] = set()
    form_ids: set[Any] = set()
    message_ids: set[Any] = set()
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        if event.kind in OTHER_APP_TITLES:
            message_ids.add(data.get("message_id"))
        if event.kind in (EventKind.LIST_JOINED, EventKind.LIST_LEFT):
            list_ids.add(data.get("list_id"))
        elif event.kind == "form_submitted":
            form_ids.add(data.get("form_id"))
            if isinstance(data.get("list_ids"), list):
                list_ids.update(data["list_ids"])
    list_names = dict(
        list_queries.lists_of_account(account)
        .filter(pk__in=[pk for pk in list_ids if isinstance(pk, int)])
        .values_list("pk", "name")
    )
    form_names = dict(
        form_queries.forms_of_account(account)
        .filter(pk__in=[pk for pk in form_ids if isinstance(pk, int)])
        .values_list("pk", "name")
    )
    message_names = dict(
        campaign_queries.messages_of_account(account)
        .filter(pk__in=[pk for pk in message_ids if isinstance(pk, int)])
        .values_list("pk", "name")
    )
    specs = {spec.key: spec for spec in catalog}
    return [
        describe_event(event, account, specs, list_names, form_names, message_names)
        for event in events
    ]


# Pages.


def _card_lists(contact: Contact) -> dict[str, Any]:
    """Return the lists the contact is in and the static lists it could join."""
    account = contact.account
    memberships = list(list_queries.memberships_of_contact(contact))
    static_ids = {membership.contact_list_id for membership in memberships}
    all_lists = list(list_queries.lists_of_account(account))
    this_contact = queries.contacts_of_account(account).filter(pk=contact.pk)
    dynamic_counts = list_queries.count_dynamic_members(account, all_lists, this_contact)
    return {
        "memberships": memberships,
        "dynamic_lists": [item for item in all_lists if dynamic_counts.get(item.pk)],
        "joinable_lists": [
            item for item in all_lists if item.kind == ListKind.STATIC and item.pk not in static_ids
        ],
    }


def _card_consent(contact: Contact) -> dict[str, Any]:
    """Return the latest consent record per channel and the whole history, newest first."""
    history = list(queries.consent_history(contact))
    latest: dict[str, Any] = {}
    for record in history:
        record.source_label = SOURCE_LABELS.get(record.source, record.source)  # type: ignore[attr-defined]
        latest.setdefault(record.channel, record)
    return {
        "consents": [
            {"channel": channel, "label": label, "record": latest.get(channel)}
            for channel, label in Channel.choices
        ],
        "consent_history": history,
    }


@require_GET
@account_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    contact = queries.get_contact_for_account(account, pk)
    catalog = queries.field_catalog(account)
    timeline = timeline_entries(account, contact, catalog)
    context = {
        "contact": contact,
        "fields": field_rows(account, contact, catalog),
        "suppressions": list(queries.suppressions_of_contact(contact)),
        "timeline": timeline,
        "timeline_is_cut": len(timeline) >= TIMELINE_LIMIT,
        **_card_consent(contact),
        **_card_lists(contact),
    }
    return render(request, "contacts/detail.html", context)


def _identity_label(account: Account) -> str:
    key = IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]
    spec = queries.field_spec(account, key)
    return field_label(spec, account) if spec else key


@require_http_methods(["GET", "POST"])
@account_required
def create(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    catalog = queries.field_catalog(account)
    form = ContactForm(request.POST or None, account=account, catalog=catalog)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = actions.upsert_contact(account, form.filled_values(), source=MANUAL_SOURCE)
        except ContactError as exc:
            form.add_action_errors(str(exc), exc.field_errors)
        else:
            # upsert_contact raises unless the row was applied, so there is a contact.
            contact = cast(Contact, outcome.contact)
            if outcome.created:
                messages.success(request, _("The contact was created."))
            else:
                messages.info(
                    request,
                    _(
                        "A contact with this %(field)s already existed, so it was updated "
                        "with the values you entered. Values you left empty were kept."
                    )
                    % {"field": _identity_label(account)},
                )
            if contact.over_plan:
                messages.warning(
                    request,
                    _("This contact is over your plan's limit, so it will receive no messages."),
                )
            return redirect("contacts:detail", contact.pk)
    return render(request, "contacts/form.html", {"form": form, "contact": None})


@require_http_methods(["GET", "POST"])
@account_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    contact = queries.get_contact_for_account(account, pk)
    catalog = queries.field_catalog(account)
    form = ContactForm(request.POST or None, account=account, catalog=catalog, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_contact(account, contact, form.changed_values(), source=MANUAL_SOURCE)
        except ContactError as exc:
            form.add_action_errors(str(exc), exc.field_errors)
        else:
            messages.success(request, _("The contact was saved."))
            return redirect("contacts:detail", contact.pk)
    return render(request, "contacts/form.html", {"form": form, "contact": contact})


@require_POST
@account_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    contact = queries.get_contact_for_account(account, pk)
    name = str(contact)
    actions.delete_contact(account, contact)
    messages.success(request, _("The contact “%(name)s” was deleted.") % {"name": name})
    return redirect("contacts:index")


@require_GET
@account_required
def data_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Download everything held about one contact as JSON, for a privacy request."""
    account: Account = request.account  # type: ignore[attr-defined]
    contact = queries.get_contact_for_account(account, pk)
    data = queries.export_contact_data(contact)
    body = json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response
