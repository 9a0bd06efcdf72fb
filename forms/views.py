"""The marketer's screens: form list, builder, preview, report and submissions.

Builder sections post with htmx and get their own fragment back; without
htmx the same posts redirect to the builder.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from contacts import queries as contact_queries
from contacts.models import Channel
from forms import actions, intake, queries, rendering
from forms.actions import FormError
from forms.export import iter_submissions_csv
from forms.models import (
    KEPT_STATUSES,
    REPLAYABLE_STATUSES,
    AfterSubmit,
    Form,
    SubmissionStatus,
)
from forms.queries import load_definition
from lists import queries as list_queries
from lists.models import ListKind
from smoove.decorators import account_required

SUBMISSIONS_PER_PAGE = 50


def _account(request: HttpRequest) -> Any:
    return request.account  # type: ignore[attr-defined]


@account_required
def index(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    context = {
        "forms": queries.forms_with_counts(account),
        "pages": queries.pages_of_account(account),
    }
    return render(request, "forms/index.html", context)


@account_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    try:
        form = actions.create_form(_account(request), name=request.POST.get("name", ""))
    except FormError as exc:
        messages.error(request, str(exc))
        return redirect("forms:index")
    return redirect("forms:builder", pk=form.pk)


# The builder.


def _builder_context(request: HttpRequest, form: Form, **extra: Any) -> dict[str, Any]:
    account = _account(request)
    definition = load_definition(form)
    used = {form_field.field_key for form_field, _spec in [*definition.visible, *definition.hidden]}
    catalog = [spec for spec in contact_queries.field_catalog(account) if spec.key not in used]
    static_lists = list(list_queries.lists_of_account(account).filter(kind=ListKind.STATIC))
    offered_ids = {contact_list.pk for contact_list in definition.offered_lists}
    consents = {consent.channel: consent for consent in definition.consents}
    return {
        "form": form,
        "definition": definition,
        "catalog": catalog,
        "identity_key": actions.identity_key(account),
        "public_lists": [item for item in static_lists if item.is_public],
        "static_lists": static_lists,
        "offered_ids": offered_ids,
        "target_ids": set(definition.target_list_ids),
        "consent_rows": [(value, label, consents.get(value)) for value, label in Channel.choices],
        "after_submit_choices": AfterSubmit.choices,
        "public_url": rendering.public_url(form),
        "embed_snippet": rendering.embed_snippet(definition),
        "iframe_snippet": rendering.iframe_snippet(form),
        "errors": {},
        **extra,
    }


@account_required
def builder(request: HttpRequest, pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    return render(request, "forms/builder.html", _builder_context(request, form))


def _section(
    request: HttpRequest,
    form: Form,
    section: str,
    errors: dict[str, str] | None = None,
    *,
    saved: bool = False,
) -> HttpResponse:
    """Return a builder section's fragment to htmx, or go back to the builder."""
    if request.htmx:  # type: ignore[attr-defined]
        context = _builder_context(request, form, errors=errors or {}, saved=saved)
        return render(request, f"forms/_partials/{section}.html", context)
    for message in (errors or {}).values():
        messages.error(request, message)
    return redirect("forms:builder", pk=form.pk)


