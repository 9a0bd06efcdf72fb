"""The lists API: lists, their member counts, and memberships."""

import pytest

from contacts import actions as contact_actions
from contacts.models import Contact
from lists import actions as list_actions
from lists.models import ContactList, ListMembership
from tests.api.helpers import send

pytestmark = pytest.mark.django_db

HOLON = {
    "match": "all",
    "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
}


def make_contact(account, **values):
    return contact_actions.upsert_contact(account, values, source="test").contact


def member_ids(contact_list):
    return set(
        ListMembership.objects.filter(contact_list=contact_list).values_list(
            "contact_id", flat=True
        )
    )


def test_post_creates_static_public_list(api_client, account):
    response = send(
        api_client,
        "POST",
        "/api/v1/lists/",
        {"name": "ניוזלטר", "is_public": True, "public_description": "עדכונים חודשיים"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "static"
    assert body["is_public"] is True
    assert body["member_count"] == 0
    assert ContactList.objects.filter(account=account, name="ניוזלטר", is_public=True).exists()


def test_post_creates_dynamic_list_with_count(api_client, account):
    make_contact(account, email="h@example.com", city="חולון")
    make_contact(account, email="f@example.com", city="חיפה")

    response = send(
        api_client,
        "POST",
        "/api/v1/lists/",
        {"name": "Holon", "kind": "dynamic", "conditions": HOLON},
    )

    assert response.status_code == 201
    assert response.json()["member_count"] == 1
    assert response.json()["conditions"] == HOLON


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "static"}, "name"),
        ({"name": "X", "kind": "smart"}, "kind"),
        ({"name": "X", "conditions": HOLON}, "conditions"),
        ({"name": "X", "kind": "dynamic", "is_public": True, "conditions": HOLON}, "is_public"),
        ({"name": "X", "kind": "dynamic", "conditions": [1]}, "conditions"),
        (
            {
                "name": "X",
                "kind": "dynamic",
                "conditions": {"rules": [{"type": "field", "field": "nope", "op": "equals"}]},
            },
            "conditions",
        ),
    ],
)
def test_post_invalid_list_names_field(api_client, account, body, field):
    response = send(api_client, "POST", "/api/v1/lists/", body)

    assert response.status_code == 400
    assert field in response.json()
    assert not ContactList.objects.filter(account=account).exists()


def test_post_duplicate_name_names_name(api_client, account):
    list_actions.create_list(account, name="VIP")

    response = send(api_client, "POST", "/api/v1/lists/", {"name": " VIP "})

    assert response.status_code == 400
    assert response.json()["name"] == ["A list named “VIP” exists."]


def test_get_lists_with_member_counts(
    api_client, account, outsider_account, django_assert_max_num_queries
):
    static = list_actions.create_list(account, name="VIP")
    list_actions.add_contacts(
        account, static, [make_contact(account, email="a@example.com")], source="test"
    )
    dynamic = list_actions.create_list(account, name="Holon", kind="dynamic", conditions=HOLON)
    make_contact(account, email="h@example.com", city="חולון")
    list_actions.create_list(outsider_account, name="Theirs")

    with django_assert_max_num_queries(10):
        response = api_client.get("/api/v1/lists/")

    assert response.status_code == 200
    counts = {row["id"]: row["member_count"] for row in response.json()["results"]}
    assert counts == {static.pk: 1, dynamic.pk: 1}


def test_patch_renames_and_changes_conditions(api_client, account):
    dynamic = list_actions.create_list(account, name="Holon", kind="dynamic", conditions=HOLON)
    haifa = {
        "match": "all",
        "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חיפה"}],
    }

    response = send(
        api_client, "PATCH", f"/api/v1/lists/{dynamic.pk}/", {"name": "Haifa", "conditions": haifa}
    )

    assert response.status_code == 200
    dynamic.refresh_from_db()
    assert dynamic.name == "Haifa"
    assert dynamic.conditions == haifa


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "dynamic"}, "kind"),
        ({"conditions": HOLON}, "conditions"),
        ({"name": ""}, "name"),
    ],
)
def test_patch_invalid_change_names_field(api_client, account, body, field):
    static = list_actions.create_list(account, name="VIP")

    response = send(api_client, "PATCH", f"/api/v1/lists/{static.pk}/", body)

    assert response.status_code == 400
    assert field in response.json()
    static.refresh_from_db()
    assert static.name == "VIP"
    assert static.kind == "static"
    assert static.conditions == {}


