"""The marketer's screens: messages, the block editor, preview, test sends and sends."""

import datetime
import json
import zoneinfo
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns import actions, queries, senders, sending, whatsapp
from campaigns import blocks as block_rules
from campaigns.actions import CampaignError
from campaigns.merge import MergeTagError
from campaigns.models import Message, Send, SendStatus, SkipReason
from campaigns.sms import measure
from campaigns.starters import STARTERS, TEXT_STARTER
from contacts import queries as contact_queries
from contacts.models import Channel, Contact
from lists import queries as list_queries
from lists.conditions import FIELD_OPERATORS, ConditionError
from lists.models import ListKind
from smoove import queries as smoove_queries
from smoove.decorators import account_required

STARTER_LABELS = {
    "blank": gettext_lazy("Blank"),
    "newsletter": gettext_lazy("Monthly newsletter"),
    "event": gettext_lazy("Event invitation"),
    "sale": gettext_lazy("Sale"),
}
# Contacts offered in the preview's chooser; more are found by searching.
PREVIEW_CONTACT_CHOICES = 50
SEGMENT_PAGE_SIZE = 100


def _account(request: HttpRequest) -> Any:
    return request.account  # type: ignore[attr-defined]


@account_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    rows = []
    shown = list(queries.messages_of_account(account)[:200])
    by_flows = queries.flow_sent_counts(account, [message.pk for message in shown])
    for message in shown:
        rows.append(
            {
                "message": message,
                "last_send": queries.sends_of_message(message).first(),
                "flow_sent": by_flows.get(message.pk, 0),
            }
        )
    return render(
        request,
        "campaigns/index.html",
        {"rows": rows, "starters": STARTER_LABELS, "channels": Channel.choices},
    )


@account_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    channel = request.POST.get("channel", Channel.EMAIL)
    name = request.POST.get("name", "").strip() or _("New message")
    if channel == Channel.EMAIL:
        starter = STARTERS.get(request.POST.get("starter", "blank"), STARTERS["blank"])
        values: dict[str, Any] = {"name": name, **starter}
    else:
        values = {"name": name, "text": TEXT_STARTER}
    try:
        message = actions.save_message(account, None, values, channel=channel)
    except CampaignError as exc:
        messages.error(request, str(exc))
        return redirect("campaigns:index")
    return redirect("campaigns:edit", pk=message.pk)


def _json_field(data: QueryDict, name: str, default: Any) -> Any:
    raw = data.get(name)
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return default


def _editor_context(request: HttpRequest, message: Message) -> dict[str, Any]:
    account = _account(request)
    fields = contact_queries.field_catalog(account)
    static_lists = list_queries.lists_of_account(account).filter(kind=ListKind.STATIC)
    all_lists = list_queries.lists_of_account(account)
    return {
        "message": message,
        "fields": fields,
        "editor_data": {
            "fields": [
                {
                    "key": spec.key,
                    "label": str(spec.label),
                    "type": spec.type,
                    "choices": list(spec.choices),
                }
                for spec in fields
            ],
            "lists": [{"id": item.pk, "name": item.name} for item in all_lists],
            "staticLists": [{"id": item.pk, "name": item.name} for item in static_lists],
            "operators": list(FIELD_OPERATORS),
            "labels": _editor_labels(),
        },
        "blocks_json": json.dumps(message.blocks, ensure_ascii=False),
        "subject_rules_json": json.dumps(message.subject_rules, ensure_ascii=False),
        "preview_contacts": contact_queries.contacts_of_account(account).order_by("id")[
            :PREVIEW_CONTACT_CHOICES
        ],
        "sms_length": measure(message.text) if message.channel != Channel.EMAIL else None,
        "compliance": actions.compliance_problems(account, message),
        **_sender_choices(account, message),
        "whatsapp_rows": _whatsapp_rows(message),
    }


def _sender_choices(account: Any, message: Message) -> dict[str, Any]:
    """Return the verified senders a message may choose, and whether its current choice is one."""
    verified = senders.verified_senders(account)
    default_address = (account.default_sender_email or "").lower()
    chosen = message.sender_email.lower()
    return {
        "verified_senders": sorted(verified.values(), key=lambda sender: sender.email),
        "default_sender_verified": default_address in verified,
        "chosen_unverified": chosen if chosen and chosen not in verified else "",
        "reply_to_choices": sorted(senders.allowed_reply_to(verified)),
        "reply_to_unverified": message.reply_to
        if message.reply_to and message.reply_to.lower() not in senders.allowed_reply_to(verified)
        else "",
    }


