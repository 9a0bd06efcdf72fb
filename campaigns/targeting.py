"""Targeting rules of blocks and subjects, evaluated as SQL for a batch of contacts.

Rules have the shape of dynamic-list conditions and compile through
lists.conditions, so "city equals חולון" means the same in a list, a
targeted paragraph and a dynamic subject.
"""

from collections.abc import Sequence
from typing import Any

from campaigns import merge
from contacts import queries as contact_queries
from contacts.models import Contact
from lists.conditions import ConditionError, compile_conditions
from smoove.models import Account


def field_index(account: Account) -> merge.FieldIndex:
    return merge.FieldIndex(contact_queries.field_catalog(account))


def rule_error(account: Account, rule: dict[str, Any], fields: merge.FieldIndex) -> str | None:
    """Return why a rule cannot be evaluated, or None when it can."""
    try:
        compile_conditions(account, rule, fields.specs)
    except ConditionError as exc:
        return str(exc)
    return None


def evaluate(
    account: Account,
    rules: Sequence[dict[str, Any]],
    contact_ids: Sequence[int],
    fields: merge.FieldIndex,
) -> dict[int, list[bool]]:
    """Return, per contact id, whether each rule selects the contact.

    Costs one query per rule for the whole batch.
    """
    matched: list[set[int]] = []
    for rule in rules:
        selected = compile_conditions(account, rule, fields.specs)
        ids = Contact.objects.filter(account=account, pk__in=list(contact_ids)).filter(selected)
        matched.append(set(ids.values_list("pk", flat=True)))
    return {contact_id: [contact_id in ids for ids in matched] for contact_id in contact_ids}
