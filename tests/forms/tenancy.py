"""The forms app's entries for the URL registry of tests/test_tenancy.py.

Object-bound URLs need a form, field, submission and landing page of
account A; each helper creates them once, on first use.
"""

from typing import Any

from forms import actions
from forms.models import Form, FormField, LandingPage, Submission
from tests.forms.conftest import build_form, submit

MARKER_FORM = "טופס-של-חשבון-א"


def _form(world: Any) -> Form:
    form = Form.objects.filter(account=world.account, name=MARKER_FORM).first()
    return form or build_form(world.account, name=MARKER_FORM, extra_fields=())


def form_pk(world: Any) -> dict[str, Any]:
    return {"pk": _form(world).pk}


def field_pks(world: Any) -> dict[str, Any]:
    form = _form(world)
    form_field = FormField.objects.filter(form=form, field_key="first_name").get()
    return {"pk": form.pk, "field_pk": form_field.pk}


def submission_pks(world: Any) -> dict[str, Any]:
    form = _form(world)
    submission = Submission.objects.filter(form=form).first()
    if submission is None:
        submission = submit(form, email="broken@").submission
    return {"pk": form.pk, "submission_pk": submission.pk}


def page_pk(world: Any) -> dict[str, Any]:
    page = LandingPage.objects.filter(account=world.account).first()
    page = page or actions.create_page(world.account, name=MARKER_FORM, form=_form(world))
    return {"pk": page.pk}


def routes(public: Any, account_level: Any, object_bound: Any) -> dict[str, Any]:
    """Return the forms URL names with their kind, built from test_tenancy's classes."""
    by_token = "the unguessable token in the URL decides the form or page"
    return {
        "public_forms:form": public(by_token),
        "public_forms:embed": public(by_token),
        "public_forms:view_pixel": public(by_token),
        "public_forms:thanks": public(by_token),
        "public_forms:page": public(by_token),
        "public_forms:page_image": public(by_token),
        "public_forms:confirm": public("the signed token in the URL decides the submission"),
        "forms:index": account_level(),
        "forms:create": account_level(),
        "forms:page_create": account_level(),
        "forms:builder": object_bound(form_pk),
        "forms:add_field": object_bound(form_pk),
        "forms:update_field": object_bound(field_pks),
        "forms:move_field": object_bound(field_pks),
        "forms:remove_field": object_bound(field_pks),
        "forms:update_settings": object_bound(form_pk),
        "forms:update_lists": object_bound(form_pk),
        "forms:update_consent": object_bound(form_pk),
        "forms:publish": object_bound(form_pk),
        "forms:preview": object_bound(form_pk),
        "forms:delete": object_bound(form_pk),
        "forms:report": object_bound(form_pk),
        "forms:submissions": object_bound(form_pk),
        "forms:remind": object_bound(form_pk),
        "forms:submissions_export": object_bound(form_pk),
        "forms:submission_detail": object_bound(submission_pks),
        "forms:replay": object_bound(submission_pks),
        "forms:page_edit": object_bound(page_pk),
        "forms:page_publish": object_bound(page_pk),
        "forms:page_preview": object_bound(page_pk),
        "forms:page_report": object_bound(page_pk),
        "forms:page_delete": object_bound(page_pk),
        "api_forms": account_level(),
        "api_form": object_bound(form_pk),
        "api_form_submissions": object_bound(form_pk),
        "api_form_submission_replay": object_bound(submission_pks),
    }
