"""The contacts API: upsert, filters, detail, change and privacy deletion."""

import datetime

import pytest
from django.utils import timezone

from contacts import actions as contact_actions
from contacts.models import Contact, ContactEvent
from lists import actions as list_actions
from smoove.models import IdentifierPolicy
from tests.api.helpers import send

pytestmark = pytest.mark.django_db


def make_contact(account, **values):
    return contact_actions.upsert_contact(account, values, source="test").contact


def test_post_creates_contact_with_201(api_client, account):
    response = send(
        api_client,
        "POST",
        "/api/v1/contacts/",
        {"email": " Dana@Example.COM ", "mobile": "050-1234567", "first_name": "דנה"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "dana@example.com"
    assert body["mobile"] == "+972501234567"
    assert body["first_name"] == "דנה"
    assert Contact.objects.filter(account=account, pk=body["id"]).exists()


def test_post_matches_existing_contact_with_200(api_client, account):
    existing = make_contact(account, email="dana@example.com", first_name="דנה", city="חולון")

    response = send(
        api_client,
        "POST",
        "/api/v1/contacts/",
        {"email": "DANA@example.com", "first_name": "", "city": None, "last_name": "כהן"},
    )

    assert response.status_code == 200
    assert response.json()["id"] == existing.pk
    existing.refresh_from_db()
    assert existing.first_name == "דנה"
    assert existing.city == "חולון"
    assert existing.last_name == "כהן"
    assert Contact.objects.filter(account=account).count() == 1


def test_post_matches_by_mobile_policy_in_any_format(api_client, account):
    account.identifier_policy = IdentifierPolicy.MOBILE
    account.save(update_fields=["identifier_policy"])

    first = send(api_client, "POST", "/api/v1/contacts/", {"mobile": "0501234567"})
    second = send(api_client, "POST", "/api/v1/contacts/", {"mobile": "+972 50-123-4567"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]


def test_post_stores_custom_fields_nested(api_client, account):
    contact_actions.create_custom_field(
        account, label="Level", key="level", type="choice", choices=["gold", "silver"]
    )

    response = send(
        api_client,
        "POST",
        "/api/v1/contacts/",
        {"email": "a@example.com", "fields": {"level": "GOLD"}},
    )

    assert response.status_code == 201
    assert response.json()["fields"] == {"level": "gold"}


def test_post_invalid_email_names_field(api_client, account):
    response = send(api_client, "POST", "/api/v1/contacts/", {"email": "not-an-address"})

    assert response.status_code == 400
    assert response.json()["email"] == ["“not-an-address” is not a valid email address."]
    assert not Contact.objects.filter(account=account).exists()


def test_post_missing_identifier_names_field(api_client, account):
    response = send(api_client, "POST", "/api/v1/contacts/", {"first_name": "Dana"})

    assert response.status_code == 400
    assert "identifies contacts" in response.json()["email"][0]


def test_post_answers_in_english_for_hebrew_user(owner_client, owner, account):
    owner.language = "he"
    owner.save(update_fields=["language"])

    response = send(owner_client, "POST", "/api/v1/contacts/", {"email": "bad"})

    assert response.status_code == 400
    assert response.json()["email"] == ["“bad” is not a valid email address."]


def test_post_rejects_unknown_key(api_client, account):
    response = send(
        api_client, "POST", "/api/v1/contacts/", {"email": "a@example.com", "firstname": "Dana"}
    )

    assert response.status_code == 400
    assert "firstname" in response.json()
    assert not Contact.objects.filter(account=account).exists()


def test_post_rejects_unknown_custom_field(api_client, account):
    response = send(
        api_client, "POST", "/api/v1/contacts/", {"email": "a@example.com", "fields": {"nope": 1}}
    )

    assert response.status_code == 400
    assert response.json()["fields"]["nope"] == ["There is no field “nope”."]


def test_post_rejects_builtin_key_inside_fields(api_client, account):
    response = send(
        api_client,
        "POST",
        "/api/v1/contacts/",
        {"email": "a@example.com", "fields": {"city": "Eilat"}},
    )

    assert response.status_code == 400
    assert "city" in response.json()["fields"]


def test_post_invalid_custom_value_nests_under_fields(api_client, account):
    contact_actions.create_custom_field(account, label="Visits", key="visits", type="number")

    response = send(
        api_client,
        "POST",
        "/api/v1/contacts/",
        {"email": "a@example.com", "fields": {"visits": "many"}},
    )

    assert response.status_code == 400
    assert response.json()["fields"]["visits"] == ["“many” is not a number."]


def test_list_pages_contacts_in_id_order(api_client, account, django_assert_max_num_queries):
    made = [make_contact(account, email=f"c{i}@example.com") for i in range(5)]

    with django_assert_max_num_queries(8):
        response = api_client.get("/api/v1/contacts/?page_size=2&page=2")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert [c["id"] for c in body["results"]] == [made[2].pk, made[3].pk]
    assert body["next"] is not None


@pytest.mark.parametrize("typed", ["0501234567", "050-123-4567", "+972501234567", "972501234567"])
def test_list_filters_by_mobile_in_any_format(api_client, account, typed):
    wanted = make_contact(account, email="m@example.com", mobile="0501234567")
    make_contact(account, email="other@example.com", mobile="0521111111")

    response = api_client.get("/api/v1/contacts/", {"mobile": typed})

    assert [c["id"] for c in response.json()["results"]] == [wanted.pk]


def test_list_filters_by_email_and_external_id(api_client, account):
    wanted = make_contact(account, email="dana@example.com", external_id="CRM-7")
    make_contact(account, email="avi@example.com", external_id="CRM-8")

    by_email = api_client.get("/api/v1/contacts/", {"email": " DANA@example.com"})
    by_external_id = api_client.get("/api/v1/contacts/", {"external_id": "CRM-7"})

    assert [c["id"] for c in by_email.json()["results"]] == [wanted.pk]
    assert [c["id"] for c in by_external_id.json()["results"]] == [wanted.pk]


def test_list_filters_by_static_and_dynamic_list(api_client, account):
    holon = make_contact(account, email="h@example.com", city="חולון")
    haifa = make_contact(account, email="f@example.com", city="חיפה")
    static = list_actions.create_list(account, name="VIP")
    list_actions.add_contacts(account, static, [haifa], source="test")
    dynamic = list_actions.create_list(
        account,
        name="Holon",
        kind="dynamic",
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
        },
    )

    in_static = api_client.get("/api/v1/contacts/", {"list_id": static.pk})
    in_dynamic = api_client.get("/api/v1/contacts/", {"list_id": dynamic.pk})

    assert [c["id"] for c in in_static.json()["results"]] == [haifa.pk]
    assert [c["id"] for c in in_dynamic.json()["results"]] == [holon.pk]


def test_list_filters_by_updated_since(api_client, account):
    old = make_contact(account, email="old@example.com")
    Contact.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=3))
    new = make_contact(account, email="new@example.com")
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()

    response = api_client.get("/api/v1/contacts/", {"updated_since": since})

    assert [c["id"] for c in response.json()["results"]] == [new.pk]


