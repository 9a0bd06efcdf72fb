"""Forms of the import pages: the upload and the column mapping."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts import imports, queries
from contacts.imports import CONSENT_COLUMN, NEW_TEXT_FIELD, SKIP_COLUMN, ColumnPreview
from contacts.models import Channel, ImportJob
from lists import queries as list_queries
from lists.models import ContactList, ListKind
from smoove.models import Account


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "A CSV file (from Excel: “CSV UTF-8” or “CSV (Comma delimited)”) or an Excel "
            "workbook (.xlsx), with the column names in the first row."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )


def column_field_name(index: int) -> str:
    return f"column_{index}"


class MappingForm(forms.Form):
    """One select per file column, the target list and the consent declaration."""

    target_list = forms.TypedChoiceField(
        label=gettext_lazy("Add the contacts to a list"),
        required=False,
        coerce=int,
        empty_value=None,
    )
    new_list_name = forms.CharField(
        label=gettext_lazy("Or add them to a new list named"),
        required=False,
        max_length=200,
    )
    consent_channels = forms.MultipleChoiceField(
        label=gettext_lazy("These contacts agreed to receive messages by"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Leave all unticked if you cannot say they agreed: no consent is recorded then. "
            "Contacts who unsubscribed are never subscribed again by an import."
        ),
    )
    consent_source = forms.CharField(
        label=gettext_lazy("Where and how did they agree?"),
        required=False,
        max_length=500,
        help_text=gettext_lazy(
            "For example: the sign-up form at the shop's counter, March 2024. "
            "It is kept with each contact's consent record."
        ),
    )

    def __init__(
        self,
        account: Account,
        job: ImportJob,
        columns: list[ColumnPreview],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.job = job
        self.columns = columns
        target_choices = _target_choices(account)
        for column in columns:
            self.fields[column_field_name(column.index)] = forms.ChoiceField(
                label=column.header,
                choices=target_choices,
                required=False,
                initial=column.suggestion,
            )
        self.fields["target_list"].choices = [  # type: ignore[attr-defined]
            ("", _("Don't add to a list")),
            *((contact_list.pk, contact_list.name) for contact_list in _static_lists(account)),
        ]

    def column_rows(self) -> list[tuple[ColumnPreview, forms.BoundField]]:
        return [(column, self[column_field_name(column.index)]) for column in self.columns]

    def mapping(self) -> dict[int, str]:
        return {
            column.index: self.cleaned_data.get(column_field_name(column.index)) or SKIP_COLUMN
            for column in self.columns
        }

    def selected_list(self) -> ContactList | None:
        pk = self.cleaned_data.get("target_list")
        if pk is None:
            return None
        return list_queries.get_list_for_account(self.account, pk)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["new_list_name"] = (cleaned.get("new_list_name") or "").strip()
        if cleaned.get("target_list") and cleaned["new_list_name"]:
            self.add_error(
                "new_list_name", _("Choose an existing list or name a new one, not both.")
            )
        if self.errors:
            return cleaned
        problems = imports.validate_mapping(
            self.account,
            self.job,
            self.mapping(),
            consent_channels=cleaned.get("consent_channels") or [],
            consent_source=cleaned.get("consent_source") or "",
        )
        for name, message in problems.items():
            self.add_error(None if name == "__all__" else name, message)
        return cleaned


def _static_lists(account: Account) -> list[ContactList]:
    return list(list_queries.lists_of_account(account).filter(kind=ListKind.STATIC))


def _target_choices(account: Account) -> list[Any]:
    system: list[tuple[str, str]] = []
    custom: list[tuple[str, str]] = []
    for spec in queries.field_catalog(account):
        (custom if spec.is_custom else system).append((spec.key, str(spec.label)))
    choices: list[Any] = [(SKIP_COLUMN, _("Don't import"))]
    choices.append((_("Contact fields"), system))
    if custom:
        choices.append((_("Custom fields"), custom))
    choices.append(
        (
            _("Other"),
            [
                (NEW_TEXT_FIELD, _("Create a new text field named as the column")),
                (CONSENT_COLUMN, _("Agreed to receive marketing (yes / no)")),
            ],
        )
    )
    return choices
