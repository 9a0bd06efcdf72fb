"""Changes to lists and memberships; joining and leaving are contact events."""

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from contacts import actions as contact_actions
from contacts import queries as contact_queries
from contacts.actions import EventKind
from contacts.models import Contact
from lists.conditions import ConditionError, compile_conditions
from lists.models import ContactList, ListKind, ListMembership
from smoove.models import Account

logger = logging.getLogger(__name__)


class ListError(Exception):
    """A list change that cannot be applied, with a readable reason."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


def _check_name(account: Account, name: str, exclude_pk: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ListError(_("Give the list a name."), {"name": _("Give the list a name.")})
    clash = ContactList.objects.filter(account=account, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        message = _("A list named “%(name)s” exists.") % {"name": name}
        raise ListError(message, {"name": message})
    return name


def validate_conditions(account: Account, conditions: dict[str, Any]) -> None:
    specs = {s.key: s for s in contact_queries.field_catalog(account)}
    try:
        compile_conditions(account, conditions, specs)
    except ConditionError as exc:
        raise ListError(str(exc), {"conditions": str(exc)}) from exc


def create_list(
    account: Account,
    *,
    name: str,
    kind: str = ListKind.STATIC,
    is_public: bool = False,
    public_description: str = "",
    conditions: dict[str, Any] | None = None,
) -> ContactList:
    name = _check_name(account, name)
    if kind == ListKind.DYNAMIC:
        conditions = conditions or {"match": "all", "rules": []}
        validate_conditions(account, conditions)
        is_public = False
    return ContactList.objects.create(
        account=account,
        name=name,
        kind=kind,
        is_public=is_public,
        public_description=public_description.strip(),
        conditions=conditions or {},
    )


def update_list(account: Account, contact_list: ContactList, changes: dict[str, Any]) -> ContactList:
    if "name" in changes:
        contact_list.name = _check_name(account, changes["name"], exclude_pk=contact_list.pk)
    if "is_public" in changes and contact_list.kind == ListKind.STATIC:
        contact_list.is_public = bool(changes["is_public"])
    if "public_description" in changes:
        contact_list.public_description = str(changes["public_description"]).strip()
    if "conditions" in changes and contact_list.kind == ListKind.DYNAMIC:
        validate_conditions(account, changes["conditions"])
        contact_list.conditions = changes["conditions"]
    contact_list.save()
    return contact_list


def delete_list(account: Account, contact_list: ContactList) -> None:
    ContactList.objects.filter(account=account, pk=contact_list.pk).delete()


def add_contacts(
    account: Account, contact_list: ContactList, contacts: Iterable[Contact], *, source: str
) -> int:
    """Add contacts to a static list; return how many joined (members already in are skipped)."""
    if contact_list.kind != ListKind.STATIC:
        raise ListError(_("Contacts join a dynamic list by its conditions, not by hand."))
    contacts = [c for c in contacts if c.account_id == account.pk]
    if not contacts:
        return 0
    with transaction.atomic():
        present = set(
            ListMembership.objects.filter(
                contact_list=contact_list, contact__in=contacts
            ).values_list("contact_id", flat=True)
        )
        new = [c for c in contacts if c.pk not in present]
        # ignore_conflicts covers a concurrent add of the same contact; the
        # event is then recorded twice at worst, never the membership.
        ListMembership.objects.bulk_create(
            [
                ListMembership(account=account, contact_list=contact_list, contact=c, source=source)
                for c in new
            ],
            ignore_conflicts=True,
        )
        contact_actions.record_events(
            account,
            (
                (c, EventKind.LIST_JOINED, {"list_id": contact_list.pk, "source": source})
                for c in new
            ),
        )
    return len(new)


def remove_contacts(
    account: Account, contact_list: ContactList, contacts: Iterable[Contact], *, source: str
) -> int:
    """Remove contacts from a static list; return how many left."""
    if contact_list.kind != ListKind.STATIC:
        raise ListError(_("Contacts leave a dynamic list by its conditions, not by hand."))
    contacts = [c for c in contacts if c.account_id == account.pk]
    with transaction.atomic():
        leaving = list(
            ListMembership.objects.filter(
                account=account, contact_list=contact_list, contact__in=contacts
            ).values_list("contact_id", flat=True)
        )
        ListMembership.objects.filter(
            account=account, contact_list=contact_list, contact_id__in=leaving
        ).delete()
        by_id = {c.pk: c for c in contacts}
        contact_actions.record_events(
            account,
            (
                (by_id[pk], EventKind.LIST_LEFT, {"list_id": contact_list.pk, "source": source})
                for pk in leaving
            ),
        )
    return len(leaving)


class ContactRowsRejected(ListError):
    """Contact values given to join a list that could not be upserted.

    row_errors maps each rejected row's index to its errors by field key.
    """

    def __init__(self, row_errors: dict[int, dict[str, str]]) -> None:
        super().__init__(_("Some contacts were not saved, so none joined the list."))
        self.row_errors = row_errors


def add_contacts_by_reference(
    account: Account,
    contact_list: ContactList,
    *,
    contact_ids: Sequence[int] = (),
    rows: Sequence[dict[str, Any]] = (),
    source: str,
) -> tuple[int, list[Contact]]:
    """Add contacts given by id or by their values to a static list, all or nothing.

    1. Resolve the ids to the account's contacts; ContactError names the
       ids that are not.
    2. Upsert the rows strictly, through the one contact upsert; a row with
       any invalid value raises ContactRowsRejected.
    3. Add every contact that is not a member yet.

    Returns how many joined and the contacts in the order given, ids first.
    Nothing is saved when any step fails.
    """
    if contact_list.kind != ListKind.STATIC:
        raise ListError(_("Contacts join a dynamic list by its conditions, not by hand."))
    with transaction.atomic():
        contacts = contact_queries.get_contacts_for_account(account, contact_ids)
        if rows:
            outcomes = contact_actions.upsert_contacts(account, rows, source=source)
            rejected = {o.index: o.errors for o in outcomes if not o.applied}
            if rejected:
                raise ContactRowsRejected(rejected)
            contacts += [o.contact for o in outcomes if o.contact is not None]
        contacts = list({c.pk: c for c in contacts}.values())
        added = add_contacts(account, contact_list, contacts, source=source)
    return added, contacts