def _whatsapp_rows(message: Message) -> list[dict[str, Any]]:
    """Return the template variable rows of the editor: the stored ones and two empty ones."""
    variables = message.whatsapp_variables if isinstance(message.whatsapp_variables, dict) else {}
    rows = [
        {"number": key, "value": item.get("value", ""), "fallback": item.get("fallback", "")}
        for key, item in sorted(
            variables.items(), key=lambda pair: int(pair[0]) if pair[0].isdigit() else 0
        )
        if isinstance(item, dict)
    ]
    numbers = [int(row["number"]) for row in rows if str(row["number"]).isdigit()]
    start = max(numbers, default=0) + 1
    rows += [{"number": str(n), "value": "", "fallback": ""} for n in range(start, start + 2)]
    return rows


def _whatsapp_variables(data: QueryDict) -> dict[str, dict[str, str]]:
    """Read the editor's template variable rows (wa_value_N, wa_fallback_N)."""
    variables: dict[str, dict[str, str]] = {}
    for name in data:
        if name.startswith("wa_value_"):
            number = name.removeprefix("wa_value_")
            variables[number] = {
                "value": data.get(name, ""),
                "fallback": data.get(f"wa_fallback_{number}", ""),
            }
    return whatsapp.normalized_variables(variables)


def _labelled_errors(message: Message, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Key a message's errors by what the marketer sees (Subject, Block 2) instead of field keys."""
    fixed = {
        "name": _("Name"),
        "subject": _("Subject"),
        "preheader": _("Preheader"),
        "text": _("Text"),
        "sender_name": _("Sender"),
        "sender_email": _("Sender"),
        "reply_to": _("Reply-to address"),
        "compliance": _("Advertising rules"),
        "blocks": _("Content"),
    }
    kinds = _editor_labels()
    positions: dict[str, str] = {}
    if isinstance(message.blocks, list):
        for number, block in enumerate(block_rules.iter_blocks(message.blocks), start=1):
            if isinstance(block, dict):
                positions[str(block.get("id"))] = _("Block %(number)s (%(kind)s)") % {
                    "number": number,
                    "kind": kinds.get(str(block.get("type")), block.get("type")),
                }
    labelled: dict[str, list[str]] = {}
    for where, problems in errors.items():
        head, _dot, _rest = where.partition(".")
        block_id = head.removeprefix("block:")
        if head in fixed:
            label = str(fixed[head])
        elif block_id in positions:
            label = positions[block_id]
        elif head == "subject_rules":
            label = _("Alternative subject")
        elif head.startswith("whatsapp") or head.startswith("wa_"):
            label = _("WhatsApp template")
        else:
            label = where
        labelled.setdefault(label, []).extend(problems)
    return labelled


def _editor_labels() -> dict[str, str]:
    """Return the block editor's texts, translated here because the editor is JavaScript."""
    return {
        "heading": _("Heading"),
        "text": _("Text"),
        "image": _("Image"),
        "button": _("Button"),
        "divider": _("Divider"),
        "columns": _("Two columns"),
        "footer": _("Footer"),
        "delete": _("Delete"),
        "moveUp": _("Move up"),
        "moveDown": _("Move down"),
        "drag": _("Drag to reorder"),
        "targeted": _("Targeted"),
        "targetOnly": _("Show only to contacts who match"),
        "field": _("Field"),
        "memberOf": _("Member of list"),
        "notMemberOf": _("Not a member of list"),
        "value": _("Value"),
        "label": _("Label"),
        "url": _("Link address"),
        "imageUrl": _("Image address"),
        "alt": _("Text for readers who do not see the image"),
        "buttonDoes": _("When clicked"),
        "openLink": _("Open a link"),
        "addToList": _("Add the contact to a list"),
        "removeFromList": _("Remove the contact from a list"),
        "setField": _("Set a field"),
        "thanks": _("Thank-you text naming the choice"),
        "list": _("List"),
        "column": _("Column"),
        "addBlock": _("Add a block"),
        "footerText": _("Extra footer text (the sender and an unsubscribe link are added for you)"),
        "textHelp": _(
            "Write [label](https://…) for a link and leave an empty line between paragraphs."
        ),
        "equals": _("equals"),
        "not_equals": _("does not equal"),
        "contains": _("contains"),
        "not_contains": _("does not contain"),
        "empty": _("is empty"),
        "not_empty": _("is not empty"),
        "gt": _("is greater than"),
        "lt": _("is less than"),
        "between": _("is between"),
        "subjectRule": _("Alternative subject"),
        "addSubjectRule": _("Add a subject for contacts who match a rule"),
    }


def _editor_values(data: QueryDict, message: Message) -> dict[str, Any]:
    """Read the editor form's fields into the values save_message takes."""
    values: dict[str, Any] = {
        name: data.get(name, "")
        for name in (
            "name",
            "subject",
            "preheader",
            "text",
            "sender_name",
            "sender_email",
            "reply_to",
            "sender_contact",
            "whatsapp_content_sid",
        )
        if name in data
    }
    values["is_advertising"] = data.get("is_advertising") == "on"
    if message.channel == Channel.WHATSAPP:
        values["whatsapp_variables"] = _whatsapp_variables(data)
    if message.channel == Channel.EMAIL:
        values["blocks"] = _json_field(data, "blocks", message.blocks)
        values["subject_rules"] = _json_field(data, "subject_rules", message.subject_rules)
    return values


@account_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    message = queries.get_message_for_account(account, pk)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = _editor_values(request.POST, message)
        try:
            actions.save_message(account, message, values)
        except CampaignError as exc:
            errors = exc.errors
            for name, value in values.items():
                setattr(message, name, value)
        else:
            messages.success(request, _("The message was saved."))
            return redirect("campaigns:edit", pk=message.pk)
    context = _editor_context(request, message)
    context["errors"] = _labelled_errors(message, errors)
    return render(request, "campaigns/edit.html", context, status=400 if errors else 200)


@account_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    message = queries.get_message_for_account(account, pk)
    try:
        actions.delete_message(account, message)
    except CampaignError as exc:
        messages.error(request, str(exc))
        return redirect("campaigns:edit", pk=message.pk)
    messages.success(request, _("The message was deleted."))
    return redirect("campaigns:index")


@account_required
@require_POST
def duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    copy = actions.duplicate_message(account, queries.get_message_for_account(account, pk))
    return redirect("campaigns:edit", pk=copy.pk)


def _chosen_contact(request: HttpRequest, data: QueryDict) -> Contact | None:
    account = _account(request)
    contact_id = data.get("contact", "")
    if contact_id.isdigit():
        return contact_queries.get_contact_for_account(account, contact_id)
    email = data.get("contact_email", "").strip()
    if email:
        return contact_queries.contacts_of_account(account).filter(email__iexact=email).first()
    return None


@account_required
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Render the message as a chosen contact, on a desktop or a phone width.

    A GET renders the saved message. A POST carries the editor's form as it
    is now and renders those values without saving them, so the preview
    follows unsaved edits.
    """
    account = _account(request)
    message = queries.get_message_for_account(account, pk)
    data = request.POST if request.method == "POST" else request.GET
    contact = _chosen_contact(request, data)
    device = "mobile" if data.get("device") == "mobile" else "desktop"
    errors: dict[str, list[str]] = {}
    rendered = None
    shown = message
    if request.method == "POST" and "name" in data:
        shown, errors = actions.unsaved_copy(account, message, _editor_values(data, message))
    try:
        if "blocks" not in errors:
            rendered = actions.render_for_contact(account, shown, contact)
    except (MergeTagError, ConditionError) as exc:
        # The unsaved edits cannot be rendered yet, because of an unknown merge
        # tag or a rule on a missing field. The errors show which.
        # The same problem is usually listed already, by field.
        if not errors:
            errors.setdefault("", []).append(str(exc))
    template = "campaigns/_partials/preview.html" if request.htmx else "campaigns/preview.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "message": shown,
            "rendered": rendered,
            "contact": contact,
            "device": device,
            "preview_errors": _labelled_errors(shown, errors),
            "sms_length": measure(rendered.text)
            if rendered is not None and message.channel != Channel.EMAIL
            else None,
        },
    )


@account_required
@require_POST
def sms_length(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "campaigns/_partials/sms_length.html",
        {"sms_length": measure(request.POST.get("text", ""))},
    )


@account_required
@require_POST
def test_send(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    message = queries.get_message_for_account(account, pk)
    addresses = request.POST.get("to", "").replace(",", "\n").splitlines()
    try:
        count = actions.send_test(
            account, message, addresses, _chosen_contact(request, request.POST)
        )
    except CampaignError as exc:
        result = {"ok": False, "text": str(exc)}
    else:
        text = _("The test was sent to %(count)d addresses.") % {"count": count}
        result = {"ok": True, "text": text}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "campaigns/_partials/test_result.html", {"result": result})
    if result["ok"]:
        messages.success(request, str(result["text"]))
    else:
        messages.error(request, str(result["text"]))
    return redirect("campaigns:edit", pk=message.pk)


# --- Sends ---------------------------------------------------------------


def _local_time(account: Any, value: str) -> datetime.datetime | None:
    """Read a datetime-local value in the account's time zone."""
    if not value:
        return None
    naive = datetime.datetime.fromisoformat(value)
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(account.time_zone or "Asia/Jerusalem"))


