"""Data the canvas page passes to the React app: node types, pickers and translated strings.

Every text the canvas shows comes from here, translated for the request's
language, so the JavaScript bundle contains no translatable text. The side
panel is generated from each node type's settings JSON Schema. The tables
below add what a schema cannot express: which account objects a setting
picks from, a translated label, and when a setting applies.
"""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from automation.models import FlowState, ReentryPolicy
from automation.nodes import REGISTRY, Category
from automation.nodes.base import NEXT, NO, YES
from campaigns import queries as campaign_queries
from contacts import queries as contact_queries
from forms import queries as form_queries
from lists import queries as list_queries
from lists.models import ListKind
from smoove import queries as account_queries
from smoove.models import Account

# Pickers for settings that name an account object, by setting name.
PICKERS = {
    "form_id": "form",
    "list_id": "list",
    "message_id": "message",
    "user_id": "member",
    "field": "field",
}
# Settings shown only for some values of another setting.
SHOWN_WHEN: dict[tuple[str, str], dict[str, list[str]]] = {
    ("wait", "amount"): {"mode": ["duration"]},
    ("wait", "unit"): {"mode": ["duration"]},
    ("wait", "weekdays"): {"mode": ["weekday"]},
    ("wait", "time"): {"mode": ["weekday", "date_field"]},
    ("wait", "field"): {"mode": ["date_field"]},
    ("wait", "offset_days"): {"mode": ["date_field"]},
    ("date_reached", "field"): {"mode": ["field"]},
    ("date_reached", "offset_days"): {"mode": ["field"]},
    ("date_reached", "yearly"): {"mode": ["field"]},
    ("date_reached", "date"): {"mode": ["fixed"]},
    ("date_reached", "audience"): {"mode": ["fixed"]},
    ("email_status", "url"): {"status": ["clicked_link", "not_clicked_link"]},
    ("email_activity", "url"): {"activity": ["clicked"]},
    ("date_status", "days"): {
        "operator": ["more_days_since", "fewer_days_since", "more_days_until", "fewer_days_until"]
    },
    ("date_status", "date"): {"operator": ["before", "after"]},
}
# Settings of a node dropped on the canvas, where the schema's defaults do
# not make a usable start.
NEW_NODE_SETTINGS: dict[str, dict[str, Any]] = {
    "wait": {"mode": "duration", "amount": 1, "unit": "days"},
    "split": {"branches": [{"key": "a", "percent": 50}, {"key": "b", "percent": 50}]},
    "contact_status": {"match": "all", "rules": []},
    "date_reached": {"mode": "field", "time": "09:00", "offset_days": 0},
    "email_status": {"status": "opened"},
    "form_status": {"status": "submitted"},
    "purchase_status": {"status": "not_bought"},
    "email_activity": {"activity": "opened"},
    "list_membership": {"operation": "add"},
    "update_field": {"operation": "set"},
}
# Settings whose field picker offers only date fields.
DATE_FIELDS_ONLY = {("wait", "field"), ("date_reached", "field"), ("date_status", "field")}
# The list picker of list_membership offers static lists only.
STATIC_LISTS_ONLY = {("list_membership", "list_id")}


# A number of each CLDR plural category. The app picks the category of a
# count with Intl.PluralRules and shows the form ngettext gave for its
# sample here.
# NOTE: the samples fit Hebrew and English. A language whose gettext plural
# rule splits a CLDR category (3 and 4 against 5, say) needs more samples.
PLURAL_SAMPLES = {"one": 1, "two": 2, "few": 3, "many": 20, "other": 5}


def plural_forms(translate: Callable[[int], str]) -> dict[str, str]:
    """Return translate's text for each CLDR plural category, "%(count)s" kept unfilled.

    translate is an ngettext call with literal texts, so that makemessages
    finds them.
    """
    return {category: translate(number) for category, number in PLURAL_SAMPLES.items()}


def setting_labels() -> dict[str, str]:
    """Return the translated label of each setting name."""
    return {
        "form_id": _("Form"),
        "list_id": _("List"),
        "message_id": _("Message"),
        "user_id": _("Team member"),
        "field": _("Field"),
        "value": _("Value"),
        "name": _("Event name"),
        "mode": _("Kind"),
        "amount": _("How long"),
        "unit": _("Unit"),
        "weekdays": _("Days of the week"),
        "time": _("Time of day"),
        "offset_days": _("Days after the date (negative: before)"),
        "yearly": _("Every year"),
        "date": _("Date"),
        "audience": _("Contacts"),
        "wake_on": _("End the wait early on an event of kind"),
        "status": _("Status"),
        "url": _("Link (optional part of the address)"),
        "activity": _("Activity"),
        "operator": _("Condition"),
        "days": _("Days"),
        "within_days": _("Within the last number of days (optional)"),
        "product": _("Product ID or name (optional)"),
        "category": _("Product category (optional)"),
        "operation": _("Operation"),
        "note": _("Note to include"),
        "match": _("Match"),
        "rules": _("Rules"),
        "branches": _("Branches"),
    }


