"""Forms of the list screens: a list's settings and the dynamic list condition builder.

The builder is a formset of RuleForm rows. Each row's inputs depend on what
the row is about: the operators and the value input fit the chosen field's
type, so a row re-renders when its rule type or field changes.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contacts.actions import EventKind
from contacts.fields import FieldSpec
from contacts.forms import ActionForm
from contacts.models import FieldType, Gender
from lists.conditions import MAX_RULES
from lists.models import ContactList

RULES_PREFIX = "rules"
EMPTY_CHOICE = ("", "—")


class StaticListForm(ActionForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    is_public = forms.BooleanField(
        label=_("Public list"),
        required=False,
        help_text=_("A public list is offered on your forms, so visitors can choose to join it."),
    )
    public_description = forms.CharField(
        label=_("Description shown on forms"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Tells visitors what they get by joining, for example a weekly deal."),
    )


class DynamicListForm(ActionForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    match = forms.ChoiceField(
        label=_("Contacts in this list match"),
        choices=[("all", _("all of the rules")), ("any", _("any of the rules"))],
        initial="all",
        widget=forms.RadioSelect,
    )


# Rule types and operators. Operator names are those of lists.conditions,
# and each field type offers the ones that make sense for it, worded for it.

RULE_TYPES = [
    ("field", _("A field")),
    ("list", _("Membership of a list")),
    ("event", _("Something that happened")),
]
EMPTY_OPERATORS = [("empty", _("is empty")), ("not_empty", _("is not empty"))]
FIELD_OPERATORS: dict[str, list[tuple[str, Any]]] = {
    FieldType.TEXT: [
        ("equals", _("is")),
        ("not_equals", _("is not")),
        ("contains", _("contains")),
        ("not_contains", _("does not contain")),
        *EMPTY_OPERATORS,
    ],
    FieldType.NUMBER: [
        ("equals", _("equals")),
        ("not_equals", _("does not equal")),
        ("gt", _("is more than")),
        ("lt", _("is less than")),
        ("between", _("is between")),
        *EMPTY_OPERATORS,
    ],
    FieldType.DATE: [
        ("equals", _("is on")),
        ("gt", _("is after")),
        ("lt", _("is before")),
        ("between", _("is between")),
        *EMPTY_OPERATORS,
    ],
    FieldType.BOOLEAN: [
        ("equals", _("is")),
        ("empty", _("is not set")),
        ("not_empty", _("is set")),
    ],
    FieldType.CHOICE: [("equals", _("is")), ("not_equals", _("is not")), *EMPTY_OPERATORS],
    FieldType.MULTI_CHOICE: [
        ("contains", _("includes")),
        ("not_contains", _("does not include")),
        *EMPTY_OPERATORS,
    ],
}
LIST_OPERATORS = [("member", _("is in the list")), ("not_member", _("is not in the list"))]
EVENT_OPERATORS = [("happened", _("happened")), ("not_happened", _("did not happen"))]
VALUELESS_OPERATORS = ("empty", "not_empty")
BOOLEAN_CHOICES = [("true", _("Yes")), ("false", _("No"))]
# Kinds the contacts, forms and campaigns apps record. The builder adds the
# kinds seen in the account.
KNOWN_EVENT_KINDS = (
    EventKind.CREATED,
    EventKind.UPDATED,
    EventKind.LIST_JOINED,
    EventKind.LIST_LEFT,
    EventKind.CONSENT_CHANGED,
    EventKind.SUPPRESSED,
    EventKind.IMPORTED,
    EventKind.CUSTOM,
    "form_submitted",
    "message_opened",
    "message_clicked",
)
ROW_FIELDS = ("type", "field", "op", "value", "value2", "list_id", "kind", "within_days")


@dataclass(frozen=True)
class RuleOptions:
    """The fields, static lists and event kinds that the rows of one builder may refer to."""

    catalog: Sequence[FieldSpec]
    static_lists: Sequence[ContactList]
    # (code, readable name) pairs, offered as suggestions for the event input.
    event_kinds: Sequence[tuple[str, str]]

    def spec(self, key: str) -> FieldSpec | None:
        for spec in self.catalog:
            if spec.key == key:
                return spec
        return None


def _value_field(spec: FieldSpec) -> forms.Field:
    """Return the value input that fits the field's type."""
    if spec.key == "gender":
        return forms.ChoiceField(required=False, choices=[EMPTY_CHOICE, *Gender.choices])
    if spec.type == FieldType.NUMBER:
        return forms.DecimalField(required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    if spec.type == FieldType.DATE:
        return forms.DateField(
            required=False,
            input_formats=["%Y-%m-%d", "%d/%m/%Y"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
    if spec.type == FieldType.BOOLEAN:
        return forms.ChoiceField(required=False, choices=BOOLEAN_CHOICES)
    if spec.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        choices = [(choice, choice) for choice in spec.choices]
        return forms.ChoiceField(required=False, choices=[EMPTY_CHOICE, *choices])
    return forms.CharField(required=False, max_length=200)


def _stored_value(value: Any) -> Any:
    """Turn a cleaned value into the JSON that lists.conditions reads."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value in ("true", "false"):
        return value == "true"
    return value


class RuleForm(forms.Form):
    """One rule of a dynamic list, cleaned to its saved shape in cleaned_data["rule"]."""

    type = forms.ChoiceField(label=_("Rule on"), choices=RULE_TYPES)
    field = forms.ChoiceField(label=_("Field"), required=False)
    op = forms.ChoiceField(label=_("Condition"), required=False)
    value = forms.CharField(label=_("Value"), required=False)
    value2 = forms.CharField(label=_("and"), required=False)
    list_id = forms.ChoiceField(label=_("List"), required=False)
    kind = forms.CharField(
        label=_("Event"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "event-kinds", "dir": "ltr"}),
    )
    within_days = forms.IntegerField(
        label=_("In the last (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Leave empty for any time."),
    )

    def __init__(self, *args: Any, options: RuleOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        # The builder re-renders the rows when one of these changes, because
        # the other inputs of the row depend on them.
        for name in ("type", "field", "op"):
            self.fields[name].widget.attrs["class"] = "refresh"
        self.rule_type = self._current("type") or "field"
        if self.rule_type not in dict(RULE_TYPES):
            self.rule_type = "field"
        self.spec: FieldSpec | None = None

        self._choice_field("field").choices = [
            (spec.key, str(spec.label)) for spec in options.catalog
        ]
        self._choice_field("list_id").choices = [EMPTY_CHOICE] + [
            (str(item.pk), item.name) for item in options.static_lists
        ]
        self.operators: list[tuple[str, Any]] = EVENT_OPERATORS
        if self.rule_type == "field":
            self._configure_field_rule()
        elif self.rule_type == "list":
            self.operators = LIST_OPERATORS
        self._choice_field("op").choices = self.operators
        if not self.is_bound:
            self._drop_initial_that_no_longer_fits()

    def _choice_field(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def _current(self, name: str) -> str:
        """Return the row's current value of an input, submitted or initial."""
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name), "") or "")
        return str(self.initial.get(name, "") or "")

    def _configure_field_rule(self) -> None:
        self.spec = self.options.spec(self._current("field"))
        if self.spec is None and self.options.catalog:
            self.spec = self.options.catalog[0]
            self.initial["field"] = self.spec.key
        if self.spec is None:
            return
        self.operators = FIELD_OPERATORS.get(self.spec.type, FIELD_OPERATORS[FieldType.TEXT])
        for name in ("value", "value2"):
            value_field = _value_field(self.spec)
            value_field.label = self.fields[name].label
            self.fields[name] = value_field

    def _drop_initial_that_no_longer_fits(self) -> None:
        """Reset an operator or value the row's new field or type does not accept.

        The builder re-renders a row unbound after its field changes. A text
        value left in a date input, or an operator the new type lacks, would
        otherwise be shown as if it applied.
        """
        operators = [name for name, _label in self.operators]
        if self.initial.get("op") not in operators:
            self.initial["op"] = operators[0] if operators else ""
        for name in ("value", "value2"):
            try:
                self.fields[name].clean(self.initial.get(name, ""))
            except forms.ValidationError:
                self.initial[name] = ""

    @property
    def needs_value(self) -> bool:
        return self._current("op") not in VALUELESS_OPERATORS

    @property
    def needs_second_value(self) -> bool:
        return self._current("op") == "between"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        if self.rule_type == "field":
            cleaned["rule"] = self._field_rule(cleaned)
        elif self.rule_type == "list":
            cleaned["rule"] = self._list_rule(cleaned)
        else:
            cleaned["rule"] = self._event_rule(cleaned)
        return cleaned

    def _require(self, cleaned: dict[str, Any], name: str, message: str) -> Any:
        value = cleaned.get(name)
        if value in (None, ""):
            self.add_error(name, message)
        return value

    def _field_rule(self, cleaned: dict[str, Any]) -> dict[str, Any] | None:
        key = self._require(cleaned, "field", gettext("Choose a field."))
        op = self._require(cleaned, "op", gettext("Choose a condition."))
        rule: dict[str, Any] = {"type": "field", "field": key, "op": op}
        if op not in VALUELESS_OPERATORS:
            rule["value"] = _stored_value(
                self._require(cleaned, "value", gettext("Enter a value."))
            )
        if op == "between":
            upper = self._require(cleaned, "value2", gettext("Enter the upper value."))
            rule["value2"] = _stored_value(upper)
            lower = cleaned.get("value")
            if lower not in (None, "") and upper not in (None, "") and lower > upper:
                self.add_error(
                    "value2", gettext("The upper value must not be below the lower one.")
                )
        return rule

    def _list_rule(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        list_id = self._require(cleaned, "list_id", gettext("Choose a list."))
        op = self._require(cleaned, "op", gettext("Choose a condition."))
        return {"type": "list", "op": op, "list_id": int(list_id) if list_id else None}

    def _event_rule(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        kind = self._require(cleaned, "kind", gettext("Enter the kind of event."))
        op = self._require(cleaned, "op", gettext("Choose a condition."))
        return {
            "type": "event",
            "op": op,
            "kind": (kind or "").strip(),
            "within_days": cleaned.get("within_days"),
        }


class BaseRuleFormSet(forms.BaseFormSet):
    def conditions(self, match: str) -> dict[str, Any]:
        """Return the conditions in the shape ContactList.conditions stores."""
        return {"match": match, "rules": [form.cleaned_data["rule"] for form in self.forms]}


RuleFormSet = forms.formset_factory(
    RuleForm,
    formset=BaseRuleFormSet,
    extra=0,
    max_num=MAX_RULES,
    absolute_max=MAX_RULES,
    validate_max=True,
)


def rule_formset(
    options: RuleOptions,
    data: Any = None,
    rows: Sequence[dict[str, Any]] = (),
) -> BaseRuleFormSet:
    """Build the builder's formset, bound to submitted data or showing rows."""
    kwargs: dict[str, Any] = {"prefix": RULES_PREFIX, "form_kwargs": {"options": options}}
    if data is not None:
        return cast(BaseRuleFormSet, RuleFormSet(data, **kwargs))
    return cast(BaseRuleFormSet, RuleFormSet(initial=list(rows), **kwargs))


def rows_from_data(data: Any) -> list[dict[str, str]]:
    """Read the rows of a submitted builder without validating them."""
    try:
        total = int(data.get(f"{RULES_PREFIX}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        total = 0
    total = max(0, min(total, MAX_RULES))
    return [
        {name: data.get(f"{RULES_PREFIX}-{index}-{name}", "") for name in ROW_FIELDS}
        for index in range(total)
    ]


def rows_from_conditions(conditions: dict[str, Any]) -> list[dict[str, str]]:
    """Turn saved conditions into builder rows."""
    rows = []
    for rule in (conditions or {}).get("rules") or []:
        row = {name: "" for name in ROW_FIELDS}
        for name in ROW_FIELDS:
            value = rule.get("type" if name == "type" else name)
            if isinstance(value, bool):
                value = "true" if value else "false"
            row[name] = "" if value is None else str(value)
        rows.append(row)
    return rows


def new_row() -> dict[str, str]:
    return {"type": "field"}
