"""Reads of lists and memberships, scoped to an account."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from contacts import queries as contact_queries
from contacts.models import Contact
from lists.conditions import compile_conditions
from lists.models import ContactList, ListKind, ListMembership
from smoove.models import Account


def lists_of_account(account: Account) -> QuerySet[ContactList]:
    return ContactList.objects.filter(account=account)


def lists_with_counts(account: Account) -> QuerySet[ContactList]:
    """Return the account's lists; static lists carry member_count."""
    return ContactList.objects.filter(account=account).annotate(
        member_count=Count("memberships")
    )


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


def memberships_of_contact(contact: Contact) -> QuerySet[ListMembership]:
    return (
        ListMembership.objects.filter(account_id=contact.account_id, contact=contact)
        .select_related("contact_list")
        .order_by("contact_list__name")
    )


def is_member(contact_list: ContactList, contact: Contact) -> bool:
    return members_of_list(contact_list).filter(pk=contact.pk).exists()