def test_delete_removes_list_but_keeps_contacts(api_client, account):
    static = list_actions.create_list(account, name="VIP")
    contact = make_contact(account, email="a@example.com")
    list_actions.add_contacts(account, static, [contact], source="test")

    response = api_client.delete(f"/api/v1/lists/{static.pk}/")

    assert response.status_code == 204
    assert not ContactList.objects.filter(pk=static.pk).exists()
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_members_of_static_and_dynamic_lists(api_client, account):
    holon = make_contact(account, email="h@example.com", city="חולון")
    other = make_contact(account, email="o@example.com")
    static = list_actions.create_list(account, name="VIP")
    list_actions.add_contacts(account, static, [other], source="test")
    dynamic = list_actions.create_list(account, name="Holon", kind="dynamic", conditions=HOLON)

    in_static = api_client.get(f"/api/v1/lists/{static.pk}/members/")
    in_dynamic = api_client.get(f"/api/v1/lists/{dynamic.pk}/members/")

    assert [c["id"] for c in in_static.json()["results"]] == [other.pk]
    assert [c["id"] for c in in_dynamic.json()["results"]] == [holon.pk]


def test_add_members_by_id_and_by_values(api_client, account):
    static = list_actions.create_list(account, name="VIP")
    known = make_contact(account, email="known@example.com")

    response = send(
        api_client,
        "POST",
        f"/api/v1/lists/{static.pk}/members/",
        {
            "contact_ids": [known.pk],
            "contacts": [
                {"email": "New@Example.com", "first_name": "חדש"},
                {"email": "known@example.com"},
            ],
        },
    )

    assert response.status_code == 200
    body = response.json()
    created = Contact.objects.get(account=account, email="new@example.com")
    assert created.first_name == "חדש"
    assert body["added"] == 2
    assert body["contact_ids"] == [known.pk, created.pk]
    assert member_ids(static) == {known.pk, created.pk}


def test_add_members_skips_existing_members(api_client, account):
    static = list_actions.create_list(account, name="VIP")
    contact = make_contact(account, email="a@example.com")
    list_actions.add_contacts(account, static, [contact], source="test")

    response = send(
        api_client, "POST", f"/api/v1/lists/{static.pk}/members/", {"contact_ids": [contact.pk]}
    )

    assert response.status_code == 200
    assert response.json()["added"] == 0


def test_add_members_with_unknown_id_saves_nothing(api_client, account, outsider_account):
    static = list_actions.create_list(account, name="VIP")
    mine = make_contact(account, email="a@example.com")
    theirs = make_contact(outsider_account, email="b@example.com")

    response = send(
        api_client,
        "POST",
        f"/api/v1/lists/{static.pk}/members/",
        {"contact_ids": [mine.pk, theirs.pk], "contacts": [{"email": "new@example.com"}]},
    )

    assert response.status_code == 400
    assert response.json()["contact_ids"] == [f"No contact has the ID {theirs.pk}."]
    assert member_ids(static) == set()
    assert not Contact.objects.filter(account=account, email="new@example.com").exists()


