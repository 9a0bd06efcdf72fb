from typing import Any

from django.utils.translation import gettext_lazy

from automation import commerce
from automation.nodes import base


class Node(base.NodeType):
    type = "cart_abandoned"
    category = base.Category.TRIGGER
    label = gettext_lazy("Cart abandoned")
    event_kinds = (commerce.CART_ABANDONED, commerce.CUSTOM)

    def matches(self, settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
        return commerce.commerce_payload(kind, data, commerce.CART_ABANDONED) is not None
