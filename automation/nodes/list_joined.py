from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base


class Node(base.NodeType):
    type = "list_joined"
    category = base.Category.TRIGGER
    label = gettext_lazy("Contact joined a list")
    settings_schema = {
        "type": "object",
        "required": ["list_id"],
        "properties": {"list_id": {"type": "integer", "title": "List"}},
    }
    event_kinds = ("list_joined",)

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        return base.compact([base.require_reference(settings, "list_id", refs.list_ids, _("list"))])

    def matches(self, settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
        return data.get("list_id") == base.int_setting(settings, "list_id")
