from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base
from contacts import actions as contact_actions
from contacts.actions import ContactError

OPERATIONS = ("set", "clear", "add", "remove", "increment")


class Node(base.NodeType):
    type = "update_field"
    category = base.Category.ACTION
    label = gettext_lazy("Update a contact field")
    description = gettext_lazy(
        "Set or clear a field, add to or remove from a multiple choice, or increment a number."
    )
    settings_schema = {
        "type": "object",
        "required": ["field", "operation"],
        "properties": {
            "field": {"type": "string", "title": "Field key"},
            "operation": {"enum": list(OPERATIONS)},
            "value": {"title": "Value (set, add, remove) or amount (increment)"},
        },
    }

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        problems: list[str | None] = [
            base.require_field(settings, "field", refs),
            base.require_choice(settings, "operation", OPERATIONS),
        ]
        spec = refs.fields.get(str(settings.get("field")))
        operation = settings.get("operation")
        if spec is not None and operation in ("add", "remove") and spec.type != "multi_choice":
            problems.append(_("“add” and “remove” need a multiple-choice field."))
        if spec is not None and operation == "increment" and spec.type != "number":
            problems.append(_("“increment” needs a number field."))
        if operation in ("set", "add", "remove", "increment") and settings.get("value") in (
            None,
            "",
        ):
            problems.append(base.missing("value"))
        return base.compact(problems)

    def run(self, step: base.Step) -> base.Outcome:
        key = str(step.settings["field"])
        operation = step.settings["operation"]
        value = step.settings.get("value")
        contact = step.contact
        current = (
            getattr(contact, key) if hasattr(contact, key) else (contact.fields or {}).get(key)
        )
        if operation == "clear":
            new: Any = ""
        elif operation == "add":
            items = list(current or [])
            new = items if value in items else [*items, value]
        elif operation == "remove":
            new = [item for item in (current or []) if item != value]
        elif operation == "increment":
            try:
                new = float(current or 0) + float(str(value))
            except (TypeError, ValueError) as exc:
                raise base.StepError(
                    _("The field “%(key)s” does not hold a number.") % {"key": key}
                ) from exc
            new = int(new) if new == int(new) else new
        else:
            new = value
        detail = {"field": key, "operation": operation, "value": new}
        if step.dry_run:
            return base.Outcome(detail=detail)
        try:
            contact_actions.update_contact(step.account, contact, {key: new}, source="automation")
        except ContactError as exc:
            reasons = "; ".join(exc.field_errors.values()) or str(exc)
            raise base.StepError(reasons) from exc
        return base.Outcome(detail=detail)
