"""The custom field screens: list, create, edit and delete."""

import pytest
from django.urls import reverse

from contacts import actions
from contacts.models import Contact, CustomField, FieldType
from lists import actions as list_actions
from lists.models import ListKind
from smoove.middleware import LANGUAGE_SESSION_KEY

pytestmark = pytest.mark.django_db


def in_english(client):
    """Switch a client's interface to English, so the asserted wording is the source text."""
    session = client.session
    session[LANGUAGE_SESSION_KEY] = "en"
    session.save()
    return client


@pytest.fixture
def owner_client(owner_client):
    return in_english(owner_client)


@pytest.fixture
def teammate_client(teammate_client):
    return in_english(teammate_client)


@pytest.fixture
def branch(account):
    return actions.create_custom_field(
        account, label="Branch", key="branch", type=FieldType.CHOICE, choices=["Holon", "Haifa"]
    )


def field_row(page, key):
    """Return the index table row of the field with this key."""
    before, after = page.split(f'<code class="ltr">{key}</code>')
    return before.rsplit("<tr>", 1)[1] + after.split("</tr>")[0]


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
@pytest.mark.parametrize("url_name", ["contacts:field_index", "contacts:field_create"])
def test_pages_render_for_account_members(request, client_name, url_name, branch):
    response = request.getfixturevalue(client_name).get(reverse(url_name))

    assert response.status_code == 200


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
@pytest.mark.parametrize("url_name", ["contacts:field_edit", "contacts:field_delete"])
def test_field_pages_render_for_account_members(request, client_name, url_name, branch):
    response = request.getfixturevalue(client_name).get(reverse(url_name, args=[branch.pk]))

    assert response.status_code == 200


def test_index_lists_label_key_and_type(owner_client, branch):
    page = owner_client.get(reverse("contacts:field_index")).content.decode()

    row = field_row(page, "branch")
    assert "Branch" in row
    assert "Single choice" in row
    assert "Holon, Haifa" in row


def test_create_choice_field_with_one_choice_per_line(owner_client, account):
    response = owner_client.post(
        reverse("contacts:field_create"),
        {
            "label": "Shoe size",
            "type": FieldType.CHOICE,
            "choices": " 38\n\n39\r\n40 \n",
            "key": "",
        },
    )

    assert response.status_code == 302
    created = CustomField.objects.get(account=account, label="Shoe size")
    assert created.key == "shoe_size"
    assert created.type == FieldType.CHOICE
    assert created.choices == ["38", "39", "40"]


def test_create_hebrew_label_gets_numbered_key(owner_client, account):
    owner_client.post(
        reverse("contacts:field_create"), {"label": "תאריך הצטרפות", "type": FieldType.DATE}
    )

    created = CustomField.objects.get(account=account, label="תאריך הצטרפות")
    assert created.key == "field_1"


def test_create_text_field_ignores_choices(owner_client, account):
    owner_client.post(
        reverse("contacts:field_create"),
        {"label": "Notes", "type": FieldType.TEXT, "choices": "a\nb"},
    )

    assert CustomField.objects.get(account=account, label="Notes").choices == []


@pytest.mark.parametrize(
    ("data", "field_name", "message"),
    [
        ({"label": "", "type": FieldType.TEXT}, "label", "This field is required."),
        (
            {"label": "Size", "type": FieldType.CHOICE, "choices": ""},
            "choices",
            "Add at least one choice, one per line.",
        ),
        (
            {"label": "Size", "type": FieldType.MULTI_CHOICE, "choices": "S\nM\ns"},
            "choices",
            "The choice “s” is listed twice.",
        ),
        (
            {"label": "Size", "type": FieldType.TEXT, "key": "Shoe Size"},
            "key",
            "is not a valid key",
        ),
        ({"label": "Size", "type": FieldType.TEXT, "key": "email"}, "key", "Taken."),
        (
            {"label": "Size", "type": FieldType.TEXT, "key": "branch"},
            "key",
            "A field with this key exists.",
        ),
        (
            {"label": "Branch", "type": FieldType.TEXT},
            "label",
            "A field with the key “branch” exists.",
        ),
        (
            {"label": "Branch", "type": FieldType.TEXT, "key": "store"},
            "label",
            "A field with this name exists.",
        ),
    ],
)
def test_create_shows_errors_beside_fields(
    owner_client, account, branch, data, field_name, message
):
    response = owner_client.post(reverse("contacts:field_create"), data)

    page = response.content.decode()
    assert response.status_code == 200
    row = page.split(f'name="{field_name}"')[1].split('class="form-row"')[0]
    assert message in row
    assert CustomField.objects.filter(account=account).count() == 1


