"""The forms API: create and change forms, list and replay submissions, outsiders."""

import json
from typing import Any

import pytest
from django.test import Client

from contacts.models import Contact
from forms.models import Form, Submission, SubmissionStatus
from tests.forms.conftest import build_form, submit

pytestmark = pytest.mark.django_db


def post_json(client: Client, url: str, data: dict) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def patch_json(client: Client, url: str, data: dict) -> Any:
    return client.patch(url, json.dumps(data), content_type="application/json")


def test_create_form_with_hidden_field_and_lists(
    account, source_field, public_lists, target_list, api_client: Client
):
    response = post_json(
        api_client,
        "/api/v1/forms/",
        {
            "name": "API form",
            "fields": [
                {"field_key": "email", "required": True, "label": "אימייל"},
                {"field_key": "first_name", "placeholder": "שם"},
            ],
            "hidden_fields": [
                {"field_key": "source", "fixed_value": "google", "query_param": "utm_source"}
            ],
            "public_list_ids": [public_lists["shoes"].pk],
            "target_list_ids": [target_list.pk],
            "consents": [{"channel": "email", "wording": "מסכים לדיוור"}],
            "status": "published",
        },
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "published"
    assert [item["field_key"] for item in data["fields"]] == ["email", "first_name"]
    assert data["hidden_fields"] == [
        {"field_key": "source", "fixed_value": "google", "query_param": "utm_source"}
    ]
    assert data["public_list_ids"] == [public_lists["shoes"].pk]
    assert data["target_list_ids"] == [target_list.pk]
    assert data["public_url"].endswith(f"/f/{Form.objects.get(pk=data['id']).public_token}/")
    assert 'name="email"' in data["embed_html"]
    # The snippet posts to the token address, which names no account or form id.
    assert f'action="{data["public_url"]}"' in data["embed_html"]
    assert data["view_count"] == 0


def test_published_form_needs_identity_field(account, api_client: Client):
    response = post_json(
        api_client,
        "/api/v1/forms/",
        {"name": "No email", "fields": [{"field_key": "first_name"}], "status": "published"},
    )

    assert response.status_code == 400
    assert "fields" in response.json()
    assert not Form.objects.filter(account=account, name="No email").exists()


def test_patch_changes_only_given_parts(account, api_client: Client):
    form = build_form(account)

    response = patch_json(
        api_client,
        f"/api/v1/forms/{form.pk}/",
        {"after_submit": "redirect", "redirect_url": "https://shop.example/ok"},
    )

    assert response.status_code == 200
    data = response.json()
    assert data["after_submit"] == "redirect"
    assert [item["field_key"] for item in data["fields"]] == ["email", "first_name", "mobile"]
    assert data["consents"][0]["channel"] == "email"


def test_patch_rejects_unknown_field(account, api_client: Client):
    form = build_form(account)

    response = patch_json(
        api_client,
        f"/api/v1/forms/{form.pk}/",
        {"fields": [{"field_key": "email", "required": True}, {"field_key": "nope"}]},
    )

    assert response.status_code == 400
    assert "fields[1]" in response.json()
    assert Form.objects.get(pk=form.pk).fields.filter(field_key="mobile").exists()


def test_list_forms_with_counts(account, api_client: Client):
    form = build_form(account)
    submit(form, email="a@example.com")
    submit(form, email="bad@")

    response = api_client.get("/api/v1/forms/")

    assert response.status_code == 200
    item = response.json()["results"][0]
    assert item["submission_count"] == 1
    assert item["kept_count"] == 1


def test_submissions_list_and_replay(account, api_client: Client):
    form = build_form(account)
    submit(form, email="good@example.com")
    kept = submit(form, email="bad@", first_name="רון").submission

    listed = api_client.get(f"/api/v1/forms/{form.pk}/submissions/?status=kept")
    replayed = post_json(
        api_client,
        f"/api/v1/forms/{form.pk}/submissions/{kept.pk}/replay/",
        {"values": {"email": "ron@example.com"}},
    )
    again = post_json(api_client, f"/api/v1/forms/{form.pk}/submissions/{kept.pk}/replay/", {})

    results = listed.json()["results"]
    assert [item["id"] for item in results] == [kept.pk]
    assert results[0]["is_kept"] is True
    assert "email" in results[0]["errors"]
    assert replayed.status_code == 200
    assert replayed.json()["status"] == "applied"
    assert Contact.objects.get(email="ron@example.com").first_name == "רון"
    assert again.status_code == 409


def test_unknown_status_filter_is_rejected(account, api_client: Client):
    form = build_form(account)

    response = api_client.get(f"/api/v1/forms/{form.pk}/submissions/?status=weird")

    assert response.status_code == 400
    assert "weird" in response.json()["status"][0]


def test_outsider_cannot_read_or_change_forms(account, outsider_api_client: Client):
    form = build_form(account)
    kept = submit(form, email="bad@").submission

    listed = outsider_api_client.get("/api/v1/forms/")
    read = outsider_api_client.get(f"/api/v1/forms/{form.pk}/")
    changed = patch_json(outsider_api_client, f"/api/v1/forms/{form.pk}/", {"name": "hacked"})
    submissions = outsider_api_client.get(f"/api/v1/forms/{form.pk}/submissions/")
    replayed = post_json(
        outsider_api_client,
        f"/api/v1/forms/{form.pk}/submissions/{kept.pk}/replay/",
        {"values": {"email": "x@example.com"}},
    )

    assert listed.json()["results"] == []
    assert read.status_code == 404
    assert changed.status_code == 404
    assert submissions.status_code == 404
    assert replayed.status_code == 404
    assert Form.objects.get(pk=form.pk).name != "hacked"
    assert Submission.objects.get(pk=kept.pk).status == SubmissionStatus.INVALID


def test_schema_includes_forms(api_client: Client):
    response = api_client.get("/api/v1/schema/")

    assert response.status_code == 200
    assert "/api/v1/forms/{id}/submissions/{submission_pk}/replay/" in response.content.decode()
