from typing import Any

from django.utils.translation import gettext_lazy

from automation import commerce
from automation.nodes import base


class Node(base.NodeType):
    type = "purchase_made"
    category = base.Category.TRIGGER
    label = gettext_lazy("Purchase made")
    description = gettext_lazy("Any purchase, or one that includes a product or a category.")
    settings_schema = {
        "type": "object",
        "properties": {
            "product": {"type": "string", "title": "Product ID or name (optional)"},
            "category": {"type": "string", "title": "Category (optional)"},
        },
    }
    event_kinds = (commerce.PURCHASE, commerce.CUSTOM)

    def matches(self, settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
        payload = commerce.commerce_payload(kind, data, commerce.PURCHASE)
        if payload is None:
            return False
        return commerce.has_product(
            payload, str(settings.get("product") or ""), str(settings.get("category") or "")
        )