def _int_list(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]


@account_required
@require_http_methods(["GET", "POST"])
def send_setup(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    message = queries.get_message_for_account(account, pk)
    errors: dict[str, list[str]] = {}
    form = request.POST if request.method == "POST" else QueryDict()
    if request.method == "POST":
        pulse_size = form.get("pulse_size", "").strip()
        variants = [
            {"subject": line.strip()}
            for line in form.get("variant_subjects", "").splitlines()
            if line.strip()
        ]
        try:
            send = actions.create_send(
                account,
                message,
                list_ids=_int_list(form.getlist("lists")),
                exclude_list_ids=_int_list(form.getlist("exclude_lists")),
                pulse_size=int(pulse_size) if pulse_size.isdigit() else None,
                pulse_interval_minutes=int(form.get("pulse_interval_minutes") or 1),
                scheduled_at=_local_time(account, form.get("scheduled_at", "")),
                variants=variants,
                test_percent=int(form.get("test_percent") or 0),
                winner_metric=form.get("winner_metric", "opens"),
                test_hours=float(form.get("test_hours") or 4),
            )
        except (CampaignError, ValueError) as exc:
            errors = getattr(exc, "errors", {"": [str(exc)]})
        else:
            messages.success(request, _("The send started."))
            return redirect("campaigns:send_detail", pk=send.pk)
    lists = list_queries.with_member_counts(list_queries.lists_of_account(account))
    return render(
        request,
        "campaigns/send_setup.html",
        {
            "message": message,
            "lists": lists,
            "form": form,
            "errors": errors,
            "compliance": actions.compliance_problems(account, message),
            "chosen": _int_list(form.getlist("lists")),
            "excluded": _int_list(form.getlist("exclude_lists")),
        },
        status=400 if errors else 200,
    )


@account_required
@require_POST
def estimate(request: HttpRequest, pk: int) -> HttpResponse:
    """Return how many contacts the chosen lists hold and how long the pulses take."""
    account = _account(request)
    queries.get_message_for_account(account, pk)
    list_ids = _int_list(request.POST.getlist("lists"))
    audience = Send(
        account=account,
        list_ids=[
            item
            for item in list_ids
            if list_queries.lists_of_account(account).filter(pk=item).exists()
        ],
    )
    count = Contact.objects.filter(account=account).filter(sending.audience(audience)).count()
    pulse_size = request.POST.get("pulse_size", "").strip()
    interval = int(request.POST.get("pulse_interval_minutes") or 1)
    start = timezone.now()
    finish = sending.eta_for(
        count, int(pulse_size) if pulse_size.isdigit() else None, interval, start
    )
    minutes = int((finish - start).total_seconds() // 60) if finish else 0
    return render(
        request,
        "campaigns/_partials/estimate.html",
        {"count": count, "minutes": minutes, "hours": minutes // 60, "rest": minutes % 60},
    )


def _send_context(send: Send) -> dict[str, Any]:
    report = queries.report(send)
    progress = sending.progress(send)
    skip_labels = dict(SkipReason.choices)
    return {
        "send": send,
        "message": send.message,
        "progress": progress,
        "percent": int(100 * progress.done / progress.to_send) if progress.to_send else 100,
        "eta": sending.eta(send)
        if send.status in (SendStatus.RUNNING, SendStatus.SCHEDULED)
        else None,
        "report": report,
        "skipped": [
            {"reason": reason, "label": skip_labels.get(reason, reason), "count": count}
            for reason, count in sorted(report["skipped"].items())  # type: ignore[attr-defined]
        ],
        "variants": queries.variant_report(send),
        "live": send.status in (SendStatus.PREPARING, SendStatus.SCHEDULED, SendStatus.RUNNING),
    }


@account_required
@require_GET
def send_detail(request: HttpRequest, pk: int) -> HttpResponse:
    send = queries.get_send_for_account(_account(request), pk)
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    template = "campaigns/_partials/send_progress.html" if htmx else "campaigns/send_detail.html"
    return render(request, template, _send_context(send))


@account_required
@require_POST
def send_control(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    account = _account(request)
    send = queries.get_send_for_account(account, pk)
    control = {
        "pause": actions.pause_send,
        "resume": actions.resume_send,
        "cancel": actions.cancel_send,
    }.get(verb)
    if control is None:
        return HttpResponse(status=404)
    try:
        control(account, send)
    except CampaignError as exc:
        messages.error(request, str(exc))
    send.refresh_from_db()
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "campaigns/_partials/send_progress.html", _send_context(send))
    return redirect("campaigns:send_detail", pk=send.pk)


@account_required
@require_GET
def send_segment(request: HttpRequest, pk: int, segment: str) -> HttpResponse:
    """List the contacts behind one number of a send's report."""
    send = queries.get_send_for_account(_account(request), pk)
    if segment in SkipReason.values:
        rows = queries.skipped_recipients(send, segment)
        title: str = str(dict(SkipReason.choices)[segment])
    else:
        rows = queries.deliveries_in_segment(send, segment)  # type: ignore[assignment]
        title = str(SEGMENT_TITLES.get(segment) or segment)
    page = Paginator(rows, SEGMENT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/send_segment.html",
        {"send": send, "page": page, "title": title, "segment": segment},
    )


SEGMENT_TITLES = {
    "sent": gettext_lazy("Sent"),
    "failed": gettext_lazy("Failed"),
    "ambiguous": gettext_lazy("Unknown outcome"),
    "delivered": gettext_lazy("Delivered"),
    "bounced": gettext_lazy("Bounced"),
    "complained": gettext_lazy("Marked as spam"),
    "unsubscribed": gettext_lazy("Unsubscribed"),
    "opened": gettext_lazy("Opened"),
    "not_opened": gettext_lazy("Did not open"),
    "clicked": gettext_lazy("Clicked"),
    "not_clicked": gettext_lazy("Did not click"),
}


# --- The outbox ------------------------------------------------------------


@account_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.outbox_of_account(_account(request)), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "campaigns/outbox.html", {"page": page})


@account_required
@require_GET
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    kept = queries.get_outbox_message_for_account(_account(request), pk)
    return render(request, "campaigns/outbox_detail.html", {"kept": kept})


# --- Senders ---------------------------------------------------------------


def _senders_page(
    request: HttpRequest, *, errors: dict[str, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    account = _account(request)
    default_address = (account.default_sender_email or "").lower()
    rows = list(queries.senders_of_account(account))
    context = {
        "senders": rows,
        "default_address": default_address,
        "default_is_listed": any(sender.email == default_address for sender in rows),
        "default_address_hint": "" if rows else default_address,
        "is_owner": smoove_queries.is_owner(account, request.user),  # type: ignore[arg-type]
        "errors": errors or {},
        "form": request.POST if errors else QueryDict(),
    }
    template = "campaigns/_partials/senders.html" if request.htmx else "campaigns/senders.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


def _owner_only(request: HttpRequest) -> HttpResponse | None:
    if smoove_queries.is_owner(_account(request), request.user):  # type: ignore[arg-type]
        return None
    return HttpResponseForbidden(_("Only the account owner can change the senders."))


def _after_sender_change(request: HttpRequest) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _senders_page(request)
    return redirect("campaigns:senders")


@account_required
@require_http_methods(["GET", "POST"])
def sender_list(request: HttpRequest) -> HttpResponse:
    """List the account's senders with their status, and add one."""
    if request.method == "GET":
        return _senders_page(request)
    refused = _owner_only(request)
    if refused:
        return refused
    try:
        sender = actions.add_sender(
            _account(request),
            name=request.POST.get("name", ""),
            email=request.POST.get("email", ""),
            reply_to=request.POST.get("reply_to", ""),
        )
    except CampaignError as exc:
        return _senders_page(request, errors=exc.errors or {"": [str(exc)]}, status=400)
    messages.success(
        request,
        _("A verification email was sent to %(address)s. Open the link in it to confirm.")
        % {"address": sender.email},
    )
    return _after_sender_change(request)


@account_required
@require_POST
def sender_resend(request: HttpRequest, pk: int) -> HttpResponse:
    sender = queries.get_sender_for_account(_account(request), pk)
    refused = _owner_only(request)
    if refused:
        return refused
    try:
        actions.send_sender_verification(sender)
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("A new verification email was sent to %(address)s.") % {"address": sender.email},
        )
    return _after_sender_change(request)


@account_required
@require_POST
def sender_default(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    sender = queries.get_sender_for_account(account, pk)
    refused = _owner_only(request)
    if refused:
        return refused
    try:
        actions.set_default_sender(account, sender)
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(address)s is now the account's default sender.") % {"address": sender.email},
        )
    return _after_sender_change(request)


@account_required
@require_POST
def sender_delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    sender = queries.get_sender_for_account(account, pk)
    refused = _owner_only(request)
    if refused:
        return refused
    actions.delete_sender(account, sender)
    messages.success(request, _("The sender %(address)s was deleted.") % {"address": sender.email})
    return _after_sender_change(request)