def choice_labels() -> dict[str, dict[str, str]]:
    """Return the translated label of each enum value, by setting name."""
    return {
        "status": {
            "sent": _("Was sent"),
            "not_sent": _("Was not sent yet"),
            "opened": pgettext("flow condition", "Opened"),
            "not_opened": pgettext("flow condition", "Did not open"),
            "clicked": _("Clicked a link"),
            "not_clicked": _("Did not click a link"),
            "clicked_link": _("Clicked a specific link"),
            "not_clicked_link": _("Did not click a specific link"),
            "submitted": _("Submitted"),
            "not_submitted": _("Did not submit"),
            "bought": _("Bought"),
            "not_bought": _("Did not buy"),
        },
        "mode": {
            "duration": _("For a duration"),
            "weekday": _("Until a day of the week"),
            "date_field": _("Until a date field"),
            "field": _("A date field of the contact"),
            "fixed": _("A fixed date"),
        },
        "unit": {"minutes": _("Minutes"), "hours": _("Hours"), "days": _("Days")},
        "activity": {
            "opened": pgettext("flow condition", "Opened"),
            "clicked": _("Clicked a link"),
        },
        "operator": {
            "more_days_since": _("More days since the date than"),
            "fewer_days_since": _("Fewer days since the date than"),
            "more_days_until": _("More days until the date than"),
            "fewer_days_until": _("Fewer days until the date than"),
            "before": _("Before the date"),
            "after": _("After the date"),
        },
        "operation": {
            "set": pgettext("field operation", "Set"),
            "clear": pgettext("field operation", "Clear"),
            "add": pgettext("field operation", "Add"),
            "remove": pgettext("field operation", "Remove"),
            "increment": _("Increase by"),
        },
        "match": {"all": _("All rules"), "any": _("Any rule")},
    }


def _widget(type_: str, name: str, schema: dict[str, Any]) -> str:
    """Choose the side panel's input for one setting."""
    if name in PICKERS:
        return PICKERS[name]
    if name in ("rules", "audience"):
        return "rules"
    if name == "branches":
        return "branches"
    if name == "weekdays":
        return "weekdays"
    if "enum" in schema:
        return "enum"
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "boolean" in kinds:
        return "boolean"
    if "integer" in kinds:
        return "number"
    # NOTE: the stores app keeps no product catalogue yet, so a product is
    # typed as an ID or name rather than picked from a list.
    if schema.get("format") == "date":
        return "date"
    if name == "time":
        return "time"
    return "text"


def _fields(type_: str, schema: dict[str, Any]) -> list[dict[str, Any]]:
    labels = setting_labels()
    enum_labels = choice_labels()
    required = set(schema.get("required") or [])
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        widget = _widget(type_, name, prop)
        field: dict[str, Any] = {
            "name": name,
            "widget": widget,
            "label": labels.get(name, name),
            "required": name in required,
            "default": prop.get("default"),
            "shown_when": SHOWN_WHEN.get((type_, name)),
        }
        if widget == "enum":
            values = enum_labels.get(name, {})
            field["options"] = [
                {"value": value, "label": values.get(value, value)} for value in prop["enum"]
            ]
        if widget == "field":
            field["date_only"] = (type_, name) in DATE_FIELDS_ONLY
        if widget == "list":
            field["static_only"] = (type_, name) in STATIC_LISTS_ONLY
        if widget == "number":
            field["minimum"] = prop.get("minimum")
        if widget == "rules":
            # audience is a whole conditions object; rules sits beside "match".
            field["whole_conditions"] = name == "audience"
        fields.append(field)
    return fields


def branch_labels() -> dict[str, str]:
    return {NEXT: _("Next"), YES: _("Yes"), NO: _("No")}


