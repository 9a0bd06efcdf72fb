from typing import Any

from django.utils.translation import gettext_lazy

from automation.nodes import base


class Node(base.NodeType):
    type = "contact_updated"
    category = base.Category.TRIGGER
    label = gettext_lazy("Contact updated")
    description = gettext_lazy(
        "Fires when the field changes; with a value, only when it changes to that value."
    )
    settings_schema = {
        "type": "object",
        "required": ["field"],
        "properties": {
            "field": {"type": "string", "title": "Field key"},
            "value": {"title": "New value (optional)"},
        },
    }
    event_kinds = ("contact_updated",)

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        return base.compact([base.require_field(settings, "field", refs)])

    def matches(self, settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
        changes = data.get("changes") or {}
        change = changes.get(settings.get("field"))
        if not isinstance(change, list) or len(change) != 2:
            return False
        wanted = settings.get("value")
        if wanted in (None, ""):
            return True
        new = change[1]
        if isinstance(new, list):
            return wanted in new
        return str(new).casefold() == str(wanted).casefold()
