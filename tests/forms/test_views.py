"""The marketer's screens: builder changes through htmx, reports, replay, and outsiders."""

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import Contact
from forms import actions
from forms.models import Form, FormField, LandingPage, Submission, SubmissionStatus
from tests.forms.conftest import build_form, submit

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_form_list_shows_counts(account, owner_client: Client):
    form = build_form(account)
    submit(form, email="a@example.com")
    submit(form, email="broken@")

    response = owner_client.get(reverse("forms:index"))

    assert response.status_code == 200
    body = response.content.decode()
    assert form.name in body
    assert "?status=kept" in body


def test_create_form_starts_with_identity_field(account, owner_client: Client):
    response = owner_client.post(reverse("forms:create"), {"name": "טופס חדש"})

    form = Form.objects.get(account=account, name="טופס חדש")
    assert response.status_code == 302
    keys = list(FormField.objects.filter(form=form).values_list("field_key", "required"))
    assert keys[0] == ("email", True)


def test_builder_adds_moves_and_removes_fields(account, teammate_client: Client):
    form = build_form(account, extra_fields=(), publish=False)

    added = teammate_client.post(
        reverse("forms:add_field", args=[form.pk]), {"field_key": "city"}, headers=HTMX
    )
    city = FormField.objects.get(form=form, field_key="city")
    teammate_client.post(
        reverse("forms:move_field", args=[form.pk, city.pk]), {"direction": "up"}, headers=HTMX
    )
    order = list(FormField.objects.filter(form=form).values_list("field_key", flat=True))
    removed = teammate_client.post(
        reverse("forms:remove_field", args=[form.pk, city.pk]), headers=HTMX
    )

    assert added.status_code == 200
    assert 'id="fields"' in added.content.decode()
    assert order == ["email", "city", "first_name"]
    assert removed.status_code == 200
    assert not FormField.objects.filter(form=form, field_key="city").exists()


