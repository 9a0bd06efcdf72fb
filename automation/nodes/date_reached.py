import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base

MODES = ("field", "fixed")


class Node(base.NodeType):
    """A date trigger, fired by the engine's date check rather than by events.

    With mode "field", contacts whose date field plus offset_days is today
    (in the account's zone) enter at the time of day. With yearly, the year
    is ignored (birthdays). With mode "fixed", every contact matching the
    optional contact-status rules enters on that date and time.
    """

    type = "date_reached"
    category = base.Category.TRIGGER
    label = gettext_lazy("A date")
    settings_schema = {
        "type": "object",
        "required": ["mode", "time"],
        "properties": {
            "mode": {"enum": list(MODES)},
            "field": {"type": "string", "title": "Date field (mode field)"},
            "offset_days": {
                "type": "integer",
                "title": "Days after the date (negative: before)",
                "default": 0,
            },
            "yearly": {"type": "boolean", "default": False},
            "date": {"type": "string", "format": "date", "title": "Date (mode fixed)"},
            "time": {"type": "string", "pattern": "^\\d{2}:\\d{2}$", "title": "Time of day"},
            "audience": {
                "type": "object",
                "title": "Contacts (mode fixed): contact-status rules; empty for all",
            },
        },
    }

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        problems: list[str | None] = [base.require_choice(settings, "mode", MODES)]
        if base.parse_time(settings.get("time")) is None:
            problems.append(
                _("The setting “time” must be a time of day such as 09:00.")
                if settings.get("time")
                else base.missing("time")
            )
        if settings.get("mode") == "field":
            problems.append(base.require_field(settings, "field", refs, types=("date",)))
            problems.append(base.require_int(settings, "offset_days", optional=True))
        if settings.get("mode") == "fixed" and base.parse_date(settings.get("date")) is None:
            problems.append(
                _("The setting “date” must be a date such as 2025-03-28.")
                if settings.get("date")
                else base.missing("date")
            )
        return base.compact(problems)

    def fire_time(self, settings: dict[str, Any]) -> datetime.time:
        return base.parse_time(settings.get("time")) or datetime.time(9, 0)
