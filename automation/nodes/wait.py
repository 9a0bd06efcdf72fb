import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base

MODES = ("duration", "weekday", "date_field")
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}


class Node(base.NodeType):
    """Hold the contact: for a duration, until a weekday and time, or until a date field.

    With wake_on, an event of that kind for the contact (an open, a form
    submission, a purchase) ends the wait early.
    """

    type = "wait"
    category = base.Category.WAIT
    label = gettext_lazy("Wait")
    settings_schema = {
        "type": "object",
        "required": ["mode"],
        "properties": {
            "mode": {"enum": list(MODES)},
            "amount": {"type": "integer", "minimum": 1, "title": "How long (duration)"},
            "unit": {"enum": list(UNITS), "default": "days"},
            "weekdays": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 6},
                "title": "Weekdays, 0 is Monday (weekday)",
            },
            "time": {"type": "string", "pattern": "^\\d{2}:\\d{2}$", "title": "Time of day"},
            "field": {"type": "string", "title": "Date field (date_field)"},
            "offset_days": {"type": "integer", "default": 0},
            "wake_on": {"type": "string", "title": "Event kind that ends the wait early"},
        },
    }

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        mode = settings.get("mode")
        problems: list[str | None] = [base.require_choice(settings, "mode", MODES)]
        if mode == "duration":
            problems.append(base.require_int(settings, "amount", minimum=1))
            if settings.get("unit", "days") not in UNITS:
                problems.append(base.require_choice(settings, "unit", tuple(UNITS)))
        if mode == "weekday":
            days = settings.get("weekdays")
            if not isinstance(days, list) or not days:
                problems.append(base.missing("weekdays"))
            elif any(not isinstance(day, int) or not 0 <= day <= 6 for day in days):
                problems.append(_("The setting “weekdays” takes numbers 0 (Monday) to 6 (Sunday)."))
        if mode in ("weekday", "date_field") and base.parse_time(settings.get("time")) is None:
            problems.append(_("The setting “time” must be a time of day such as 09:00."))
        if mode == "date_field":
            problems.append(base.require_field(settings, "field", refs, types=("date",)))
            problems.append(base.require_int(settings, "offset_days", optional=True))
        return base.compact(problems)

    def run(self, step: base.Step) -> base.Outcome:
        wake_at = self.wake_time(step)
        return base.Outcome(
            wait_until=wake_at,
            wake_on=str(step.settings.get("wake_on") or ""),
            detail={"wake_at": wake_at.isoformat()},
        )

    def wake_time(self, step: base.Step) -> datetime.datetime:
        settings = step.settings
        mode = settings.get("mode")
        if mode == "duration":
            seconds = (base.int_setting(settings, "amount") or 0) * UNITS[
                settings.get("unit", "days")
            ]
            return step.now + datetime.timedelta(seconds=seconds)
        zone = ZoneInfo(step.account.time_zone)
        at = base.parse_time(settings.get("time")) or datetime.time(9, 0)
        if mode == "weekday":
            weekdays = set(settings.get("weekdays") or [])
            today = step.now.astimezone(zone).date()
            for ahead in range(8):
                day = today + datetime.timedelta(days=ahead)
                candidate = datetime.datetime.combine(day, at, tzinfo=zone)
                if day.weekday() in weekdays and candidate > step.now:
                    return candidate
            return step.now
        stored = base.contact_date(step.contact, str(settings.get("field")))
        if stored is None:
            # Without a date there is nothing to wait for: the contact moves on.
            return step.now
        day = stored + datetime.timedelta(days=base.int_setting(settings, "offset_days") or 0)
        return max(datetime.datetime.combine(day, at, tzinfo=zone), step.now)
