"""The custom fields API."""

import pytest

from contacts import actions as contact_actions
from contacts.models import CustomField
from tests.api.helpers import send

pytestmark = pytest.mark.django_db


def test_post_creates_field(api_client, account):
    response = send(
        api_client,
        "POST",
        "/api/v1/fields/",
        {"label": "Level", "key": "level", "type": "choice", "choices": ["gold", "silver"]},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["key"] == "level"
    assert body["choices"] == ["gold", "silver"]
    assert CustomField.objects.filter(account=account, key="level").exists()


def test_post_hebrew_label_gets_numbered_key(api_client, account):
    response = send(api_client, "POST", "/api/v1/fields/", {"label": "תחביב", "type": "text"})

    assert response.status_code == 201
    assert response.json()["key"] == "field_1"


def test_post_invalid_input_names_fields(api_client, account):
    bad_type = send(api_client, "POST", "/api/v1/fields/", {"label": "X", "type": "colour"})
    no_label = send(api_client, "POST", "/api/v1/fields/", {"type": "text"})
    no_choices = send(api_client, "POST", "/api/v1/fields/", {"label": "Size", "type": "choice"})
    system_key = send(
        api_client, "POST", "/api/v1/fields/", {"label": "Town", "key": "city", "type": "text"}
    )

    assert bad_type.status_code == 400
    assert bad_type.json()["type"] == ['"colour" is not a valid choice.']
    assert no_label.status_code == 400
    assert no_label.json()["label"] == ["This field is required."]
    assert no_choices.status_code == 400
    assert no_choices.json()["choices"] == ["Add at least one choice."]
    assert system_key.status_code == 400
    assert "key" in system_key.json()
    assert not CustomField.objects.filter(account=account).exists()


def test_post_duplicate_label_names_label(api_client, account):
    contact_actions.create_custom_field(account, label="Level", type="text")

    response = send(
        api_client, "POST", "/api/v1/fields/", {"label": "Level", "key": "level2", "type": "text"}
    )

    assert response.status_code == 400
    assert response.json()["label"] == ["A field with this name exists."]


def test_get_lists_own_fields_only(api_client, account, outsider_account):
    mine = contact_actions.create_custom_field(account, label="Level", type="text")
    contact_actions.create_custom_field(outsider_account, label="Secret", type="text")

    response = api_client.get("/api/v1/fields/")

    assert response.status_code == 200
    assert [f["id"] for f in response.json()] == [mine.pk]


def test_patch_renames_and_changes_choices(api_client, account):
    custom = contact_actions.create_custom_field(
        account, label="Level", type="choice", choices=["a"]
    )

    response = send(
        api_client,
        "PATCH",
        f"/api/v1/fields/{custom.pk}/",
        {"label": "Tier", "choices": ["a", "b"]},
    )

    assert response.status_code == 200
    custom.refresh_from_db()
    assert custom.label == "Tier"
    assert custom.choices == ["a", "b"]


def test_patch_rejects_key_and_type_changes(api_client, account):
    custom = contact_actions.create_custom_field(account, label="Level", key="level", type="text")

    response = send(
        api_client, "PATCH", f"/api/v1/fields/{custom.pk}/", {"key": "tier", "type": "number"}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"key", "type"}
    custom.refresh_from_db()
    assert custom.key == "level"
    assert custom.type == "text"


def test_patch_choices_of_text_field_is_rejected(api_client, account):
    custom = contact_actions.create_custom_field(account, label="Level", type="text")

    response = send(api_client, "PATCH", f"/api/v1/fields/{custom.pk}/", {"choices": ["a"]})

    assert response.status_code == 400
    assert "choices" in response.json()


def test_delete_removes_field(api_client, account):
    custom = contact_actions.create_custom_field(account, label="Level", type="text")

    response = api_client.delete(f"/api/v1/fields/{custom.pk}/")

    assert response.status_code == 204
    assert not CustomField.objects.filter(pk=custom.pk).exists()


def test_outsider_key_gets_404_and_changes_nothing(outsider_api_client, account):
    custom = contact_actions.create_custom_field(account, label="Level", type="text")
    before = CustomField.objects.filter(pk=custom.pk).values().get()
    url = f"/api/v1/fields/{custom.pk}/"

    got = outsider_api_client.get(url)
    patched = send(outsider_api_client, "PATCH", url, {"label": "Stolen"})
    deleted = outsider_api_client.delete(url)

    assert got.status_code == 404
    assert patched.status_code == 404
    assert deleted.status_code == 404
    assert CustomField.objects.filter(pk=custom.pk).values().get() == before
