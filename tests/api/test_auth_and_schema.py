"""API keys, sessions, and the OpenAPI schema with its docs page."""

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema

from contacts.models import Contact
from smoove import actions
from smoove.models import User
from tests.api.helpers import send
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ACCOUNT_URLS = ["/api/v1/contacts/", "/api/v1/fields/", "/api/v1/lists/"]


@pytest.mark.parametrize("url", ACCOUNT_URLS)
def test_key_reads_account_endpoints(api_client, url):
    assert api_client.get(url).status_code == 200


@pytest.mark.parametrize("url", [*ACCOUNT_URLS, "/api/v1/events/"])
def test_request_without_key_is_401(url):
    response = Client().get(url)

    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."
    assert response["WWW-Authenticate"] == "Token"


def test_post_without_key_is_401_and_saves_nothing(account):
    response = send(Client(), "POST", "/api/v1/contacts/", {"email": "a@example.com"})

    assert response.status_code == 401
    assert not Contact.objects.exists()


def test_revoked_key_is_401(account):
    key, raw = actions.create_api_key(account, "old integration")
    actions.revoke_api_key(key)
    client = Client(HTTP_AUTHORIZATION=f"Token {raw}")

    listed = client.get("/api/v1/contacts/")
    posted = send(client, "POST", "/api/v1/contacts/", {"email": "a@example.com"})

    assert listed.status_code == 401
    assert listed.json()["detail"] == "Invalid or revoked API key."
    assert posted.status_code == 401
    assert not Contact.objects.exists()


def test_unknown_key_is_401(account):
    response = Client(HTTP_AUTHORIZATION="Token sm_not-a-real-key").get("/api/v1/contacts/")

    assert response.status_code == 401


def test_session_of_member_works(owner_client):
    response = send(owner_client, "POST", "/api/v1/contacts/", {"email": "a@example.com"})

    assert response.status_code == 201


def test_session_without_account_is_403(db):
    user = User.objects.create_user(email="lonely@example.com", password="x-Long-pass-42")

    response = client_for(user).get("/api/v1/contacts/")

    assert response.status_code == 403


def test_schema_is_valid_openapi():
    response = Client().get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    document = response.json()
    validate_schema(document)
    paths = set(document["paths"])
    assert {
        "/api/v1/contacts/",
        "/api/v1/contacts/{id}/",
        "/api/v1/fields/",
        "/api/v1/fields/{id}/",
        "/api/v1/events/",
        "/api/v1/lists/",
        "/api/v1/lists/{id}/",
        "/api/v1/lists/{id}/members/",
        "/api/v1/lists/{id}/members/remove/",
        "/api/v1/lists/{id}/members/{contact_id}/",
    } <= paths
    assert "tokenAuth" in document["components"]["securitySchemes"]


def test_schema_generates_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)

    # drf-spectacular keeps its warnings and errors only in these counters.
    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}


def test_docs_page_loads_swagger_from_sidecar():
    response = Client().get("/api/v1/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn" not in response.content.lower()