def test_list_search_matches_every_word(api_client, account):
    dana = make_contact(account, email="d@example.com", first_name="דנה", last_name="כהן")
    make_contact(account, email="e@example.com", first_name="דנה", last_name="לוי")
    by_phone = make_contact(account, email="p@example.com", mobile="0541234567")

    by_name = api_client.get("/api/v1/contacts/", {"search": "דנה כהן"})
    by_local_number = api_client.get("/api/v1/contacts/", {"search": "054-1234567"})

    assert [c["id"] for c in by_name.json()["results"]] == [dana.pk]
    assert [c["id"] for c in by_local_number.json()["results"]] == [by_phone.pk]


def test_list_invalid_filters_name_the_parameter(api_client, account):
    bad_mobile = api_client.get("/api/v1/contacts/", {"mobile": "abc"})
    bad_time = api_client.get("/api/v1/contacts/", {"updated_since": "yesterday"})
    no_list = api_client.get("/api/v1/contacts/", {"list_id": 999999})

    assert bad_mobile.status_code == 400
    assert "mobile" in bad_mobile.json()
    assert bad_time.status_code == 400
    assert "updated_since" in bad_time.json()
    assert no_list.status_code == 400
    assert no_list.json()["list_id"] == ["No list has the ID 999999."]


def test_list_shows_only_own_contacts(outsider_api_client, account, outsider_account):
    make_contact(account, email="mine@example.com")
    theirs = make_contact(outsider_account, email="theirs@example.com")

    response = outsider_api_client.get("/api/v1/contacts/")

    assert [c["id"] for c in response.json()["results"]] == [theirs.pk]


