"""A list's page: its members in the contact table, and their export."""

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_GET

from contacts import queries as contact_queries
from contacts import table_views
from contacts.models import Contact
from lists import queries as list_queries
from lists.conditions import ConditionError
from lists.models import ContactList, ListKind
from smoove.decorators import account_required
from smoove.models import Account


def _members(account: Account, contact_list: ContactList) -> tuple[QuerySet[Contact], str]:
    """Return the list's members and, when its saved conditions no longer compile, why.

    A dynamic list can name a custom field that was deleted since. Its page
    then shows the reason and no members instead of failing.
    """
    try:
        return list_queries.members_of_list(contact_list), ""
    except ConditionError as exc:
        return contact_queries.contacts_of_account(account).none(), str(exc)


@account_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    contact_list = list_queries.get_list_for_account(account, pk)
    members, condition_error = _members(account, contact_list)
    context = table_views.table_context(
        request,
        account,
        members,
        table_key=f"list:{contact_list.pk}",
        url=reverse("lists:detail", args=[contact_list.pk]),
        export_url=reverse("lists:export", args=[contact_list.pk]),
    )

    def member_count() -> int:
        # Only the full page calls this. Without search or filters, the
        # table's own count is the same number.
        if not context["table"]["state"].is_narrowed:
            return int(context["table"]["page"].paginator.count)
        return members.count()

    context.update(
        contact_list=contact_list,
        member_count=member_count,
        condition_error=condition_error,
        # Members of a static list can be ticked and removed from the table.
        removable_from=contact_list if contact_list.kind == ListKind.STATIC else None,
    )
    return table_views.render_table(request, "lists/detail.html", context)


@account_required
@require_GET
def export(request: HttpRequest, pk: int) -> HttpResponseBase:
    account: Account = request.account  # type: ignore[attr-defined]
    contact_list = list_queries.get_list_for_account(account, pk)
    members, _condition_error = _members(account, contact_list)
    return table_views.export_response(
        request, account, members, table_key=f"list:{contact_list.pk}", name=contact_list.name
    )
