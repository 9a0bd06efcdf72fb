"""Changes to forms and landing pages: fields, hidden values, lists, consent, publishing.

Taking submissions lives in forms.intake.
"""

import re
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import queries as contact_queries
from contacts.actions import IDENTITY_FIELD
from contacts.models import Channel
from forms.models import (
    AfterSubmit,
    Form,
    FormConsent,
    FormField,
    FormList,
    FormListRole,
    FormStatus,
    LandingPage,
    Placement,
    Slot,
)
from lists import queries as list_queries
from lists.models import ListKind
from smoove.models import Account, IdentifierPolicy

QUERY_PARAM = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Largest landing-page image accepted; a hero photo compressed for the web
# is well under this.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
# Leading bytes of the image formats browsers show, to the media type.
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class FormError(Exception):
    """A form or page change that cannot be applied; field_errors maps field name to message."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


def _fail(field_name: str, message: str) -> FormError:
    return FormError(message, {field_name: message})


def _max_length(model: type[models.Model], name: str) -> int:
    """Return a text column's max_length, or 0 for a column without one."""
    return int(getattr(model._meta.get_field(name), "max_length", 0) or 0)


def identity_key(account: Account) -> str:
    return IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]


def _touch(form: Form) -> None:
    form.updated_at = timezone.now()
    form.save(update_fields=["updated_at"])


# Forms.


@transaction.atomic
def create_form(account: Account, *, name: str) -> Form:
    """Create a draft form asking for the identifying field and the first name."""
    name = name.strip()
    if not name:
        raise _fail("name", _("Give the form a name."))
    form = Form.objects.create(account=account, name=name[:200])
    add_field(account, form, identity_key(account), required=True)
    if identity_key(account) != "first_name":
        add_field(account, form, "first_name")
    return form


FORM_TEXT_SETTINGS = (
    "name",
    "title",
    "description",
    "submit_label",
    "lists_intro",
    "thank_you_title",
    "thank_you_text",
    "redirect_url",
    "confirmation_subject",
    "confirmation_text",
)


def update_form(account: Account, form: Form, changes: dict[str, Any]) -> Form:
    """Change a form's texts, after-submit behaviour and double opt-in; raise FormError."""
    for name in FORM_TEXT_SETTINGS:
        if name in changes:
            limit = _max_length(Form, name)
            value = str(changes[name] or "").strip()
            if limit and len(value) > limit:
                raise _fail(
                    name, _("The value is longer than %(max)d characters.") % {"max": limit}
                )
            setattr(form, name, value)
    if "after_submit" in changes:
        if changes["after_submit"] not in AfterSubmit.values:
            raise _fail("after_submit", _("Choose what happens after submission."))
        form.after_submit = changes["after_submit"]
    if "double_opt_in" in changes:
        form.double_opt_in = bool(changes["double_opt_in"])

    if not form.name:
        raise _fail("name", _("Give the form a name."))
    if form.redirect_url and not re.match(r"^https?://", form.redirect_url, re.IGNORECASE):
        raise _fail("redirect_url", _("Enter an address starting with https:// or http://."))
    if form.after_submit == AfterSubmit.REDIRECT and not form.redirect_url:
        raise _fail("redirect_url", _("Enter the address to redirect visitors to."))
    if form.double_opt_in:
        _check_double_opt_in(form)
    form.updated_at = timezone.now()
    form.save(update_fields=[*FORM_TEXT_SETTINGS, "after_submit", "double_opt_in", "updated_at"])
    return form


def _check_double_opt_in(form: Form) -> None:
    has_email = FormField.objects.filter(
        account_id=form.account_id, form=form, field_key="email", is_hidden=False, required=True
    ).exists()
    if not has_email:
        raise _fail(
            "double_opt_in",
            _(
                "Double opt-in sends a confirmation link by email: add a required email field first."
            ),
        )


