"""The custom contact events API."""

import pytest

from contacts import actions as contact_actions
from contacts.actions import EventKind
from contacts.api import MAX_EVENT_PROPERTIES_BYTES
from contacts.models import ContactEvent
from tests.api.helpers import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(account):
    return contact_actions.upsert_contact(
        account,
        {"email": "dana@example.com", "mobile": "0501234567", "external_id": "CRM-1"},
        source="test",
    ).contact


def custom_events(contact):
    return list(
        ContactEvent.objects.filter(contact=contact, kind=EventKind.CUSTOM).values_list(
            "data", flat=True
        )
    )


def test_event_by_id_is_recorded_as_custom(api_client, dana):
    response = send(
        api_client,
        "POST",
        "/api/v1/events/",
        {
            "contact_id": dana.pk,
            "name": "webinar_registered",
            "properties": {"seats": 2, "topic": "שיווק"},
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["contact_id"] == dana.pk
    assert body["kind"] == "custom"
    assert body["name"] == "webinar_registered"
    assert custom_events(dana) == [
        {"name": "webinar_registered", "properties": {"seats": 2, "topic": "שיווק"}}
    ]


@pytest.mark.parametrize(
    "identifier",
    [{"email": " DANA@example.com"}, {"mobile": "050-123-4567"}, {"external_id": "CRM-1"}],
)
def test_event_by_identifier_finds_contact(api_client, dana, identifier):
    response = send(api_client, "POST", "/api/v1/events/", {**identifier, "name": "visited"})

    assert response.status_code == 201
    assert response.json()["contact_id"] == dana.pk
    assert custom_events(dana) == [{"name": "visited", "properties": {}}]


def test_event_unknown_email_is_404(api_client, account, dana):
    response = send(
        api_client, "POST", "/api/v1/events/", {"email": "nobody@example.com", "name": "visited"}
    )

    assert response.status_code == 404
    assert not ContactEvent.objects.filter(kind=EventKind.CUSTOM).exists()


def test_event_without_contact_names_contact_id(api_client, dana):
    response = send(api_client, "POST", "/api/v1/events/", {"name": "visited"})

    assert response.status_code == 400
    assert response.json()["contact_id"] == ["Give contact_id, email, mobile or external_id."]


def test_event_without_name_names_name(api_client, dana):
    response = send(api_client, "POST", "/api/v1/events/", {"contact_id": dana.pk, "name": "  "})

    assert response.status_code == 400
    assert "name" in response.json()


def test_event_with_invalid_email_names_email(api_client, dana):
    response = send(
        api_client, "POST", "/api/v1/events/", {"email": "not-an-address", "name": "visited"}
    )

    assert response.status_code == 400
    assert "email" in response.json()


def test_event_with_shared_mobile_asks_for_id(api_client, account, dana):
    contact_actions.upsert_contact(
        account, {"email": "twin@example.com", "mobile": "0501234567"}, source="test"
    )

    response = send(
        api_client, "POST", "/api/v1/events/", {"mobile": "0501234567", "name": "visited"}
    )

    assert response.status_code == 400
    assert "identify the contact by its ID" in response.json()["mobile"][0]
    assert not ContactEvent.objects.filter(kind=EventKind.CUSTOM).exists()


def test_event_properties_over_limit_are_rejected(api_client, dana):
    properties = {"blob": "x" * MAX_EVENT_PROPERTIES_BYTES}

    response = send(
        api_client,
        "POST",
        "/api/v1/events/",
        {"contact_id": dana.pk, "name": "big", "properties": properties},
    )

    assert response.status_code == 400
    assert "properties" in response.json()
    assert custom_events(dana) == []


def test_event_properties_must_be_object(api_client, dana):
    response = send(
        api_client,
        "POST",
        "/api/v1/events/",
        {"contact_id": dana.pk, "name": "x", "properties": [1, 2]},
    )

    assert response.status_code == 400
    assert "properties" in response.json()


def test_outsider_key_gets_404_and_records_nothing(outsider_api_client, dana):
    by_id = send(
        outsider_api_client, "POST", "/api/v1/events/", {"contact_id": dana.pk, "name": "x"}
    )
    by_email = send(
        outsider_api_client, "POST", "/api/v1/events/", {"email": "dana@example.com", "name": "x"}
    )

    assert by_id.status_code == 404
    assert by_email.status_code == 404
    assert custom_events(dana) == []
