from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base

ACTIVITIES = ("opened", "clicked")


class Node(base.NodeType):
    type = "email_activity"
    category = base.Category.TRIGGER
    label = gettext_lazy("Email opened or link clicked")
    settings_schema = {
        "type": "object",
        "required": ["message_id", "activity"],
        "properties": {
            "message_id": {"type": "integer", "title": "Message"},
            "activity": {"enum": list(ACTIVITIES)},
            "url": {"type": "string", "title": "Link (clicked only, optional)"},
        },
    }
    event_kinds = ("message_opened", "message_clicked")

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        return base.compact(
            [
                base.require_reference(settings, "message_id", refs.message_channels, _("message")),
                base.require_choice(settings, "activity", ACTIVITIES),
            ]
        )

    def matches(self, settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
        if data.get("message_id") != base.int_setting(settings, "message_id"):
            return False
        if settings.get("activity") == "opened":
            # A click implies an open, as the campaigns app counts them.
            return True
        url = str(settings.get("url") or "")
        return kind == "message_clicked" and (not url or url in str(data.get("url", "")))