def test_list_id_of_other_account_is_unknown(outsider_api_client, account):
    contact_list = list_actions.create_list(account, name="Secret")

    response = outsider_api_client.get("/api/v1/contacts/", {"list_id": contact_list.pk})

    assert response.status_code == 400
    assert "list_id" in response.json()


def test_detail_shows_lists_consent_and_suppression(api_client, account):
    contact = make_contact(account, email="d@example.com", city="חולון")
    static = list_actions.create_list(account, name="VIP")
    list_actions.add_contacts(account, static, [contact], source="test")
    dynamic = list_actions.create_list(
        account,
        name="Holon",
        kind="dynamic",
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
        },
    )
    list_actions.create_list(account, name="Empty")
    contact_actions.record_consent(
        account, contact, channel="email", status="granted", source="form"
    )
    contact_actions.suppress(account, contact, channel="sms", reason="unsubscribed")

    response = api_client.get(f"/api/v1/contacts/{contact.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["list_ids"] == sorted([static.pk, dynamic.pk])
    assert body["consent"]["email"]["status"] == "granted"
    assert body["consent"]["email"]["source"] == "form"
    assert body["consent"]["sms"] is None
    assert body["consent"]["whatsapp"] is None
    assert body["suppressed"] == {"sms": "unsubscribed"}


def test_patch_changes_and_clears_values(api_client, account):
    contact_actions.create_custom_field(account, label="Visits", key="visits", type="number")
    contact = make_contact(account, email="d@example.com", city="חולון", first_name="דנה", visits=3)

    response = send(
        api_client,
        "PATCH",
        f"/api/v1/contacts/{contact.pk}/",
        {"city": "", "last_name": "כהן", "fields": {"visits": None}},
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.city == ""
    assert contact.last_name == "כהן"
    assert contact.first_name == "דנה"
    assert "visits" not in contact.fields


def test_patch_cannot_clear_identifier(api_client, account):
    contact = make_contact(account, email="d@example.com")

    response = send(api_client, "PATCH", f"/api/v1/contacts/{contact.pk}/", {"email": ""})

    assert response.status_code == 400
    assert "email" in response.json()
    contact.refresh_from_db()
    assert contact.email == "d@example.com"


def test_patch_to_taken_identifier_names_field(api_client, account):
    make_contact(account, email="taken@example.com")
    contact = make_contact(account, email="d@example.com")

    response = send(
        api_client, "PATCH", f"/api/v1/contacts/{contact.pk}/", {"email": "taken@example.com"}
    )

    assert response.status_code == 400
    assert response.json()["email"] == ["Another contact already has this value."]
    contact.refresh_from_db()
    assert contact.email == "d@example.com"


def test_delete_removes_contact_and_its_events(api_client, account):
    contact = make_contact(account, email="d@example.com")

    response = api_client.delete(f"/api/v1/contacts/{contact.pk}/")

    assert response.status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not ContactEvent.objects.filter(contact_id=contact.pk).exists()


def test_outsider_key_gets_404_and_changes_nothing(outsider_api_client, account):
    contact = make_contact(account, email="d@example.com", city="חולון")
    before = Contact.objects.filter(pk=contact.pk).values().get()
    events_before = ContactEvent.objects.filter(contact=contact).count()
    url = f"/api/v1/contacts/{contact.pk}/"

    got = outsider_api_client.get(url)
    patched = send(outsider_api_client, "PATCH", url, {"city": "Eilat"})
    deleted = outsider_api_client.delete(url)

    assert got.status_code == 404
    assert patched.status_code == 404
    assert deleted.status_code == 404
    assert Contact.objects.filter(pk=contact.pk).values().get() == before
    assert ContactEvent.objects.filter(contact=contact).count() == events_before


def test_outsider_post_with_same_email_creates_own_contact(
    outsider_api_client, account, outsider_account
):
    mine = make_contact(account, email="d@example.com", city="חולון")

    response = send(
        outsider_api_client,
        "POST",
        "/api/v1/contacts/",
        {"email": "d@example.com", "city": "Eilat"},
    )

    assert response.status_code == 201
    assert response.json()["id"] != mine.pk
    mine.refresh_from_db()
    assert mine.city == "חולון"
    assert Contact.objects.filter(account=account).count() == 1
