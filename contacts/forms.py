"""Forms of the contact card and the custom field screens.

The contact form has no fixed fields: it is built from the account's field
catalogue, with the input that fits each field type. Values are checked and
normalised by contacts.actions, whose field errors the views attach here.
"""

import datetime
import re
from collections.abc import Sequence
from typing import Any

import phonenumbers
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contacts.actions import IDENTITY_FIELD
from contacts.fields import TEXT_LIMITS, FieldSpec
from contacts.models import Contact, FieldType, Gender
from smoove.models import Account, IdentifierPolicy

CUSTOM_TEXT_LIMIT = 2000
EMPTY_CHOICE = ("", "—")


def readable_phone(e164: str) -> str:
    """Format a stored E.164 number the way people write it (050-123-4567)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 972
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def field_label(spec: FieldSpec, account: Account) -> str:
    """Return the label of a field, with the account's own name for the external ID."""
    if spec.key == "external_id" and account.external_id_label:
        return account.external_id_label
    return str(spec.label)


def _choices_with_stored(choices: Sequence[str], stored: Any) -> list[tuple[str, str]]:
    """Offer the field's choices, plus stored values that are no longer among them.

    A choice removed from a field stays on the contacts that have it, so
    the form shows it rather than silently dropping it on the next save.
    """
    options = [(choice, choice) for choice in choices]
    stored_items = stored if isinstance(stored, list) else [stored]
    for item in stored_items:
        if item not in (None, "") and item not in choices:
            label = gettext("%(value)s (no longer a choice)") % {"value": item}
            options.append((str(item), label))
    return options


def _form_field(spec: FieldSpec, label: str, stored: Any) -> forms.Field:
    """Build the input that fits the field's type."""
    if spec.key == "email":
        return forms.CharField(
            label=label,
            required=False,
            max_length=254,
            widget=forms.EmailInput(attrs={"dir": "ltr", "autocomplete": "off"}),
        )
    if spec.key in ("mobile", "phone"):
        return forms.CharField(
            label=label,
            required=False,
            max_length=32,
            widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr", "autocomplete": "off"}),
            help_text=_(
                "Write Israeli numbers as usual (050-123-4567), and numbers abroad with "
                "their country code (+44…)."
            ),
        )
    if spec.key == "gender":
        return forms.ChoiceField(
            label=label, required=False, choices=[EMPTY_CHOICE, *Gender.choices]
        )
    if spec.type == FieldType.DATE:
        return forms.DateField(
            label=label,
            required=False,
            input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
    if spec.type == FieldType.NUMBER:
        return forms.DecimalField(
            label=label, required=False, widget=forms.NumberInput(attrs={"step": "any"})
        )
    if spec.type == FieldType.BOOLEAN:
        return forms.NullBooleanField(label=label, required=False)
    if spec.type == FieldType.CHOICE:
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[EMPTY_CHOICE, *_choices_with_stored(spec.choices, stored)],
        )
    if spec.type == FieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=_choices_with_stored(spec.choices, stored),
            widget=forms.CheckboxSelectMultiple,
        )
    limit = TEXT_LIMITS.get(spec.key, CUSTOM_TEXT_LIMIT)
    return forms.CharField(label=label, required=False, max_length=limit)


def _initial_value(spec: FieldSpec, stored: Any) -> Any:
    """Turn a stored value into what its input shows."""
    if spec.key in ("mobile", "phone"):
        return readable_phone(stored)
    if spec.is_custom and spec.type == FieldType.DATE and isinstance(stored, str):
        try:
            return datetime.date.fromisoformat(stored)
        except ValueError:
            return stored
    return stored


class ActionForm(forms.Form):
    """A form whose values an action checks again, raising errors by field key."""

    def add_action_errors(self, message: str, field_errors: dict[str, str]) -> None:
        """Show an action's errors beside their fields, the rest above the form."""
        for key, text in field_errors.items():
            self.add_error(key if key in self.fields else None, text)
        if not field_errors:
            self.add_error(None, message)


