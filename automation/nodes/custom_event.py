from typing import Any

from django.utils.translation import gettext_lazy

from automation.nodes import base


class Node(base.NodeType):
    type = "custom_event"
    category = base.Category.TRIGGER
    label = gettext_lazy("Custom event")
    description = gettext_lazy("An event posted to /api/v1/events/ with this name.")
    settings_schema = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "title": "Event name"}},
    }
    event_kinds = ("custom",)

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        return [] if str(settings.get("name") or "").strip() else [base.missing("name")]

    def matches(self, settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
        return data.get("name") == settings.get("name")
