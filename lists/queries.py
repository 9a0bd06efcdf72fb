"""Reads of lists and memberships, scoped to an account."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from contacts import queries as contact_queries
from contacts.models import Contact
from lists.conditions import ConditionError, compile_conditions
from lists.models import ContactList, ListKind, ListMembership
from smoove.models import Account


def lists_of_account(account: Account) -> QuerySet[ContactList]:
    return ContactList.objects.filter(account=account)


def lists_with_counts(account: Account) -> QuerySet[ContactList]:
    """Return the account's lists; static lists carry member_count."""
    return ContactList.objects.filter(account=account).annotate(member_count=Count("memberships"))


def public_lists(account: Account) -> QuerySet[ContactList]:
    return ContactList.objects.filter(account=account, is_public=True, kind=ListKind.STATIC)


def get_list_for_account(account: Account, pk: int | str) -> ContactList:
    found = (
        ContactList.objects.filter(account=account, pk=pk).first() if str(pk).isdigit() else None
    )
    if found is None:
        raise Http404("List not found.")
    return found


def members_filter(contact_list: ContactList) -> Q:
    """Return a Q over Contact selecting the list's members, evaluated as SQL."""
    if contact_list.kind == ListKind.DYNAMIC:
        specs = {s.key: s for s in contact_queries.field_catalog(contact_list.account)}
        return compile_conditions(contact_list.account, contact_list.conditions, specs)
    return Q(memberships__contact_list=contact_list)


def members_of_list(contact_list: ContactList) -> QuerySet[Contact]:
    return Contact.objects.filter(account_id=contact_list.account_id).filter(
        members_filter(contact_list)
    )


def member_count(contact_list: ContactList) -> int:
    return members_of_list(contact_list).count()


def count_matching(account: Account, conditions: dict[str, Any]) -> int:
    """Count the account's contacts that conditions select, saved or not.

    Raises ConditionError when the conditions do not compile.
    """
    specs = {s.key: s for s in contact_queries.field_catalog(account)}
    selected = compile_conditions(account, conditions, specs)
    return Contact.objects.filter(account=account).filter(selected).count()


def count_dynamic_members(
    account: Account,
    contact_lists: Iterable[ContactList],
    contacts: QuerySet[Contact] | None = None,
) -> dict[int, int | None]:
    """Count each dynamic list's members among contacts, in one query.

    Contacts default to all of the account's. Each list's conditions become
    a filtered COUNT over one scan, and the field catalogue is read once.
    A list whose conditions no longer compile counts as None.
    """
    specs = {s.key: s for s in contact_queries.field_catalog(account)}
    counts: dict[int, int | None] = {}
    aggregates = {}
    for contact_list in contact_lists:
        if contact_list.kind != ListKind.DYNAMIC:
            continue
        try:
            selected = compile_conditions(account, contact_list.conditions, specs)
        except ConditionError:
            counts[contact_list.pk] = None
            continue
        # An empty Q cannot be a FILTER clause: no rules select every contact.
        count = Count("pk", filter=selected) if selected else Count("pk")
        aggregates[f"list_{contact_list.pk}"] = count
    if aggregates:
        if contacts is None:
            contacts = Contact.objects.all()
        totals = contacts.filter(account=account).aggregate(**aggregates)
        counts.update({int(name[len("list_") :]): total for name, total in totals.items()})
    return counts


def dynamic_lists_using(
    account: Account, *, field_key: str | None = None, list_id: int | None = None
) -> list[ContactList]:
    """Return the dynamic lists with a rule on the field, or on membership of the list."""
    using = []
    for contact_list in ContactList.objects.filter(account=account, kind=ListKind.DYNAMIC):
        for rule in (contact_list.conditions or {}).get("rules") or []:
            on_field = rule.get("type") == "field" and rule.get("field") == field_key
            on_list = rule.get("type") == "list" and str(rule.get("list_id")) == str(list_id)
            if on_field or on_list:
                using.append(contact_list)
                break
    return using


def memberships_of_contact(contact: Contact) -> QuerySet[ListMembership]:
    return (
        ListMembership.objects.filter(account_id=contact.account_id, contact=contact)
        .select_related("contact_list")
        .order_by("contact_list__name")
    )


def is_member(contact_list: ContactList, contact: Contact) -> bool:
    return members_of_list(contact_list).filter(pk=contact.pk).exists()


def with_member_counts(contact_lists: Iterable[ContactList]) -> list[ContactList]:
    """Set member_count on each list and return them.

    Static lists are counted in one query; each dynamic list costs one
    count of its conditions. A dynamic list whose conditions no longer
    compile (a field they name was deleted) gets None.
    """
    contact_lists = list(contact_lists)
    static_ids = [c.pk for c in contact_lists if c.kind == ListKind.STATIC]
    static_counts = dict(
        ListMembership.objects.filter(contact_list_id__in=static_ids)
        .values("contact_list_id")
        .annotate(n=Count("id"))
        .values_list("contact_list_id", "n")
    )
    for contact_list in contact_lists:
        if contact_list.kind == ListKind.STATIC:
            contact_list.member_count = static_counts.get(contact_list.pk, 0)  # type: ignore[attr-defined]
            continue
        try:
            contact_list.member_count = member_count(contact_list)  # type: ignore[attr-defined]
        except ConditionError:
            contact_list.member_count = None  # type: ignore[attr-defined]
    return contact_lists


def list_ids_of_contact(contact: Contact) -> list[int]:
    """Return the ids of every list the contact is in, static and dynamic, in id order.

    Costs one query for the static lists and one per dynamic list. Dynamic
    lists whose conditions no longer compile are left out.
    """
    ids = set(
        ListMembership.objects.filter(account_id=contact.account_id, contact=contact).values_list(
            "contact_list_id", flat=True
        )
    )
    dynamic = ContactList.objects.filter(account_id=contact.account_id, kind=ListKind.DYNAMIC)
    for contact_list in dynamic:
        try:
            if is_member(contact_list, contact):
                ids.add(contact_list.pk)
        except ConditionError:
            continue
    return sorted(ids)