def publish_form(account: Account, form: Form) -> Form:
    """Publish the form; raise FormError when it cannot identify a contact."""
    key = identity_key(account)
    ready = FormField.objects.filter(
        account_id=account.pk, form=form, field_key=key, is_hidden=False, required=True
    ).exists()
    if not ready:
        label = next(
            (spec.label for spec in contact_queries.field_catalog(account) if spec.key == key), key
        )
        raise _fail(
            "fields",
            _("Add “%(field)s” as a required field: it identifies contacts in this account.")
            % {"field": label},
        )
    if form.double_opt_in:
        _check_double_opt_in(form)
    form.status = FormStatus.PUBLISHED
    form.updated_at = timezone.now()
    form.save(update_fields=["status", "updated_at"])
    return form


def unpublish_form(account: Account, form: Form) -> Form:
    form.status = FormStatus.DRAFT
    form.updated_at = timezone.now()
    form.save(update_fields=["status", "updated_at"])
    return form


def delete_form(account: Account, form: Form) -> None:
    Form.objects.filter(account=account, pk=form.pk).delete()


# Fields.


def add_field(
    account: Account,
    form: Form,
    field_key: str,
    *,
    is_hidden: bool = False,
    label: str = "",
    placeholder: str = "",
    required: bool = False,
    fixed_value: str = "",
    query_param: str = "",
) -> FormField:
    """Add a contact field to the form, visible or hidden, at the end."""
    spec = contact_queries.field_spec(account, field_key)
    if spec is None or field_key.startswith("_"):
        raise _fail("field_key", _("There is no contact field “%(key)s”.") % {"key": field_key})
    if FormField.objects.filter(account_id=account.pk, form=form, field_key=field_key).exists():
        raise _fail(
            "field_key",
            _("“%(field)s” is already on this form.") % {"field": spec.label},
        )
    form_field = FormField(
        account=account,
        form=form,
        field_key=field_key,
        is_hidden=is_hidden,
        label=str(label or "").strip() or ("" if is_hidden else str(spec.label)),
    )
    _apply_field_changes(
        form_field,
        {
            "placeholder": placeholder,
            "required": required,
            "fixed_value": fixed_value,
            "query_param": query_param,
        },
    )
    last = FormField.objects.filter(form=form).aggregate(last=Max("position"))["last"]
    form_field.position = 0 if last is None else last + 1
    form_field.save()
    _touch(form)
    return form_field


def _apply_field_changes(form_field: FormField, changes: dict[str, Any]) -> None:
    for name in ("label", "placeholder", "fixed_value"):
        if name in changes:
            value = str(changes[name] or "").strip()
            limit = _max_length(FormField, name)
            if len(value) > limit:
                raise _fail(
                    name, _("The value is longer than %(max)d characters.") % {"max": limit}
                )
            setattr(form_field, name, value)
    if "required" in changes:
        form_field.required = bool(changes["required"]) and not form_field.is_hidden
    if "query_param" in changes:
        param = str(changes["query_param"] or "").strip()
        if param and not QUERY_PARAM.match(param):
            raise _fail(
                "query_param",
                _("Use letters, digits, dots, dashes and underscores only, as in utm_source."),
            )
        form_field.query_param = param if form_field.is_hidden else ""
    if form_field.is_hidden and not (form_field.fixed_value or form_field.query_param):
        raise _fail(
            "fixed_value",
            _("Give the hidden field a fixed value, a query parameter, or both."),
        )


def update_field(account: Account, form_field: FormField, changes: dict[str, Any]) -> FormField:
    _apply_field_changes(form_field, changes)
    form_field.save(
        update_fields=["label", "placeholder", "required", "fixed_value", "query_param"]
    )
    _touch(form_field.form)
    return form_field


@transaction.atomic
def move_field(account: Account, form_field: FormField, offset: int) -> None:
    """Move a field up (-1) or down (+1) among the form's fields of the same kind."""
    siblings = list(
        FormField.objects.select_for_update()
        .filter(account_id=account.pk, form_id=form_field.form_id, is_hidden=form_field.is_hidden)
        .order_by("position", "id")
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == form_field.pk)
    target = index + offset
    if not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    _touch(form_field.form)