class ContactForm(ActionForm):
    """A form with every field of the catalogue, where the identifying field is required."""

    def __init__(
        self,
        *args: Any,
        account: Account,
        catalog: Sequence[FieldSpec],
        contact: Contact | None = None,
        **kwargs: Any,
    ) -> None:
        stored: dict[str, Any] = {}
        if contact is not None:
            for spec in catalog:
                if spec.is_custom:
                    stored[spec.key] = (contact.fields or {}).get(spec.key)
                else:
                    stored[spec.key] = getattr(contact, spec.key)
        kwargs["initial"] = {
            spec.key: _initial_value(spec, stored.get(spec.key)) for spec in catalog
        }
        super().__init__(*args, **kwargs)

        identity_key = IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]
        for spec in catalog:
            label = field_label(spec, account)
            field = _form_field(spec, label, stored.get(spec.key))
            if spec.key == identity_key:
                field.required = True
                field.error_messages["required"] = gettext(
                    "Enter %(field)s: it identifies contacts in this account."
                ) % {"field": label}
            self.fields[spec.key] = field

    def filled_values(self) -> dict[str, Any]:
        """Return the cleaned values that are not empty, for a new contact."""
        return {
            key: value for key, value in self.cleaned_data.items() if value not in (None, "", [])
        }

    def changed_values(self) -> dict[str, Any]:
        """Return the cleaned values the person changed, cleared ones included.

        Only changed values go to update_contact, so a value that no longer
        passes the field's rules (a removed choice) does not block saving
        the others.
        """
        return {key: self.cleaned_data[key] for key in self.changed_data}


# Keys become merge tags and API names, so they stay plain ASCII.
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
CHOICE_TYPES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)


def _split_choices(text: str) -> list[str]:
    """Return the non-empty lines of text, each trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class ChoicesField(forms.CharField):
    """A textarea with one choice per line, cleaned to a list without repeats."""

    widget = forms.Textarea(attrs={"rows": 5})

    def clean(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().clean(value)
        choices = _split_choices(text)
        seen: set[str] = set()
        for choice in choices:
            folded = choice.casefold()
            if folded in seen:
                raise forms.ValidationError(
                    gettext("The choice “%(choice)s” is listed twice.") % {"choice": choice}
                )
            seen.add(folded)
            if len(choice) > 200:
                raise forms.ValidationError(
                    gettext("The choice “%(choice)s” is longer than 200 characters.")
                    % {"choice": choice[:30] + "…"}
                )
        return choices


class CustomFieldForm(ActionForm):
    label = forms.CharField(label=_("Name"), max_length=100)
    type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    choices = ChoicesField(
        label=_("Choices"),
        required=False,
        help_text=_("For a single or multiple choice field: one choice per line."),
    )
    key = forms.CharField(
        label=_("Key"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
        help_text=_(
            "The name of the field in merge tags, imports and the API: lowercase English "
            "letters, digits and underscores. Left empty, it is made from an English name, "
            "or numbered for a Hebrew one."
        ),
    )

    def clean_key(self) -> str:
        key = self.cleaned_data["key"].strip()
        if key and not KEY_PATTERN.match(key):
            raise forms.ValidationError(
                gettext(
                    "“%(key)s” is not a valid key: use lowercase English letters, digits and "
                    "underscores, starting with a letter."
                )
                % {"key": key}
            )
        return key

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("type") in CHOICE_TYPES:
            if not cleaned.get("choices") and "choices" not in self.errors:
                self.add_error("choices", gettext("Add at least one choice, one per line."))
        else:
            cleaned["choices"] = []
        return cleaned


class CustomFieldEditForm(ActionForm):
    """The edit form of a field: its name and, for choice fields, its choices.

    The type and key cannot change, so stored values keep their meaning.
    """

    label = forms.CharField(label=_("Name"), max_length=100)
    choices = ChoicesField(
        label=_("Choices"),
        required=False,
        help_text=_(
            "One choice per line. Contacts keep a removed choice until their value is changed."
        ),
    )

    def __init__(self, *args: Any, field_type: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field_type = field_type
        if field_type not in CHOICE_TYPES:
            del self.fields["choices"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.field_type in CHOICE_TYPES and "choices" not in self.errors:
            if not cleaned.get("choices"):
                self.add_error("choices", gettext("Add at least one choice, one per line."))
        return cleaned
