from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base


class Node(base.NodeType):
    type = "form_submitted"
    category = base.Category.TRIGGER
    label = gettext_lazy("Form submitted")
    description = gettext_lazy("Leave the form empty to fire on any form of the account.")
    settings_schema = {
        "type": "object",
        "properties": {"form_id": {"type": ["integer", "null"], "title": "Form"}},
    }
    event_kinds = ("form_submitted",)

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        if settings.get("form_id") in (None, ""):
            return []
        return base.compact([base.require_reference(settings, "form_id", refs.form_ids, _("form"))])

    def matches(self, settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
        form_id = base.int_setting(settings, "form_id")
        return form_id is None or data.get("form_id") == form_id
