"""The marketer's landing-page screens: create, edit with placed forms, preview, report."""

from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from forms import actions, queries, rendering
from forms.actions import FormError
from forms.models import Slot
from forms.queries import load_definition
from smoove.decorators import account_required


def _account(request: HttpRequest) -> Any:
    return request.account  # type: ignore[attr-defined]


@account_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    form_id = request.POST.get("form", "")
    form = queries.get_form_for_account(account, form_id) if form_id else None
    try:
        page = actions.create_page(account, name=request.POST.get("name", ""), form=form)
    except FormError as exc:
        messages.error(request, str(exc))
        return redirect("forms:index")
    return redirect("forms:page_edit", pk=page.pk)


@account_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    page = queries.get_page_for_account(account, pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = _save(request, page)
        if not errors:
            messages.success(request, _("The landing page was saved."))
            return redirect("forms:page_edit", pk=page.pk)
    placements = {placement.slot: placement for placement in queries.placements_of_page(page)}
    context = {
        "page": page,
        "errors": errors,
        "forms": queries.forms_of_account(account),
        "slots": [(value, label, placements.get(value)) for value, label in Slot.choices],
        "page_url": rendering.page_url(page),
    }
    return render(request, "forms/page_edit.html", context, status=400 if errors else 200)


def _save(request: HttpRequest, page: Any) -> dict[str, str]:
    """Apply the edit form's texts, colours, image and placements; return errors by field."""
    account = _account(request)
    errors: dict[str, str] = {}
    try:
        with transaction.atomic():
            _apply_edits(request, account, page)
    except FormError as exc:
        # Nothing was saved. The page object keeps the values typed before
        # the bad one, so the form shows them for correction.
        errors.update(exc.field_errors)
    return errors


def _apply_edits(request: HttpRequest, account: Any, page: Any) -> None:
    """Save the page's texts, colours, image and placements; raise FormError on the first bad one."""
    actions.update_page(
        account,
        page,
        {
            name: request.POST.get(name, "")
            for name in (*actions.PAGE_TEXT_SETTINGS, *actions.PAGE_COLORS)
            if name in request.POST
        },
    )
    upload = request.FILES.get("image")
    if isinstance(upload, UploadedFile):
        actions.set_page_image(account, page, upload)
    elif request.POST.get("remove_image"):
        actions.set_page_image(account, page, None)
    for slot in Slot.values:
        form_id = request.POST.get(f"form_{slot}", "")
        form = queries.get_form_for_account(account, form_id) if form_id else None
        actions.set_placement(
            account, page, slot=slot, form=form, intro=request.POST.get(f"intro_{slot}", "")
        )


@account_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    page = queries.get_page_for_account(account, pk)
    published = request.POST.get("publish") != "0"
    try:
        actions.publish_page(account, page, published)
    except FormError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The landing page is published.")
            if published
            else _("The landing page is unpublished."),
        )
    return redirect("forms:page_edit", pk=page.pk)


@account_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the page as visitors will see it, without counting a view."""
    page = queries.get_page_for_account(_account(request), pk)
    sections = [
        (
            placement,
            rendering.render_form(
                load_definition(placement.form),
                page=page,
                slot=placement.slot,
                nonce="",
                mode="preview",
            ),
        )
        for placement in queries.placements_of_page(page)
    ]
    return render(request, "forms/page_preview.html", {"page": page, "sections": sections})


@account_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    from contacts import queries as contact_queries

    page = queries.get_page_for_account(_account(request), pk)
    labels = {spec.key: spec.label for spec in contact_queries.field_catalog(_account(request))}
    result = queries.page_report(page)
    breakdowns = [(labels.get(key, key), key, rows) for key, rows in result.by_hidden_value.items()]
    context = {"page": page, "report": result, "breakdowns": breakdowns}
    return render(request, "forms/page_report.html", context)


@account_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    page = queries.get_page_for_account(account, pk)
    if request.method == "POST":
        actions.delete_page(account, page)
        messages.success(
            request, _("The landing page “%(name)s” was deleted.") % {"name": page.name}
        )
        return redirect("forms:index")
    return render(request, "forms/page_delete.html", {"page": page})
