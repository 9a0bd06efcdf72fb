"""Dynamic list conditions, compiled to a Django Q so they run as SQL.

Shape of ContactList.conditions:

    {"match": "all" | "any",
     "rules": [
        {"type": "field", "field": "city", "op": "equals", "value": "חולון"},
        {"type": "list", "op": "member" | "not_member", "list_id": 3},
        {"type": "event", "op": "happened" | "not_happened",
         "kind": "form_submitted", "within_days": 30},
     ]}

Field operators: equals, not_equals, contains, not_contains, empty,
not_empty, gt, lt, between (value and value2). Dates compare as ISO text.
"""

import datetime
import json
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.fields import FieldSpec
from contacts.models import ContactEvent, FieldType
from smoove.models import Account

FIELD_OPERATORS = (
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "empty",
    "not_empty",
    "gt",
    "lt",
    "between",
)
MAX_RULES = 30


class ConditionError(ValueError):
    """Conditions that cannot be compiled, with a message for the marketer."""


def compile_conditions(
    account: Account, conditions: dict[str, Any], specs: dict[str, FieldSpec]
) -> Q:
    """Return a Q over Contact for the saved conditions; raise ConditionError."""
    rules = conditions.get("rules") or []
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise ConditionError(_("Conditions must be a list of up to %(max)d rules.") % {"max": MAX_RULES})
    match = conditions.get("match", "all")
    if match not in ("all", "any"):
        raise ConditionError(_("Match must be “all” or “any”."))
    compiled = [_compile_rule(account, rule, specs) for rule in rules]
    if not compiled:
        return Q()
    combined = compiled[0]
    for q in compiled[1:]:
        combined = (combined & q) if match == "all" else (combined | q)
    return combined


def _compile_rule(account: Account, rule: dict[str, Any], specs: dict[str, FieldSpec]) -> Q:
    kind = rule.get("type")
    if kind == "field":
        return _field_rule(rule, specs)
    if kind == "list":
        return _list_rule(account, rule)
    if kind == "event":
        return _event_rule(account, rule)
    raise ConditionError(_("Unknown rule type “%(type)s”.") % {"type": kind})


def _field_rule(rule: dict[str, Any], specs: dict[str, FieldSpec]) -> Q:
    spec = specs.get(str(rule.get("field")))
    if spec is None:
        raise ConditionError(_("There is no field “%(key)s”.") % {"key": rule.get("field")})
    op = rule.get("op")
    if op not in FIELD_OPERATORS:
        raise ConditionError(_("Unknown operator “%(op)s”.") % {"op": op})
    path = spec.storage_path
    value = _typed(spec, rule.get("value"))

    if op in ("empty", "not_empty"):
        if spec.is_custom:
            empty = (
                Q(**{f"{path}__isnull": True})
                | Q(**{path: ""})
                | Q(**{path: []})
                | ~Q(**{"fields__has_key": spec.key})
            )
        elif spec.type == FieldType.DATE:
            empty = Q(**{f"{path}__isnull": True})
        else:
            empty = Q(**{path: ""})
        return empty if op == "empty" else ~empty
    if op in ("equals", "not_equals"):
        if spec.type == FieldType.MULTI_CHOICE:
            q = _multi_contains(spec, value)
        elif spec.type == FieldType.TEXT:
            q = Q(**{f"{path}__iexact": value})
        else:
            q = Q(**{path: value})
        return q if op == "equals" else ~q
    if op in ("contains", "not_contains"):
        if spec.type == FieldType.MULTI_CHOICE:
            q = _multi_contains(spec, value)
        else:
            q = Q(**{f"{path}__icontains": value})
        return q if op == "contains" else ~q
    if op == "gt":
        return Q(**{f"{path}__gt": value})
    if op == "lt":
        return Q(**{f"{path}__lt": value})
    upper = _typed(spec, rule.get("value2"))
    return Q(**{f"{path}__gte": value}) & Q(**{f"{path}__lte": upper})


def _multi_contains(spec: FieldSpec, value: Any) -> Q:
    if connection.vendor == "postgresql":
        return Q(**{f"fields__{spec.key}__contains": [value]})
    # SQLite has no JSON containment; match the quoted item in the stored
    # array text, which Django's encoder writes with ASCII escapes.
    return Q(**{f"fields__{spec.key}__icontains": json.dumps(value)})


def _typed(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.type == FieldType.NUMBER:
        try:
            return float(value) if "." in str(value) else int(value)
        except ValueError as exc:
            raise ConditionError(_("“%(value)s” is not a number.") % {"value": value}) from exc
    if spec.type == FieldType.DATE:
        try:
            day = datetime.date.fromisoformat(str(value))
        except ValueError as exc:
            raise ConditionError(_("“%(value)s” is not a date.") % {"value": value}) from exc
        return day.isoformat() if spec.is_custom else day
    if spec.type == FieldType.BOOLEAN:
        return str(value).lower() in ("1", "true", "yes", "כן")
    return str(value)


def _list_rule(account: Account, rule: dict[str, Any]) -> Q:
    from lists.models import ListMembership

    op = rule.get("op")
    if op not in ("member", "not_member"):
        raise ConditionError(_("Unknown operator “%(op)s”.") % {"op": op})
    list_id = rule.get("list_id")
    if not str(list_id).isdigit():
        raise ConditionError(_("Choose a list."))
    membership = ListMembership.objects.filter(
        account=account, contact_list_id=int(str(list_id)), contact=OuterRef("pk")
    )
    return Q(Exists(membership)) if op == "member" else ~Q(Exists(membership))


def _event_rule(account: Account, rule: dict[str, Any]) -> Q:
    op = rule.get("op")
    if op not in ("happened", "not_happened"):
        raise ConditionError(_("Unknown operator “%(op)s”.") % {"op": op})
    kind = str(rule.get("kind") or "")
    if not kind:
        raise ConditionError(_("Choose an event."))
    events = ContactEvent.objects.filter(account=account, contact=OuterRef("pk"), kind=kind)
    within = rule.get("within_days")
    if within not in (None, ""):
        try:
            days = int(str(within))
        except (TypeError, ValueError) as exc:
            raise ConditionError(_("“%(value)s” is not a number of days.") % {"value": within}) from exc
        events = events.filter(occurred_at__gte=timezone.now() - datetime.timedelta(days=days))
    return Q(Exists(events)) if op == "happened" else ~Q(Exists(events))
