import pytest

from contacts import actions as contact_actions
from lists import actions as list_actions
from lists.models import ListKind, ListMembership


@pytest.fixture
def static_list(account):
    contact_list = list_actions.create_list(account, name="לקוחות VIP")
    contacts = [
        contact_actions.upsert_contact(
            account, {"email": f"m{i}@example.com"}, source="api"
        ).contact
        for i in range(3)
    ]
    list_actions.add_contacts(account, contact_list, contacts, source="manual")
    return contact_list, contacts


@pytest.mark.django_db
def test_static_list_page_offers_add_and_remove(owner_client, static_list):
    contact_list, contacts = static_list
    page = owner_client.get(f"/lists/{contact_list.pk}/").content.decode()

    assert f'href="/lists/{contact_list.pk}/members/add/"' in page
    assert f'action="/lists/{contact_list.pk}/members/remove/"' in page
    assert f'name="contact" value="{contacts[0].pk}" form="remove-members-form"' in page


@pytest.mark.django_db
def test_ticked_members_are_removed(owner_client, static_list):
    contact_list, contacts = static_list
    response = owner_client.post(
        f"/lists/{contact_list.pk}/members/remove/",
        {"contact": [contacts[0].pk, contacts[1].pk], "next": f"/lists/{contact_list.pk}/"},
    )

    assert response.status_code == 302
    remaining = ListMembership.objects.filter(contact_list=contact_list)
    assert list(remaining.values_list("contact_id", flat=True)) == [contacts[2].pk]


@pytest.mark.django_db
def test_dynamic_list_page_has_no_member_checkboxes(owner_client, account):
    dynamic = list_actions.create_list(
        account,
        name="חולון",
        kind=ListKind.DYNAMIC,
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
        },
    )
    page = owner_client.get(f"/lists/{dynamic.pk}/").content.decode()
    assert "remove-members-form" not in page
    assert "/members/add/" not in page
