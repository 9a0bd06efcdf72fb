"""List screens: the index, static and dynamic list forms, deletion and members.

A dynamic list's condition builder edits its rows on the server. The
"add rule" and "remove rule" buttons and the row selects post the whole form
back with a "builder" value, and the view returns the re-rendered rows
without saving anything. The live count posts the same form to
count_conditions.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from contacts import queries as contact_queries
from contacts.actions import ContactError
from contacts.forms import readable_phone
from contacts.models import Contact
from lists import actions, queries
from lists.actions import ListError
from lists.conditions import MAX_RULES, ConditionError
from lists.forms import (
    KNOWN_EVENT_KINDS,
    DynamicListForm,
    RuleOptions,
    StaticListForm,
    new_row,
    rows_from_conditions,
    rows_from_data,
    rule_formset,
)
from lists.models import ContactList, ListKind
from smoove.decorators import account_required
from smoove.models import Account

MANUAL_SOURCE = "manual"
SEARCH_LIMIT = 50
# Sent with every re-rendered builder, so the live count refreshes too.
CONDITIONS_CHANGED_EVENT = "conditions-changed"


@require_GET
@account_required
def index(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    contact_lists = list(queries.lists_with_counts(account))
    dynamic_counts = queries.count_dynamic_members(account, contact_lists)
    for contact_list in contact_lists:
        if contact_list.kind == ListKind.DYNAMIC:
            contact_list.member_count = dynamic_counts.get(contact_list.pk)  # type: ignore[attr-defined]
    return render(request, "lists/index.html", {"contact_lists": contact_lists})


@require_http_methods(["GET", "POST"])
@account_required
def create(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    kind = request.POST.get("kind") or request.GET.get("kind") or ListKind.STATIC
    if kind == ListKind.DYNAMIC:
        return _dynamic_list_page(request, account, None)
    return _static_list_page(request, account, None)


@require_http_methods(["GET", "POST"])
@account_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    contact_list = queries.get_list_for_account(account, pk)
    if contact_list.kind == ListKind.DYNAMIC:
        return _dynamic_list_page(request, account, contact_list)
    return _static_list_page(request, account, contact_list)


def _saved(request: HttpRequest, contact_list: ContactList, created: bool) -> HttpResponse:
    if created:
        message = _("The list “%(name)s” was created.")
    else:
        message = _("The list “%(name)s” was saved.")
    messages.success(request, message % {"name": contact_list.name})
    return redirect("lists:detail", contact_list.pk)


def _static_list_page(
    request: HttpRequest, account: Account, contact_list: ContactList | None
) -> HttpResponse:
    initial = {}
    if contact_list is not None:
        initial = {
            "name": contact_list.name,
            "is_public": contact_list.is_public,
            "public_description": contact_list.public_description,
        }
    form = StaticListForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if contact_list is None:
                saved = actions.create_list(account, kind=ListKind.STATIC, **form.cleaned_data)
            else:
                saved = actions.update_list(account, contact_list, form.cleaned_data)
        except ListError as exc:
            form.add_action_errors(str(exc), exc.field_errors)
        else:
            return _saved(request, saved, created=contact_list is None)
    context = {"form": form, "contact_list": contact_list, "kind": ListKind.STATIC}
    return render(request, "lists/form.html", context)


def rule_options(account: Account) -> RuleOptions:
    """Collect the fields, static lists and event kinds a rule may refer to."""
    static_lists = queries.lists_of_account(account).filter(kind=ListKind.STATIC)
    codes = set(KNOWN_EVENT_KINDS) | set(contact_queries.recent_event_kinds(account))
    kinds = sorted((code, contact_queries.event_kind_label(code)) for code in codes)
    return RuleOptions(
        catalog=contact_queries.field_catalog(account),
        static_lists=list(static_lists),
        event_kinds=kinds,
    )


def _edit_rows(request: HttpRequest, options: RuleOptions) -> HttpResponse:
    """Handle a builder request: add, remove or re-render rows, and save nothing."""
    rows = rows_from_data(request.POST)
    action = request.POST.get("builder")
    if action == "add" and len(rows) < MAX_RULES:
        rows.append(new_row())
    elif action == "remove":
        index = request.POST.get("builder_index", "")
        if index.isdigit() and int(index) < len(rows):
            rows.pop(int(index))
    context = {
        "formset": rule_formset(options, rows=rows),
        "options": options,
        "max_rules": MAX_RULES,
    }
    response = render(request, "lists/_partials/conditions.html", context)
    return trigger_client_event(response, CONDITIONS_CHANGED_EVENT, after="swap")


def _dynamic_list_page(
    request: HttpRequest, account: Account, contact_list: ContactList | None
) -> HttpResponse:
    options = rule_options(account)
    if request.method == "POST" and request.POST.get("builder"):
        return _edit_rows(request, options)

    conditions = contact_list.conditions if contact_list is not None else {}
    initial = {"match": (conditions or {}).get("match", "all")}
    if contact_list is not None:
        initial["name"] = contact_list.name
    form = DynamicListForm(request.POST or None, initial=initial)
    if request.method == "POST":
        formset = rule_formset(options, data=request.POST)
    else:
        rows = rows_from_conditions(conditions) if contact_list is not None else [new_row()]
        formset = rule_formset(options, rows=rows)

    conditions_error = ""
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        new_conditions = formset.conditions(form.cleaned_data["match"])
        try:
            if contact_list is None:
                saved = actions.create_list(
                    account,
                    name=form.cleaned_data["name"],
                    kind=ListKind.DYNAMIC,
                    conditions=new_conditions,
                )
            else:
                changes = {"name": form.cleaned_data["name"], "conditions": new_conditions}
                saved = actions.update_list(account, contact_list, changes)
        except ListError as exc:
            conditions_error = exc.field_errors.pop("conditions", "")
            if exc.field_errors or not conditions_error:
                form.add_action_errors(str(exc), exc.field_errors)
        else:
            return _saved(request, saved, created=contact_list is None)
    context = {
        "form": form,
        "formset": formset,
        "options": options,
        "max_rules": MAX_RULES,
        "conditions_error": conditions_error,
        "contact_list": contact_list,
        "kind": ListKind.DYNAMIC,
    }
    return render(request, "lists/form.html", context)


@require_POST
@account_required
def count_conditions(request: HttpRequest) -> HttpResponse:
    """Return the count fragment for the conditions being edited, without saving.

    A POST, because it reads the whole builder form, CSRF token included,
    which does not belong in a URL.
    """
    account: Account = request.account  # type: ignore[attr-defined]
    formset = rule_formset(rule_options(account), data=request.POST)
    context: dict[str, Any] = {"count": None, "error": ""}
    if not formset.is_valid():
        context["error"] = _("Complete the rules to see how many contacts match.")
    else:
        conditions = formset.conditions(request.POST.get("match", "all"))
        try:
            context["count"] = queries.count_matching(account, conditions)
        except ConditionError as exc:
            context["error"] = str(exc)
    return render(request, "lists/_partials/count.html", context)


@require_http_methods(["GET", "POST"])
@account_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then delete a list unless a dynamic list's conditions refer to it."""
    account: Account = request.account  # type: ignore[attr-defined]
    contact_list = queries.get_list_for_account(account, pk)
    using_lists = queries.dynamic_lists_using(account, list_id=contact_list.pk)
    if request.method == "POST" and not using_lists:
        actions.delete_list(account, contact_list)
        messages.success(
            request, _("The list “%(name)s” was deleted.") % {"name": contact_list.name}
        )
        return redirect("lists:index")
    try:
        member_count: int | None = queries.member_count(contact_list)
    except ConditionError:
        member_count = None
    context = {
        "contact_list": contact_list,
        "member_count": member_count,
        "using_lists": using_lists,
    }
    # A rejected POST returns 409, so scripts and tests can tell nothing was deleted.
    status = 409 if request.method == "POST" else 200
    return render(request, "lists/delete.html", context, status=status)