def test_add_members_with_invalid_row_saves_nothing(api_client, account):
    contact_actions.create_custom_field(account, label="Visits", key="visits", type="number")
    static = list_actions.create_list(account, name="VIP")

    response = send(
        api_client,
        "POST",
        f"/api/v1/lists/{static.pk}/members/",
        {
            "contacts": [
                {"email": "good@example.com"},
                {"email": "bad-address"},
                {"email": "c@example.com", "fields": {"visits": "many"}},
            ]
        },
    )

    assert response.status_code == 400
    rows = response.json()["contacts"]
    assert rows[0] == {}
    assert "email" in rows[1]
    assert rows[2] == {"fields": {"visits": ["“many” is not a number."]}}
    assert not Contact.objects.filter(account=account).exists()
    assert member_ids(static) == set()


def test_add_members_needs_ids_or_contacts(api_client, account):
    static = list_actions.create_list(account, name="VIP")

    response = send(api_client, "POST", f"/api/v1/lists/{static.pk}/members/", {})

    assert response.status_code == 400
    assert "contact_ids" in response.json()


def test_add_members_to_dynamic_list_is_rejected(api_client, account):
    dynamic = list_actions.create_list(account, name="Holon", kind="dynamic", conditions=HOLON)
    contact = make_contact(account, email="a@example.com")

    response = send(
        api_client, "POST", f"/api/v1/lists/{dynamic.pk}/members/", {"contact_ids": [contact.pk]}
    )

    assert response.status_code == 400
    assert "dynamic list" in response.json()["detail"][0]


def test_remove_members(api_client, account):
    static = list_actions.create_list(account, name="VIP")
    leaving = make_contact(account, email="a@example.com")
    staying = make_contact(account, email="b@example.com")
    outside = make_contact(account, email="c@example.com")
    list_actions.add_contacts(account, static, [leaving, staying], source="test")

    response = send(
        api_client,
        "POST",
        f"/api/v1/lists/{static.pk}/members/remove/",
        {"contact_ids": [leaving.pk, outside.pk]},
    )

    assert response.status_code == 200
    assert response.json() == {"removed": 1}
    assert member_ids(static) == {staying.pk}


def test_remove_one_member(api_client, account):
    static = list_actions.create_list(account, name="VIP")
    contact = make_contact(account, email="a@example.com")
    list_actions.add_contacts(account, static, [contact], source="test")

    removed = api_client.delete(f"/api/v1/lists/{static.pk}/members/{contact.pk}/")
    again = api_client.delete(f"/api/v1/lists/{static.pk}/members/{contact.pk}/")

    assert removed.status_code == 204
    assert again.status_code == 404
    assert member_ids(static) == set()


def test_outsider_key_gets_404_and_changes_nothing(outsider_api_client, account):
    static = list_actions.create_list(account, name="VIP")
    contact = make_contact(account, email="a@example.com")
    list_actions.add_contacts(account, static, [contact], source="test")
    before = ContactList.objects.filter(pk=static.pk).values().get()
    base = f"/api/v1/lists/{static.pk}/"

    responses = [
        outsider_api_client.get(base),
        send(outsider_api_client, "PATCH", base, {"name": "Stolen"}),
        outsider_api_client.get(base + "members/"),
        send(
            outsider_api_client,
            "POST",
            base + "members/",
            {"contacts": [{"email": "x@example.org"}]},
        ),
        send(outsider_api_client, "POST", base + "members/remove/", {"contact_ids": [contact.pk]}),
        outsider_api_client.delete(f"{base}members/{contact.pk}/"),
        outsider_api_client.delete(base),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert ContactList.objects.filter(pk=static.pk).values().get() == before
    assert member_ids(static) == {contact.pk}
    assert Contact.objects.count() == 1


def test_outsider_cannot_add_others_contacts_to_own_list(
    outsider_api_client, outsider_account, account
):
    theirs = list_actions.create_list(outsider_account, name="Theirs")
    contact = make_contact(account, email="a@example.com")

    response = send(
        outsider_api_client,
        "POST",
        f"/api/v1/lists/{theirs.pk}/members/",
        {"contact_ids": [contact.pk]},
    )

    assert response.status_code == 400
    assert "contact_ids" in response.json()
    assert member_ids(theirs) == set()