@account_required
@require_POST
def add_field(request: HttpRequest, pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    hidden = request.POST.get("is_hidden") == "1"
    try:
        actions.add_field(
            _account(request),
            form,
            request.POST.get("field_key", ""),
            is_hidden=hidden,
            label=request.POST.get("label", ""),
            required=bool(request.POST.get("required")),
            fixed_value=request.POST.get("fixed_value", ""),
            query_param=request.POST.get("query_param", ""),
        )
    except FormError as exc:
        return _section(request, form, "hidden" if hidden else "fields", exc.field_errors)
    return _section(request, form, "hidden" if hidden else "fields")


@account_required
@require_POST
def update_field(request: HttpRequest, pk: int, field_pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    form_field = queries.get_field_for_form(form, field_pk)
    section = "hidden" if form_field.is_hidden else "fields"
    changes: dict[str, Any] = {
        name: request.POST.get(name, "")
        for name in ("label", "placeholder", "fixed_value", "query_param")
        if name in request.POST
    }
    changes["required"] = bool(request.POST.get("required"))
    try:
        actions.update_field(_account(request), form_field, changes)
    except FormError as exc:
        return _section(request, form, section, exc.field_errors)
    return _section(request, form, section)


@account_required
@require_POST
def move_field(request: HttpRequest, pk: int, field_pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    form_field = queries.get_field_for_form(form, field_pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    actions.move_field(_account(request), form_field, offset)
    return _section(request, form, "hidden" if form_field.is_hidden else "fields")


@account_required
@require_POST
def remove_field(request: HttpRequest, pk: int, field_pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    form_field = queries.get_field_for_form(form, field_pk)
    section = "hidden" if form_field.is_hidden else "fields"
    try:
        actions.remove_field(_account(request), form_field)
    except FormError as exc:
        return _section(request, form, section, exc.field_errors)
    return _section(request, form, section)


@account_required
@require_POST
def update_settings(request: HttpRequest, pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    changes: dict[str, Any] = {
        name: request.POST.get(name, "")
        for name in (*actions.FORM_TEXT_SETTINGS, "after_submit")
        if name in request.POST
    }
    changes["double_opt_in"] = bool(request.POST.get("double_opt_in"))
    try:
        actions.update_form(_account(request), form, changes)
    except FormError as exc:
        form.refresh_from_db()
        return _section(request, form, "settings", exc.field_errors)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, _("The form settings were saved."))
    return _section(request, form, "settings", saved=True)


@account_required
@require_POST
def update_lists(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    form = queries.get_form_for_account(account, pk)
    try:
        actions.update_form(account, form, {"lists_intro": request.POST.get("lists_intro", "")})
        actions.set_lists(
            account,
            form,
            offered_ids=[int(item) for item in request.POST.getlist("offered") if item.isdigit()],
            target_ids=[int(item) for item in request.POST.getlist("target") if item.isdigit()],
        )
    except FormError as exc:
        return _section(request, form, "lists", exc.field_errors)
    return _section(request, form, "lists", saved=True)


@account_required
@require_POST
def update_consent(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    form = queries.get_form_for_account(account, pk)
    errors: dict[str, str] = {}
    for channel in Channel.values:
        try:
            actions.set_consent(
                account,
                form,
                channel=channel,
                enabled=bool(request.POST.get(f"consent_{channel}")),
                wording=request.POST.get(f"wording_{channel}", ""),
                required=bool(request.POST.get(f"required_{channel}")),
            )
        except FormError as exc:
            errors.update(exc.field_errors)
    return _section(request, form, "consent", errors, saved=not errors)


@account_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    form = queries.get_form_for_account(account, pk)
    if request.POST.get("publish") == "0":
        actions.unpublish_form(account, form)
        messages.success(request, _("The form is unpublished: its addresses show nothing now."))
        return redirect("forms:builder", pk=form.pk)
    try:
        actions.publish_form(account, form)
    except FormError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The form is published."))
    return redirect("forms:builder", pk=form.pk)


@account_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the form as visitors will see it, without counting a view or taking a submission."""
    form = queries.get_form_for_account(_account(request), pk)
    rendered = rendering.render_form(load_definition(form), nonce="", mode="preview")
    return render(request, "forms/preview.html", {"form": form, "rendered": rendered})


@account_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    form = queries.get_form_for_account(account, pk)
    if request.method == "POST":
        actions.delete_form(account, form)
        messages.success(request, _("The form “%(name)s” was deleted.") % {"name": form.name})
        return redirect("forms:index")
    count = queries.submissions_of_form(form).count()
    return render(request, "forms/delete.html", {"form": form, "submission_count": count})


# Results.


@account_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    result = queries.form_report(form)
    context = {
        "form": form,
        "report": result,
        "breakdowns": _breakdowns(request, result.by_hidden_value),
    }
    return render(request, "forms/report.html", context)


def _breakdowns(request: HttpRequest, by_value: dict[str, Any]) -> list[tuple[Any, str, Any]]:
    """Pair each hidden field's counts with the field's label."""
    labels = {spec.key: spec.label for spec in contact_queries.field_catalog(_account(request))}
    return [(labels.get(key, key), key, rows) for key, rows in by_value.items()]


def _field_labels(request: HttpRequest) -> dict[str, str]:
    return {spec.key: str(spec.label) for spec in contact_queries.field_catalog(_account(request))}


def _labelled(labels: dict[str, str], values: dict[str, Any]) -> list[tuple[str, Any]]:
    """Pair each value with its contact field's label; unknown keys stay as they are."""
    return [(labels.get(key, key), value) for key, value in (values or {}).items()]


STATUS_FILTERS = {
    "kept": KEPT_STATUSES,
    "awaiting": (SubmissionStatus.AWAITING_CONFIRMATION,),
    "applied": (SubmissionStatus.APPLIED,),
}


@account_required
def submissions(request: HttpRequest, pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    shown = request.GET.get("status", "")
    rows = queries.submissions_of_form(form).select_related("contact", "page")
    if shown in STATUS_FILTERS:
        rows = rows.filter(status__in=STATUS_FILTERS[shown])
    page = Paginator(rows, SUBMISSIONS_PER_PAGE).get_page(request.GET.get("page"))
    labels = _field_labels(request)
    for submission in page:
        submission.hidden_display = _labelled(labels, submission.hidden_values)  # type: ignore[attr-defined]
    context = {
        "form": form,
        "page_obj": page,
        "shown": shown,
        "counts": queries.status_counts(queries.submissions_of_form(form)),
        "replayable": REPLAYABLE_STATUSES,
        "kept_statuses": KEPT_STATUSES,
    }
    return render(request, "forms/submissions.html", context)


@account_required
def submissions_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    rows = queries.submissions_of_form(form).order_by("created_at", "id")
    shown = request.GET.get("status", "")
    if shown in STATUS_FILTERS:
        rows = rows.filter(status__in=STATUS_FILTERS[shown])
    filename = f"submissions-{form.pk}-{timezone.localdate().isoformat()}.csv"
    return StreamingHttpResponse(
        iter_submissions_csv(load_definition(form), rows.iterator()),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@account_required
def submission_detail(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    submission = queries.get_submission_for_form(form, submission_pk)
    definition = load_definition(form)
    # Multiple-choice values are lists, which replay as sent.
    editable = [
        (key, form_field.label or spec.label, submission.values.get(key, ""))
        for form_field, spec in definition.visible
        if not isinstance(submission.values.get(key := form_field.field_key), list)
    ]
    labels = _field_labels(request)
    context = {
        "form": form,
        "submission": submission,
        "error_rows": _labelled(labels, submission.errors),
        "hidden_rows": _labelled(labels, submission.hidden_values),
        "consent_rows": [
            (Channel(channel).label if channel in Channel.values else channel, wording)
            for channel, wording in (submission.consents or {}).items()
        ],
        "left_to_right": {"email", "mobile", "phone"},
        "editable": editable,
        "can_replay": submission.status in REPLAYABLE_STATUSES,
        "can_remind": submission.status == SubmissionStatus.AWAITING_CONFIRMATION,
    }
    return render(request, "forms/submission_detail.html", context)


@account_required
@require_POST
def replay(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    submission = queries.get_submission_for_form(form, submission_pk)
    corrected = {
        key: request.POST.get(f"value_{key}", "")
        for key in submission.values
        if f"value_{key}" in request.POST and not isinstance(submission.values[key], list)
    }
    try:
        received = intake.replay_submission(submission, corrected or None)
    except ValueError:
        messages.error(request, _("This submission was already applied, so it cannot be replayed."))
        return redirect("forms:submission_detail", pk=form.pk, submission_pk=submission.pk)
    outcome_messages = {
        intake.Outcome.APPLIED: _("The submission was applied."),
        intake.Outcome.AWAITING_CONFIRMATION: _("A confirmation email was sent to the visitor."),
    }
    if received.outcome in outcome_messages:
        messages.success(request, outcome_messages[received.outcome])
    else:
        messages.error(
            request,
            _("The submission is still kept: %(reason)s") % {"reason": received.submission.reason},
        )
    return redirect("forms:submission_detail", pk=form.pk, submission_pk=submission.pk)


@account_required
@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    form = queries.get_form_for_account(_account(request), pk)
    ids = [int(item) for item in request.POST.getlist("submission") if item.isdigit()]
    queued = intake.remind_unconfirmed(form, ids or None)
    if queued:
        messages.success(
            request,
            ngettext(
                "%(count)d reminder is on its way.", "%(count)d reminders are on their way.", queued
            )
            % {"count": queued},
        )
    else:
        messages.warning(
            request,
            _("No reminder was sent: each visitor gets at most 3 reminders, one a day."),
        )
    next_url = request.POST.get("next")
    if next_url == "detail" and ids:
        return redirect("forms:submission_detail", pk=form.pk, submission_pk=ids[0])
    return redirect(reverse("forms:submissions", args=[form.pk]) + "?status=awaiting")