def _next_or_detail(request: HttpRequest, contact_list: ContactList) -> HttpResponse:
    """Go back where the form came from (the contact card), else to the list."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("lists:detail", contact_list.pk)


def _posted_contacts(request: HttpRequest, account: Account) -> list[Contact]:
    """Return the account's contacts whose ids were posted as "contact".

    Raises ContactError when an id is not a contact of this account.
    """
    raw_ids = request.POST.getlist("contact")
    if not raw_ids:
        raise ContactError(_("Choose at least one contact."))
    if not all(raw.isdigit() for raw in raw_ids):
        raise ContactError(_("The selection is invalid. Reload the page and try again."))
    return contact_queries.get_contacts_for_account(account, [int(raw) for raw in raw_ids])


def _search_context(
    request: HttpRequest, account: Account, contact_list: ContactList
) -> dict[str, Any]:
    """Find contacts for the search box, listing the contacts already ticked first."""
    text = request.GET.get("q", "").strip()
    ticked_ids = [int(raw) for raw in request.GET.getlist("contact") if raw.isdigit()]
    ticked = list(contact_queries.contacts_of_account(account).filter(pk__in=ticked_ids))
    found = list(contact_queries.filter_contacts(account, text=text)[:SEARCH_LIMIT]) if text else []
    ticked_pks = {contact.pk for contact in ticked}
    results = ticked + [contact for contact in found if contact.pk not in ticked_pks]
    for contact in results:
        contact.readable_mobile = readable_phone(contact.mobile)  # type: ignore[attr-defined]
    member_ids = set(
        queries.members_of_list(contact_list)
        .filter(pk__in=[contact.pk for contact in results])
        .values_list("pk", flat=True)
    )
    return {
        "query": text,
        "results": results,
        "ticked_ids": ticked_pks,
        "member_ids": member_ids,
        "is_cut": len(found) >= SEARCH_LIMIT,
        "search_limit": SEARCH_LIMIT,
        "contact_list": contact_list,
    }


@require_http_methods(["GET", "POST"])
@account_required
def add_members(request: HttpRequest, pk: int) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    contact_list = queries.get_list_for_account(account, pk)
    if request.method == "POST":
        try:
            added = actions.add_contacts(
                account, contact_list, _posted_contacts(request, account), source=MANUAL_SOURCE
            )
        except (ListError, ContactError) as exc:
            messages.error(request, str(exc))
        else:
            if added:
                message = ngettext(
                    "%(count)d contact joined the list “%(name)s”.",
                    "%(count)d contacts joined the list “%(name)s”.",
                    added,
                )
                messages.success(request, message % {"count": added, "name": contact_list.name})
            else:
                messages.info(
                    request, _("No contact joined: those chosen were already in the list.")
                )
        return _next_or_detail(request, contact_list)

    context = _search_context(request, account, contact_list)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "lists/_partials/search_results.html", context)
    return render(request, "lists/add_members.html", context)


@require_POST
@account_required
def remove_members(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the contacts posted as "contact" from a static list."""
    account: Account = request.account  # type: ignore[attr-defined]
    contact_list = queries.get_list_for_account(account, pk)
    try:
        removed = actions.remove_contacts(
            account, contact_list, _posted_contacts(request, account), source=MANUAL_SOURCE
        )
    except (ListError, ContactError) as exc:
        messages.error(request, str(exc))
    else:
        if removed:
            message = ngettext(
                "%(count)d contact left the list “%(name)s”.",
                "%(count)d contacts left the list “%(name)s”.",
                removed,
            )
            messages.success(request, message % {"count": removed, "name": contact_list.name})
        else:
            messages.info(request, _("No contact left: those chosen were not in the list."))
    return _next_or_detail(request, contact_list)