def remove_field(account: Account, form_field: FormField) -> None:
    form = form_field.form
    if (
        form.is_published
        and not form_field.is_hidden
        and form_field.field_key == identity_key(account)
    ):
        raise _fail(
            "fields",
            _(
                "This field identifies contacts, so a published form needs it. Unpublish the form first."
            ),
        )
    FormField.objects.filter(account_id=account.pk, pk=form_field.pk).delete()
    _touch(form)


@transaction.atomic
def replace_fields(
    account: Account,
    form: Form,
    *,
    visible: Sequence[dict[str, Any]] | None = None,
    hidden: Sequence[dict[str, Any]] | None = None,
) -> None:
    """Replace the form's visible fields, hidden fields, or both, in the order given.

    Each item carries field_key and the settings add_field takes. Raises
    FormError naming the first invalid item; nothing changes then.
    """
    for is_hidden, items in ((False, visible), (True, hidden)):
        if items is None:
            continue
        FormField.objects.filter(account_id=account.pk, form=form, is_hidden=is_hidden).delete()
        for index, item in enumerate(items):
            settings = {key: value for key, value in item.items() if key != "field_key"}
            try:
                add_field(
                    account, form, str(item.get("field_key", "")), is_hidden=is_hidden, **settings
                )
            except FormError as exc:
                group = "hidden_fields" if is_hidden else "fields"
                raise FormError(str(exc), {f"{group}[{index}]": str(exc)}) from exc


# Lists and consent.


@transaction.atomic
def set_lists(
    account: Account, form: Form, *, offered_ids: Sequence[int], target_ids: Sequence[int]
) -> None:
    """Replace the public lists offered as choices and the lists every submission joins."""
    static = {
        contact_list.pk: contact_list
        for contact_list in list_queries.lists_of_account(account).filter(kind=ListKind.STATIC)
    }
    for list_id in [*offered_ids, *target_ids]:
        if int(list_id) not in static:
            raise _fail(
                "lists", _("List %(id)s is not a static list of this account.") % {"id": list_id}
            )
    for list_id in offered_ids:
        if not static[int(list_id)].is_public:
            raise _fail(
                "lists",
                _("“%(name)s” is not a public list. Make it public to offer it on forms.")
                % {"name": static[int(list_id)].name},
            )
    FormList.objects.filter(account_id=account.pk, form=form).delete()
    rows = [
        FormList(
            account=account,
            form=form,
            contact_list_id=int(list_id),
            role=FormListRole.OFFERED,
            position=i,
        )
        for i, list_id in enumerate(dict.fromkeys(offered_ids))
    ]
    rows += [
        FormList(
            account=account,
            form=form,
            contact_list_id=int(list_id),
            role=FormListRole.TARGET,
            position=i,
        )
        for i, list_id in enumerate(dict.fromkeys(target_ids))
    ]
    FormList.objects.bulk_create(rows)
    _touch(form)


def set_consent(
    account: Account,
    form: Form,
    *,
    channel: str,
    enabled: bool,
    wording: str = "",
    required: bool = False,
) -> FormConsent | None:
    """Add, change or remove the consent checkbox of one channel."""
    if channel not in Channel.values:
        raise _fail("channel", _("Choose email, SMS or WhatsApp."))
    if not enabled:
        FormConsent.objects.filter(account_id=account.pk, form=form, channel=channel).delete()
        _touch(form)
        return None
    wording = wording.strip()
    if not wording:
        raise _fail(
            f"consent_{channel}",
            _(
                "Write the consent text the visitor agrees to, as the law requires it to be recorded."
            ),
        )
    if len(wording) > 2000:
        raise _fail(
            f"consent_{channel}", _("The value is longer than %(max)d characters.") % {"max": 2000}
        )
    consent, _created = FormConsent.objects.update_or_create(
        account=account,
        form=form,
        channel=channel,
        defaults={"wording": wording, "required": required},
    )
    _touch(form)
    return consent


