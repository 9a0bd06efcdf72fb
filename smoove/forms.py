"""Forms of sign-up, invitations, account settings and API keys."""

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from smoove.models import Account, IdentifierPolicy


class SignUpForm(forms.Form):
    business_name = forms.CharField(label=_("Business name"), max_length=200)
    full_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email address"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True})
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the new member"))


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


def time_zone_choices() -> list[tuple[str, str]]:
    """Return Israel's zone first, then the regional zones (no legacy aliases)."""
    regional = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    )
    regional.remove("Asia/Jerusalem")
    return [(name, name) for name in ["Asia/Jerusalem", "UTC", *regional]]


class AccountSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = Account
        fields = (
            "name",
            "default_sender_name",
            # The default address is chosen among verified senders on the
            # senders page, so it is not typed here.
            "time_zone",
            "language",
            "identifier_policy",
            "external_id_label",
        )
        help_texts = {
            "identifier_policy": _(
                "The field that makes a contact unique. With an external ID, two contacts may share an email address."
            ),
            "external_id_label": _(
                "What the external ID is called in your business, for example ID number."
            ),
            "language": _("The language of emails the product writes for this account."),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("identifier_policy") == IdentifierPolicy.EXTERNAL_ID and not cleaned.get(
            "external_id_label"
        ):
            cleaned["external_id_label"] = str(_("External ID"))
        return cleaned


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Key name"), max_length=100, initial="CRM")
