from typing import Any

from django.utils.translation import gettext_lazy

from automation.nodes import base


class Node(base.NodeType):
    type = "contact_created"
    category = base.Category.TRIGGER
    label = gettext_lazy("Contact created")
    event_kinds = ("contact_created",)

    def matches(self, settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
        return True