# Landing pages.


def create_page(account: Account, *, name: str, form: Form | None = None) -> LandingPage:
    """Create an unpublished landing page, with the form at the top if given."""
    name = name.strip()
    if not name:
        raise _fail("name", _("Give the page a name."))
    with transaction.atomic():
        page = LandingPage.objects.create(account=account, name=name[:200], title=name[:200])
        if form is not None:
            set_placement(account, page, slot=Slot.TOP, form=form)
    return page


PAGE_TEXT_SETTINGS = ("name", "title", "text")
PAGE_COLORS = ("background_color", "text_color", "accent_color")


def update_page(account: Account, page: LandingPage, changes: dict[str, Any]) -> LandingPage:
    for name in PAGE_TEXT_SETTINGS:
        if name in changes:
            value = str(changes[name] or "").strip()
            limit = _max_length(LandingPage, name)
            if limit and len(value) > limit:
                raise _fail(
                    name, _("The value is longer than %(max)d characters.") % {"max": limit}
                )
            setattr(page, name, value)
    for name in PAGE_COLORS:
        if name in changes:
            value = str(changes[name] or "").strip()
            if not COLOR.match(value):
                raise _fail(
                    name, _("Enter a colour as # and six hexadecimal digits, as in #5b3cc4.")
                )
            setattr(page, name, value.lower())
    if not page.name:
        raise _fail("name", _("Give the page a name."))
    page.updated_at = timezone.now()
    page.save(update_fields=[*PAGE_TEXT_SETTINGS, *PAGE_COLORS, "updated_at"])
    return page


def set_page_image(account: Account, page: LandingPage, upload: UploadedFile | None) -> LandingPage:
    """Store the page's image after checking its size and leading bytes; None removes it."""
    if upload is None:
        page.image = ""  # type: ignore[assignment]
        page.image_type = ""
    else:
        if upload.size and upload.size > MAX_IMAGE_BYTES:
            raise _fail("image", _("The image is larger than 2 MB. Upload a smaller one."))
        head = upload.read(16)
        upload.seek(0)
        media_type = next((kind for magic, kind in IMAGE_SIGNATURES if head.startswith(magic)), "")
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            media_type = "image/webp"
        if not media_type:
            raise _fail("image", _("Upload a PNG, JPEG, GIF or WebP image."))
        page.image.save(upload.name or "image", upload, save=False)
        page.image_type = media_type
    page.updated_at = timezone.now()
    page.save(update_fields=["image", "image_type", "updated_at"])
    return page


def set_placement(
    account: Account, page: LandingPage, *, slot: str, form: Form | None, intro: str = ""
) -> Placement | None:
    """Put a form (or nothing) in a slot of the page, with its intro text."""
    if slot not in Slot.values:
        raise _fail("slot", _("Choose top, middle or bottom."))
    if form is None:
        Placement.objects.filter(account_id=account.pk, page=page, slot=slot).delete()
        return None
    if form.account_id != account.pk:
        raise _fail("form", _("The form was not found."))
    placement, _created = Placement.objects.update_or_create(
        account=account, page=page, slot=slot, defaults={"form": form, "intro": intro.strip()}
    )
    return placement


def publish_page(account: Account, page: LandingPage, published: bool) -> LandingPage:
    if published:
        placed = Placement.objects.filter(account_id=account.pk, page=page).select_related("form")
        if not placed:
            raise _fail("placements", _("Place at least one form on the page first."))
        drafts = [placement.form.name for placement in placed if not placement.form.is_published]
        if drafts:
            raise _fail(
                "placements",
                _("Publish these forms first: %(names)s.") % {"names": ", ".join(drafts)},
            )
    page.is_published = published
    page.updated_at = timezone.now()
    page.save(update_fields=["is_published", "updated_at"])
    return page


def delete_page(account: Account, page: LandingPage) -> None:
    LandingPage.objects.filter(account=account, pk=page.pk).delete()
