from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base

OPERATORS = (
    "more_days_since",
    "fewer_days_since",
    "more_days_until",
    "fewer_days_until",
    "before",
    "after",
)


class Node(base.NodeType):
    """Date status: how many days since or until a contact's date field, or before/after a date.

    Days count in the account's time zone. A contact without the date takes
    the "no" branch.
    """

    type = "date_status"
    category = base.Category.CONDITION
    label = gettext_lazy("Date status")
    settings_schema = {
        "type": "object",
        "required": ["field", "operator"],
        "properties": {
            "field": {"type": "string", "title": "Date field"},
            "operator": {"enum": list(OPERATORS)},
            "days": {"type": "integer", "minimum": 0, "title": "Days (since / until)"},
            "date": {"type": "string", "format": "date", "title": "Date (before / after)"},
        },
    }

    def branches(self, settings: dict[str, Any]) -> list[str]:
        return [base.YES, base.NO]

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        operator = settings.get("operator")
        problems = [
            base.require_field(settings, "field", refs, types=("date",)),
            base.require_choice(settings, "operator", OPERATORS),
        ]
        if operator in ("before", "after"):
            if base.parse_date(settings.get("date")) is None:
                problems.append(_("The setting “date” must be a date such as 2025-03-28."))
        elif operator in OPERATORS:
            problems.append(base.require_int(settings, "days", minimum=0))
        return base.compact(problems)

    def run(self, step: base.Step) -> base.Outcome:
        day = base.contact_date(step.contact, str(step.settings["field"]))
        if day is None:
            return base.Outcome(branch=base.NO, detail={"date": None})
        today = step.now.astimezone(ZoneInfo(step.account.time_zone)).date()
        operator = step.settings["operator"]
        days = base.int_setting(step.settings, "days") or 0
        if operator == "more_days_since":
            holds = (today - day).days > days
        elif operator == "fewer_days_since":
            holds = 0 <= (today - day).days < days
        elif operator == "more_days_until":
            holds = (day - today).days > days
        elif operator == "fewer_days_until":
            holds = 0 <= (day - today).days < days
        else:
            fixed = base.parse_date(step.settings.get("date"))
            holds = fixed is not None and (day < fixed if operator == "before" else day > fixed)
        return base.Outcome(branch=base.YES if holds else base.NO, detail={"date": day.isoformat()})