def test_builder_adds_hidden_field(account, source_field, owner_client: Client):
    form = build_form(account, publish=False)

    response = owner_client.post(
        reverse("forms:add_field", args=[form.pk]),
        {
            "field_key": "source",
            "is_hidden": "1",
            "fixed_value": "פייסבוק",
            "query_param": "utm_source",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    hidden = FormField.objects.get(form=form, field_key="source")
    assert hidden.is_hidden
    assert hidden.fixed_value == "פייסבוק"
    assert hidden.query_param == "utm_source"


def test_hidden_field_needs_a_value(account, source_field, owner_client: Client):
    form = build_form(account, publish=False)

    response = owner_client.post(
        reverse("forms:add_field", args=[form.pk]),
        {"field_key": "source", "is_hidden": "1"},
        headers=HTMX,
    )

    assert "fixed value, a query parameter" in response.content.decode()
    assert not FormField.objects.filter(form=form, field_key="source").exists()


def test_publish_needs_identity_field(account, owner_client: Client):
    form = build_form(account, publish=False)
    FormField.objects.filter(form=form, field_key="email").delete()

    owner_client.post(reverse("forms:publish", args=[form.pk]), {"publish": "1"})

    form.refresh_from_db()
    assert not form.is_published


def test_settings_reject_javascript_redirect(account, owner_client: Client):
    form = build_form(account)

    response = owner_client.post(
        reverse("forms:update_settings", args=[form.pk]),
        {"name": form.name, "after_submit": "redirect", "redirect_url": "javascript:alert(1)"},
        headers=HTMX,
    )

    assert "https://" in response.content.decode()
    form.refresh_from_db()
    assert form.redirect_url == ""


def test_report_splits_by_hidden_value(account, source_field, owner_client: Client):
    form = build_form(account, hidden={"source": "direct"}, query_param="utm_source")
    submit(form, query={"utm_source": "facebook"}, email="a@example.com")
    submit(form, query={"utm_source": "facebook"}, email="b@example.com")
    submit(form, query={"utm_source": "google"}, email="c@example.com")

    response = owner_client.get(reverse("forms:report", args=[form.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="hidden-breakdown-source"' in body
    assert "<td>facebook</td><td>2</td>" in body
    assert "<td>google</td><td>1</td>" in body


def test_submissions_list_filters_kept(account, owner_client: Client):
    form = build_form(account)
    submit(form, email="good@example.com")
    submit(form, email="bad@")

    response = owner_client.get(reverse("forms:submissions", args=[form.pk]) + "?status=kept")

    body = response.content.decode()
    assert 'data-status="invalid"' in body
    assert 'data-status="applied"' not in body


def test_replay_with_corrected_value(account, owner_client: Client):
    form = build_form(account)
    kept = submit(form, email="dana@gmail", first_name="דנה").submission

    detail = owner_client.get(reverse("forms:submission_detail", args=[form.pk, kept.pk]))
    response = owner_client.post(
        reverse("forms:replay", args=[form.pk, kept.pk]),
        {"value_email": "dana@gmail.com", "value_first_name": "דנה"},
        follow=True,
    )

    assert 'name="value_email"' in detail.content.decode()
    assert "The submission was applied." in response.content.decode()
    assert Contact.objects.get(account=account, email="dana@gmail.com").first_name == "דנה"
    assert Submission.objects.get(pk=kept.pk).status == SubmissionStatus.APPLIED


def test_page_editor_places_forms_and_publishes(account, owner_client: Client):
    top = build_form(account, name="עליון")
    bottom = build_form(account, name="תחתון")
    page = actions.create_page(account, name="דף נחיתה")

    saved = owner_client.post(
        reverse("forms:page_edit", args=[page.pk]),
        {
            "name": "דף נחיתה",
            "title": "מבצע",
            "text": "טקסט",
            "background_color": "#ffffff",
            "text_color": "#000000",
            "accent_color": "#ff0066",
            "form_top": top.pk,
            "form_bottom": bottom.pk,
            "intro_bottom": "עוד הזדמנות",
        },
    )
    owner_client.post(reverse("forms:page_publish", args=[page.pk]), {"publish": "1"})
    public = Client().get(reverse("public_forms:page", args=[page.public_token]))

    assert saved.status_code == 302
    body = public.content.decode()
    assert public.status_code == 200
    assert "--page-accent: #ff0066" in body
    assert "עוד הזדמנות" in body
    assert 'data-testid="visitor-form-top"' in body
    assert 'data-testid="visitor-form-bottom"' in body


def test_page_editor_rejects_bad_colour(account, owner_client: Client):
    page = actions.create_page(account, name="דף")

    response = owner_client.post(
        reverse("forms:page_edit", args=[page.pk]),
        {"name": "דף", "accent_color": "red;}body{display:none"},
    )

    assert response.status_code == 400
    page.refresh_from_db()
    assert page.accent_color == "#5b3cc4"


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("forms:builder", "get"),
        ("forms:preview", "get"),
        ("forms:report", "get"),
        ("forms:submissions", "get"),
        ("forms:update_settings", "post"),
        ("forms:publish", "post"),
        ("forms:delete", "post"),
        ("forms:add_field", "post"),
        ("forms:remind", "post"),
    ],
)
def test_outsider_gets_404_on_form_screens(account, outsider_client: Client, name, method):
    form = build_form(account)

    response = getattr(outsider_client, method)(reverse(name, args=[form.pk]), {"name": "x"})

    assert response.status_code == 404
    form.refresh_from_db()
    assert form.name != "x"
    assert form.is_published


def test_outsider_gets_404_on_submission_and_page(account, outsider_client: Client):
    form = build_form(account)
    kept = submit(form, email="bad@").submission
    page = actions.create_page(account, name="דף", form=form)

    replay = outsider_client.post(
        reverse("forms:replay", args=[form.pk, kept.pk]), {"value_email": "x@example.com"}
    )
    detail = outsider_client.get(reverse("forms:submission_detail", args=[form.pk, kept.pk]))
    page_edit = outsider_client.post(reverse("forms:page_edit", args=[page.pk]), {"name": "hacked"})
    page_delete = outsider_client.post(reverse("forms:page_delete", args=[page.pk]))

    assert replay.status_code == 404
    assert detail.status_code == 404
    assert page_edit.status_code == 404
    assert page_delete.status_code == 404
    assert Submission.objects.get(pk=kept.pk).status == SubmissionStatus.INVALID
    page.refresh_from_db()
    assert page.name == "דף"


def test_submission_pages_escape_visitor_values(account, source_field, owner_client: Client):
    form = build_form(account, hidden={"source": "<i>x</i>"})
    kept = submit(form, email="<script>alert(1)</script>", first_name="<b>בועז</b>").submission

    listed = owner_client.get(reverse("forms:submissions", args=[form.pk]))
    detail = owner_client.get(reverse("forms:submission_detail", args=[form.pk, kept.pk]))

    for response in (listed, detail):
        body = response.content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;" in body
        assert "<i>x</i>" not in body


def test_over_plan_submission_is_marked(db):
    from tests.conftest import client_for, make_account

    membership = make_account("עסק קטן", "small@example.com")
    account = membership.account
    from smoove import actions as account_actions

    account_actions.set_plan(account, account.plan, 0)
    account.refresh_from_db()
    form = build_form(account, consent=False)
    submit(form, email="over@example.com")

    response = client_for(membership.user).get(reverse("forms:submissions", args=[form.pk]))

    assert 'data-testid="over-plan"' in response.content.decode()
    assert Contact.objects.get(account=account, email="over@example.com").over_plan


def test_settings_save_returns_fragment(account, owner_client: Client):
    form = build_form(account)

    response = owner_client.post(
        reverse("forms:update_settings", args=[form.pk]),
        {"name": "שם חדש", "after_submit": "page", "thank_you_title": "תודה!"},
        headers=HTMX,
    )

    body = response.content.decode()
    assert body.startswith('<section class="card" id="settings">')
    assert "Saved." in body
    form.refresh_from_db()
    assert form.name == "שם חדש"
    assert form.after_submit == "page"
    assert form.thank_you_title == "תודה!"


def test_landing_page_from_builder_places_the_form(account, owner_client: Client):
    form = build_form(account)

    response = owner_client.post(reverse("forms:page_create"), {"name": form.name, "form": form.pk})

    created = LandingPage.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == reverse("forms:page_edit", args=[created.pk])
    assert created.placements.get().form_id == form.pk


def test_submissions_export_as_csv(account, source_field, owner_client: Client):
    form = build_form(account, hidden={"source": "טופס 1"})
    submit(form, email="a@example.com", first_name="=HYPERLINK(1)")
    submit(form, email="bad@")

    response: Any = owner_client.get(reverse("forms:submissions_export", args=[form.pk]))

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert response["Content-Disposition"].startswith("attachment;")
    assert rows[0][3:6] == ["Email", "First name", "Mobile"]
    assert "מקור" in rows[0]
    assert len(rows) == 3
    applied = rows[1]
    assert applied[3] == "a@example.com"
    assert applied[4] == "'=HYPERLINK(1)"
    assert "טופס 1" in applied
    assert rows[2][2] == "Some values are invalid."