def node_types() -> list[dict[str, Any]]:
    """Return every node type with its translated label, branches and panel fields."""
    found = []
    for kind in REGISTRY.values():
        found.append(
            {
                "type": kind.type,
                "category": kind.category,
                "label": str(kind.label),
                "description": str(kind.description),
                # A split's branches come from its settings.
                "branches": [] if kind.category == Category.SPLIT else kind.branches({}),
                "fields": _fields(kind.type, kind.settings_schema),
                "new_settings": NEW_NODE_SETTINGS.get(kind.type, {}),
            }
        )
    return found


def categories() -> list[dict[str, str]]:
    """Return the palette's groups in order, with translated titles."""
    return [
        {"key": Category.TRIGGER, "label": _("Triggers")},
        {"key": Category.ACTION, "label": _("Actions")},
        {"key": Category.WAIT, "label": pgettext("flow palette", "Waits")},
        {"key": Category.CONDITION, "label": _("Conditions")},
        {"key": Category.SPLIT, "label": pgettext("flow palette", "Splits")},
        {"key": Category.EXIT, "label": pgettext("flow palette", "Ends")},
    ]


def account_choices(account: Account) -> dict[str, list[dict[str, Any]]]:
    """Return the account's lists, forms, messages, fields and team members for the pickers."""
    return {
        "lists": [
            {"id": item.pk, "label": item.name, "static": item.kind == ListKind.STATIC}
            for item in list_queries.lists_of_account(account).order_by("name")
        ],
        "forms": [
            {"id": item.pk, "label": item.name}
            for item in form_queries.forms_of_account(account).order_by("name")
        ],
        "messages": [
            {"id": item.pk, "label": item.name, "channel": item.channel}
            for item in campaign_queries.messages_of_account(account).order_by("name")
        ],
        "fields": [
            {"id": spec.key, "label": str(spec.label), "type": spec.type}
            for spec in contact_queries.field_catalog(account)
        ],
        "members": [
            {"id": member.user_id, "label": member.user.email}
            for member in account_queries.members_of_account(account)
        ],
    }


def counted_strings() -> dict[str, dict[str, str]]:
    """Return the canvas's texts that change with a count, in every plural form."""
    return {
        "minutes": plural_forms(lambda n: ngettext("%(count)s minute", "%(count)s minutes", n)),
        "hours": plural_forms(lambda n: ngettext("%(count)s hour", "%(count)s hours", n)),
        "days": plural_forms(lambda n: ngettext("%(count)s day", "%(count)s days", n)),
        "contacts": plural_forms(lambda n: ngettext("%(count)s contact", "%(count)s contacts", n)),
        "steps_with_problems": plural_forms(
            lambda n: ngettext(
                "%(count)s step has problems, marked in red:",
                "%(count)s steps have problems, marked in red:",
                n,
            )
        ),
    }


def aria_labels() -> dict[str, str]:
    """Return React Flow's accessibility texts (its ariaLabelConfig), translated.

    "%(x)s", "%(y)s" and "%(direction)s" in the moved-step message and
    "%(source)s" and "%(target)s" in the connection label are filled in by
    the app.
    """
    return {
        "node.a11yDescription.default": _(
            "Press Enter or Space to select a step. Press Delete to remove it and Escape to cancel."
        ),
        "node.a11yDescription.keyboardDisabled": _(
            "Press Enter or Space to select a step. Then move it with the arrow keys. "
            "Press Delete to remove it and Escape to cancel."
        ),
        "node.a11yDescription.ariaLiveMessage": _(
            "Moved the selected step %(direction)s. New position: x %(x)s, y %(y)s."
        ),
        "edge.a11yDescription.default": _(
            "Press Enter or Space to select a connection. Then press Delete to remove it "
            "or Escape to cancel."
        ),
        "controls.ariaLabel": _("Zoom controls"),
        "controls.zoomIn.ariaLabel": _("Zoom in"),
        "controls.zoomOut.ariaLabel": _("Zoom out"),
        "controls.fitView.ariaLabel": _("Fit to screen"),
        "controls.interactive.ariaLabel": _("Lock or unlock editing"),
        "minimap.ariaLabel": _("Overview map"),
        "handle.ariaLabel": _("Connection point"),
        "edge": _("Connection from %(source)s to %(target)s"),
        "up": pgettext("moved", "up"),
        "down": pgettext("moved", "down"),
        "left": pgettext("moved", "left"),
        "right": pgettext("moved", "right"),
    }


