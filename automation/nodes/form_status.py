import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation import queries
from automation.nodes import base

STATUSES = ("submitted", "not_submitted")


class Node(base.NodeType):
    """Form status: did the contact submit form X (or any form), optionally lately."""

    type = "form_status"
    category = base.Category.CONDITION
    label = gettext_lazy("Form status")
    settings_schema = {
        "type": "object",
        "required": ["status"],
        "properties": {
            "form_id": {"type": ["integer", "null"], "title": "Form (empty: any form)"},
            "status": {"enum": list(STATUSES)},
            "within_days": {"type": ["integer", "null"], "minimum": 1},
        },
    }

    def branches(self, settings: dict[str, Any]) -> list[str]:
        return [base.YES, base.NO]

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        problems = [
            base.require_choice(settings, "status", STATUSES),
            base.require_int(settings, "within_days", minimum=1, optional=True),
        ]
        if settings.get("form_id") not in (None, ""):
            problems.append(base.require_reference(settings, "form_id", refs.form_ids, _("form")))
        return base.compact(problems)

    def run(self, step: base.Step) -> base.Outcome:
        days = base.int_setting(step.settings, "within_days")
        since = step.now - datetime.timedelta(days=days) if days else None
        submitted = queries.contact_has_event(
            step.contact,
            "form_submitted",
            form_id=base.int_setting(step.settings, "form_id"),
            since=since,
        )
        holds = submitted == (step.settings["status"] == "submitted")
        return base.Outcome(branch=base.YES if holds else base.NO)
