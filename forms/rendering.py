"""The visitor's view of a form: inputs built from its definition, and the embed snippets."""

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from contacts.fields import FieldSpec
from contacts.models import Channel, FieldType, Gender
from forms import intake
from forms.models import Form, FormField, LandingPage
from forms.queries import FormDefinition

# Input type by system field key, where the field type alone is too vague.
SYSTEM_INPUT_TYPES = {"email": "email", "mobile": "tel", "phone": "tel"}
INPUT_TYPES = {
    FieldType.TEXT: "text",
    FieldType.NUMBER: "number",
    FieldType.DATE: "date",
    FieldType.BOOLEAN: "checkbox",
    FieldType.CHOICE: "select",
    FieldType.MULTI_CHOICE: "checkboxes",
}


def input_type(spec: FieldSpec) -> str:
    if not spec.is_custom and spec.key in SYSTEM_INPUT_TYPES:
        return SYSTEM_INPUT_TYPES[spec.key]
    return INPUT_TYPES.get(FieldType(spec.type), "text")


@dataclass
class Input:
    """One visible input, ready for the template."""

    name: str
    label: str
    type: str
    required: bool
    placeholder: str = ""
    value: Any = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""

    @property
    def is_left_to_right(self) -> bool:
        """Return whether the value is written left to right (addresses, numbers)."""
        return self.type in ("email", "tel", "number", "date")


def _choices(spec: FieldSpec) -> list[tuple[str, str]]:
    if not spec.is_custom and spec.key == "gender":
        return [(str(value), str(label)) for value, label in Gender.choices]
    return [(choice, choice) for choice in spec.choices]


def build_inputs(
    definition: FormDefinition, values: dict[str, Any], errors: dict[str, str]
) -> list[Input]:
    inputs = []
    for form_field, spec in definition.visible:
        inputs.append(_input(form_field, spec, values, errors))
    return inputs


def _input(
    form_field: FormField, spec: FieldSpec, values: dict[str, Any], errors: dict[str, str]
) -> Input:
    return Input(
        name=form_field.field_key,
        label=form_field.label or str(spec.label),
        type=input_type(spec),
        required=form_field.required,
        placeholder=form_field.placeholder,
        value=values.get(form_field.field_key, [] if spec.type == FieldType.MULTI_CHOICE else ""),
        choices=_choices(spec),
        error=errors.get(form_field.field_key, ""),
    )


@dataclass
class ConsentInput:
    name: str
    channel_label: str
    wording: str
    required: bool
    checked: bool
    error: str


@dataclass
class RenderedForm:
    """A form with the values and errors of a try, and where it posts."""

    form: Form
    inputs: list[Input]
    lists: list[tuple[Any, bool]]
    consents: list[ConsentInput]
    action: str
    nonce: str
    page: LandingPage | None = None
    slot: str = ""
    mode: str = "page"
    message: str = ""
    # Set once the form was sent: the thank-you title shown in its place.
    done: bool = False
    done_title: str = ""
    constants: dict[str, str] = field(
        default_factory=lambda: {
            "lists": intake.LISTS_INPUT,
            "nonce": intake.NONCE_INPUT,
            "page": intake.PAGE_INPUT,
            "slot": intake.SLOT_INPUT,
            "honeypot": intake.HONEYPOT_INPUT,
            "mode": MODE_INPUT,
        }
    )

    @property
    def submit_label(self) -> str:
        return self.form.submit_label or _("Send")


MODE_INPUT = "_mode"


def render_form(
    definition: FormDefinition,
    *,
    query: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    chosen_list_ids: list[int] | None = None,
    ticked_channels: list[str] | None = None,
    page: LandingPage | None = None,
    slot: str = "",
    mode: str = "page",
    nonce: str | None = None,
    absolute: bool = False,
) -> RenderedForm:
    """Prepare a form for a template; the action keeps the page's query string."""
    values = values or {}
    errors = errors or {}
    chosen = set(chosen_list_ids or [])
    ticked = set(ticked_channels or [])

    # Inside an iframe the form posts back to the frameable address, so the
    # response (errors or thanks) may show in the frame too.
    target = "public_forms:embed" if mode == "embed" else "public_forms:form"
    action = reverse(target, args=[definition.form.public_token])
    if absolute:
        action = settings.SITE_URL + action
    if query:
        action += "?" + urlencode(query)

    consents = [
        ConsentInput(
            name=intake.CONSENT_INPUT_PREFIX + consent.channel,
            channel_label=str(Channel(consent.channel).label),
            wording=consent.wording,
            required=consent.required,
            checked=consent.channel in ticked,
            error=errors.get(intake.CONSENT_INPUT_PREFIX + consent.channel, ""),
        )
        for consent in definition.consents
    ]
    return RenderedForm(
        form=definition.form,
        inputs=build_inputs(definition, values, errors),
        lists=[
            (contact_list, contact_list.pk in chosen) for contact_list in definition.offered_lists
        ],
        consents=consents,
        action=action,
        nonce=secrets.token_urlsafe(12) if nonce is None else nonce,
        page=page,
        slot=slot,
        mode=mode,
    )


def embed_snippet(definition: FormDefinition) -> str:
    """Return the HTML form a marketer pastes into another site; it posts cross-origin."""
    rendered = render_form(definition, mode="snippet", nonce="", absolute=True)
    token = definition.form.public_token
    return render_to_string(
        "forms/embed_snippet.html",
        {
            "rendered": rendered,
            "pixel_url": settings.SITE_URL + reverse("public_forms:view_pixel", args=[token]),
        },
    ).strip()


def iframe_snippet(form: Form) -> str:
    url = settings.SITE_URL + reverse("public_forms:embed", args=[form.public_token])
    return render_to_string("forms/iframe_snippet.html", {"url": url, "form": form}).strip()


def public_url(form: Form) -> str:
    return settings.SITE_URL + reverse("public_forms:form", args=[form.public_token])


def page_url(page: LandingPage) -> str:
    return settings.SITE_URL + reverse("public_forms:page", args=[page.public_token])
