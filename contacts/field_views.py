"""Screens of the account's custom contact fields: list, create, edit, delete."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from contacts import actions, queries
from contacts.actions import ContactError
from contacts.forms import CustomFieldEditForm, CustomFieldForm
from lists import queries as list_queries
from smoove.decorators import account_required
from smoove.models import Account


@require_GET
@account_required
def index(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    context = {"custom_fields": list(queries.custom_fields_of_account(account))}
    return render(request, "contacts/field_index.html", context)


@require_http_methods(["GET", "POST"])
@account_required
def create(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            custom = actions.create_custom_field(account, **form.cleaned_data)
        except ContactError as exc:
            field_errors = dict(exc.field_errors)
            if "key" in field_errors and not form.cleaned_data["key"]:
                # The key was made from the name, so the name is what to change.
                del field_errors["key"]
                field_errors["label"] = _("%(error)s Choose another name, or enter a key.") % {
                    "error": str(exc)
                }
            form.add_action_errors(str(exc), field_errors)
        else:
            messages.success(
                request,
                _("The field “%(label)s” was added with the key %(key)s.")
                % {"label": custom.label, "key": custom.key},
            )
            return redirect("contacts:field_index")
    return render(request, "contacts/field_form.html", {"form": form, "custom_field": None})


@require_http_methods(["GET", "POST"])
@account_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    custom = queries.get_custom_field_for_account(account, pk)
    initial = {"label": custom.label, "choices": "\n".join(custom.choices or [])}
    form = CustomFieldEditForm(request.POST or None, initial=initial, field_type=custom.type)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_custom_field(
                account,
                custom,
                label=form.cleaned_data["label"],
                choices=form.cleaned_data.get("choices"),
            )
        except ContactError as exc:
            form.add_action_errors(str(exc), exc.field_errors)
        else:
            messages.success(
                request, _("The field “%(label)s” was saved.") % {"label": custom.label}
            )
            return redirect("contacts:field_index")
    return render(request, "contacts/field_form.html", {"form": form, "custom_field": custom})


@require_http_methods(["GET", "POST"])
@account_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then delete a custom field unless a dynamic list's conditions use it."""
    account: Account = request.account  # type: ignore[attr-defined]
    custom = queries.get_custom_field_for_account(account, pk)
    using_lists = list_queries.dynamic_lists_using(account, field_key=custom.key)
    if request.method == "POST" and not using_lists:
        actions.delete_custom_field(account, custom)
        messages.success(request, _("The field “%(label)s” was deleted.") % {"label": custom.label})
        return redirect("contacts:field_index")
    context = {
        "custom_field": custom,
        "value_count": queries.count_contacts_with_field_value(account, custom.key),
        "using_lists": using_lists,
    }
    # A rejected POST returns 409, so scripts and tests can tell nothing was deleted.
    status = 409 if request.method == "POST" else 200
    return render(request, "contacts/field_delete.html", context, status=status)