def strings() -> dict[str, Any]:
    """Return every UI string of the canvas, translated."""
    return {
        "counted": counted_strings(),
        "aria": aria_labels(),
        "branches": branch_labels(),
        "channels": {
            "email": pgettext("channel", "Email"),
            "sms": _("SMS"),
            "whatsapp": _("WhatsApp"),
        },
        "rule_ops": {
            "equals": _("equals"),
            "not_equals": _("does not equal"),
            "contains": _("contains"),
            "not_contains": _("does not contain"),
            "empty": _("is empty"),
            "not_empty": _("is not empty"),
            "gt": _("greater than"),
            "lt": _("less than"),
            "between": _("between"),
            "member": _("is a member of the list"),
            "not_member": _("is not a member of the list"),
        },
        "weekdays": [
            _("Monday"),
            _("Tuesday"),
            _("Wednesday"),
            _("Thursday"),
            _("Friday"),
            _("Saturday"),
            _("Sunday"),
        ],
        "states": {value: str(label) for value, label in FlowState.choices},
        "reentry_choices": [
            {"value": value, "label": str(label)} for value, label in ReentryPolicy.choices
        ],
        "flow_settings": _("Flow settings"),
        "reentry": _("A contact may enter"),
        "reentry_days": _("Days before a contact may enter again"),
        "palette": _("Add a step"),
        "palette_help": _(
            "Drag a step onto the canvas, or click it to add it in the middle, then connect it."
        ),
        "save": _("Save draft"),
        "saving": _("Saving…"),
        "saved": _("Draft saved."),
        "unsaved": _("Unsaved changes"),
        "valid": _("The flow is ready to activate."),
        "activate": _("Activate"),
        "activated": _("The flow is active."),
        "pause": _("Pause"),
        "paused": _("The flow is paused."),
        "resume": _("Resume"),
        "resumed": _("The flow is active again, on its published version."),
        "publish": _("Publish the changes"),
        "unpublished": _(
            "The draft has changes that are not published. Resume runs the published "
            "version; Publish the changes makes the draft a new version."
        ),
        "undo": _("Undo"),
        "redo": _("Redo"),
        "fit_view": _("Fit to screen"),
        "delete": _("Delete"),
        "delete_selected": _("Delete selected"),
        "versions": _("Versions"),
        "back_to_flows": _("All flows"),
        "back_to_draft": _("Back to the draft"),
        "read_only": _("Version %(number)s, read only."),
        "version": _("Version"),
        "no_version": _("Not published yet"),
        "flow_name": _("Flow name"),
        "problems": _("Fix these before activating:"),
        "server_error": _("The server could not be reached. Try again."),
        "settings": _("Step settings"),
        "step_label": _("Caption on the canvas"),
        "close": _("Close"),
        "choose": _("Choose…"),
        "any_form": _("Any form"),
        "entered": _("Entered"),
        "waiting": _("Waiting"),
        "failed": _("Failed"),
        "failed_reasons": _("Why contacts failed at this step"),
        "retry_failed": _("Retry failed steps"),
        "retried": _(
            "The failed steps run again in a moment. Steps that still fail are counted again."
        ),
        "live_counts": _("Live numbers, refreshed every few seconds."),
        "dry_run": _("Dry run"),
        "dry_run_help": _("Pick a contact to see the path it would take now."),
        "dry_run_search": _("Search contacts by name, email or phone"),
        "dry_run_clear": _("Clear the path"),
        "dry_run_empty": _("No contact found."),
        "dry_run_no_path": _("No path: the saved draft has no trigger that leads anywhere."),
        "dry_run_result": _("The highlighted path is what %(contact)s would go through now."),
        "new_message": _("New message"),
        "edit_message": _("Edit message"),
        "message_name": _("Message name"),
        "subject": _("Subject"),
        "body": _("Text"),
        "advertising": _("Advertising (needs the word “פרסומת” and the sender)"),
        "save_message": _("Save message"),
        "cancel": _("Cancel"),
        "add_rule": _("Add a rule"),
        "rule_kind": _("Rule kind"),
        "rules_count": _("Rules: %(count)s"),
        "match_all": _("All rules"),
        "match_any": _("Any rule"),
        "channel": _("Channel"),
        "rich_message": _(
            "This email has more than one content block: edit its content in the message editor."
        ),
        "remove": _("Remove"),
        "rule_field": _("Field"),
        "rule_list": _("List"),
        "rule_value": _("Value"),
        "rule_value2": pgettext("between two values", "and"),
        "add_branch": _("Add a branch"),
        "branch_key": _("Branch name"),
        "percent": _("Percent"),
        "percent_total": _("Total: %(total)s%%"),
        "unconnected": _("Not connected"),
        "empty_canvas": _("Drag a trigger here to start the flow."),
    }
