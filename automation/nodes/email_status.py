from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation import queries
from automation.nodes import base

STATUSES = (
    "sent",
    "not_sent",
    "opened",
    "not_opened",
    "clicked",
    "not_clicked",
    "clicked_link",
    "not_clicked_link",
)
EVENT_OF_STATUS = {"sent": "message_sent", "opened": "message_opened", "clicked": "message_clicked"}


class Node(base.NodeType):
    """Email status: was message X sent to, opened or clicked by the contact."""

    type = "email_status"
    category = base.Category.CONDITION
    label = gettext_lazy("Email status")
    settings_schema = {
        "type": "object",
        "required": ["message_id", "status"],
        "properties": {
            "message_id": {"type": "integer", "title": "Message"},
            "status": {"enum": list(STATUSES)},
            "url": {"type": "string", "title": "Link (clicked_link)"},
        },
    }

    def branches(self, settings: dict[str, Any]) -> list[str]:
        return [base.YES, base.NO]

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        problems = [
            base.require_reference(settings, "message_id", refs.message_channels, _("message")),
            base.require_choice(settings, "status", STATUSES),
        ]
        if str(settings.get("status", "")).endswith("clicked_link") and not settings.get("url"):
            problems.append(base.missing("url"))
        return base.compact(problems)

    def run(self, step: base.Step) -> base.Outcome:
        status = str(step.settings["status"])
        positive = status.removeprefix("not_")
        message_id = base.int_setting(step.settings, "message_id")
        kind = EVENT_OF_STATUS["clicked" if positive == "clicked_link" else positive]
        url = str(step.settings.get("url") or "") if positive == "clicked_link" else ""
        happened = queries.contact_has_event(
            step.contact, kind, message_id=message_id, url_contains=url
        )
        holds = happened != status.startswith("not_")
        return base.Outcome(branch=base.YES if holds else base.NO, detail={"status": status})
