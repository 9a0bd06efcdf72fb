from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base
from lists import actions as list_actions
from lists import queries as list_queries

OPERATIONS = ("add", "remove")


class Node(base.NodeType):
    type = "list_membership"
    category = base.Category.ACTION
    label = gettext_lazy("Add to or remove from a list")
    settings_schema = {
        "type": "object",
        "required": ["list_id", "operation"],
        "properties": {
            "list_id": {"type": "integer", "title": "Static list"},
            "operation": {"enum": list(OPERATIONS)},
        },
    }

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        return base.compact(
            [
                base.require_reference(settings, "list_id", refs.static_list_ids, _("static list")),
                base.require_choice(settings, "operation", OPERATIONS),
            ]
        )

    def run(self, step: base.Step) -> base.Outcome:
        list_id = base.int_setting(step.settings, "list_id") or 0
        operation = step.settings["operation"]
        detail = {"list_id": list_id, "operation": operation}
        if step.dry_run:
            return base.Outcome(detail=detail)
        try:
            contact_list = list_queries.get_list_for_account(step.account, list_id)
        except Exception as exc:  # Http404 from the access function
            raise base.StepError(_("The list %(id)d no longer exists.") % {"id": list_id}) from exc
        change = list_actions.add_contacts if operation == "add" else list_actions.remove_contacts
        change(step.account, contact_list, [step.contact], source="automation")
        return base.Outcome(detail=detail)