def test_edit_renames_and_changes_choices(owner_client, account, branch):
    response = owner_client.post(
        reverse("contacts:field_edit", args=[branch.pk]),
        {"label": "Store", "choices": "Holon\nEilat"},
    )

    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.label == "Store"
    assert branch.choices == ["Holon", "Eilat"]
    assert branch.key == "branch"
    assert branch.type == FieldType.CHOICE


def test_edit_form_shows_choices_one_per_line(owner_client, branch):
    page = owner_client.get(reverse("contacts:field_edit", args=[branch.pk])).content.decode()

    assert "Holon\nHaifa</textarea>" in page


def test_edit_of_text_field_has_no_choices(owner_client, account):
    notes = actions.create_custom_field(account, label="Notes", type=FieldType.TEXT)

    page = owner_client.get(reverse("contacts:field_edit", args=[notes.pk])).content.decode()

    assert 'name="choices"' not in page


def test_edit_rejects_taken_name(owner_client, account, branch):
    actions.create_custom_field(account, label="City of birth", type=FieldType.TEXT)

    response = owner_client.post(
        reverse("contacts:field_edit", args=[branch.pk]),
        {"label": "City of birth", "choices": "Holon"},
    )

    assert "A field with this name exists." in response.content.decode()
    branch.refresh_from_db()
    assert branch.label == "Branch"


def test_delete_confirmation_counts_contacts_with_values(owner_client, account, branch):
    for email in ("a@example.com", "b@example.com"):
        actions.upsert_contact(account, {"email": email, "branch": "Holon"}, source="manual")
    actions.upsert_contact(account, {"email": "c@example.com"}, source="manual")

    page = owner_client.get(reverse("contacts:field_delete", args=[branch.pk])).content.decode()

    assert "2 contacts have a value in this field." in page


def test_delete_removes_field_and_keeps_values(owner_client, account, branch):
    contact = actions.upsert_contact(
        account, {"email": "a@example.com", "branch": "Holon"}, source="manual"
    ).contact

    response = owner_client.post(reverse("contacts:field_delete", args=[branch.pk]))

    assert response.status_code == 302
    assert not CustomField.objects.filter(pk=branch.pk).exists()
    assert Contact.objects.get(pk=contact.pk).fields == {"branch": "Holon"}


def test_delete_rejected_while_list_uses_field(owner_client, account, branch):
    in_holon = list_actions.create_list(
        account,
        name="Holon customers",
        kind=ListKind.DYNAMIC,
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "branch", "op": "equals", "value": "Holon"}],
        },
    )

    page = owner_client.get(reverse("contacts:field_delete", args=[branch.pk])).content.decode()
    response = owner_client.post(reverse("contacts:field_delete", args=[branch.pk]))

    assert "Holon customers" in page
    assert reverse("lists:edit", args=[in_holon.pk]) in page
    assert response.status_code == 409
    assert CustomField.objects.filter(pk=branch.pk).exists()


@pytest.mark.parametrize(
    ("method", "url_name", "data"),
    [
        ("get", "contacts:field_edit", None),
        ("post", "contacts:field_edit", {"label": "Hijacked", "choices": "x"}),
        ("get", "contacts:field_delete", None),
        ("post", "contacts:field_delete", {}),
    ],
)
def test_outsider_gets_404_and_changes_nothing(outsider_client, branch, method, url_name, data):
    url = reverse(url_name, args=[branch.pk])

    response = outsider_client.get(url) if method == "get" else outsider_client.post(url, data)

    assert response.status_code == 404
    stored = CustomField.objects.get(pk=branch.pk)
    assert stored.label == "Branch"
    assert stored.choices == ["Holon", "Haifa"]


def test_outsider_index_does_not_show_this_accounts_fields(outsider_client, branch):
    page = outsider_client.get(reverse("contacts:field_index")).content.decode()

    assert "branch" not in page
