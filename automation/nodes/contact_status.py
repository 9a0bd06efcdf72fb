from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation import queries
from automation.nodes import base
from lists.conditions import ConditionError, compile_conditions


class Node(base.NodeType):
    """Contact status: field comparisons and list membership, joined by and/or.

    The settings have the shape of dynamic-list conditions:
    {"match": "all" | "any", "rules": [{"type": "field", "field": "city",
    "op": "equals", "value": "חולון"}, {"type": "list", "op": "member",
    "list_id": 3}]}; field operators are equals, not_equals, contains,
    not_contains, empty, not_empty, gt, lt and between (value, value2).
    """

    type = "contact_status"
    category = base.Category.CONDITION
    label = gettext_lazy("Contact status")
    settings_schema = {
        "type": "object",
        "required": ["rules"],
        "properties": {
            "match": {"enum": ["all", "any"], "default": "all"},
            "rules": {"type": "array", "minItems": 1, "items": {"type": "object"}},
        },
    }

    def branches(self, settings: dict[str, Any]) -> list[str]:
        return [base.YES, base.NO]

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        rules = settings.get("rules")
        if not isinstance(rules, list) or not rules:
            return [_("Add at least one rule to “rules”.")]
        problems = []
        for index, rule in enumerate(rules, start=1):
            if not isinstance(rule, dict):
                problems.append(_("Rule %(n)d is not an object.") % {"n": index})
                continue
            if rule.get("type") == "event":
                problems.append(
                    _("Rule %(n)d: use the email, form or purchase status nodes for events.")
                    % {"n": index}
                )
            if (
                rule.get("type") == "list"
                and base.int_setting(rule, "list_id") not in refs.list_ids
            ):
                problems.append(
                    _("Rule %(n)d: the list %(id)s does not exist in this account.")
                    % {"n": index, "id": rule.get("list_id")}
                )
            try:
                compile_conditions(refs.account, {"match": "all", "rules": [rule]}, refs.fields)
            except ConditionError as exc:
                problems.append(_("Rule %(n)d: %(problem)s") % {"n": index, "problem": exc})
        if settings.get("match", "all") not in ("all", "any"):
            problems.append(base.require_choice(settings, "match", ("all", "any")) or "")
        return problems

    def run(self, step: base.Step) -> base.Outcome:
        try:
            holds = queries.contact_matches(step.account, step.contact, step.settings)
        except ConditionError as exc:
            raise base.StepError(str(exc)) from exc
        return base.Outcome(branch=base.YES if holds else base.NO)
