import datetime
from typing import Any

from django.utils.translation import gettext_lazy

from automation import commerce, queries
from automation.nodes import base

STATUSES = ("bought", "not_bought")


class Node(base.NodeType):
    """Purchase status: did the contact buy product X (or anything), optionally lately."""

    type = "purchase_status"
    category = base.Category.CONDITION
    label = gettext_lazy("Purchase status")
    settings_schema = {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"enum": list(STATUSES)},
            "product": {"type": "string", "title": "Product ID or name (empty: any)"},
            "category": {"type": "string", "title": "Category (optional)"},
            "within_days": {"type": ["integer", "null"], "minimum": 1},
        },
    }

    def branches(self, settings: dict[str, Any]) -> list[str]:
        return [base.YES, base.NO]

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        return base.compact(
            [
                base.require_choice(settings, "status", STATUSES),
                base.require_int(settings, "within_days", minimum=1, optional=True),
            ]
        )

    def run(self, step: base.Step) -> base.Outcome:
        days = base.int_setting(step.settings, "within_days")
        since = step.now - datetime.timedelta(days=days) if days else None
        product = str(step.settings.get("product") or "")
        category = str(step.settings.get("category") or "")
        bought = any(
            commerce.has_product(payload, product, category)
            for payload in queries.purchases_of_contact(step.contact, since=since)
        )
        holds = bought == (step.settings["status"] == "bought")
        return base.Outcome(branch=base.YES if holds else base.NO)
