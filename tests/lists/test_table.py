"""A list's page: its members in the contact table, and their export."""

import csv
import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from contacts import actions
from contacts.fields import SYSTEM_FIELDS
from contacts.models import Contact, FieldType
from lists import actions as list_actions
from lists.models import ListKind

BOM = b"\xef\xbb\xbf"


def label(key):
    """Return a system field's label as the exports write it: in Hebrew, the default."""
    with translation.override("he"):
        return next(str(spec.label) for spec in SYSTEM_FIELDS if spec.key == key)


def add(account, **values):
    return actions.upsert_contact(account, values, source="api").contact


def shown_emails(response):
    return [row.contact.email for row in response.context["table"]["rows"]]


def csv_rows(response):
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"))))


@pytest.fixture
def holon_list(account):
    return list_actions.create_list(
        account,
        name="תושבי חולון",
        kind=ListKind.DYNAMIC,
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
        },
    )


@pytest.fixture
def static_list(account):
    return list_actions.create_list(account, name="לקוחות VIP")


@pytest.mark.django_db
def test_dynamic_list_shows_matching_contacts(owner_client, account, holon_list):
    add(account, email="h1@example.com", city="חולון")
    add(account, email="h2@example.com", city="חולון")
    add(account, email="t@example.com", city="תל אביב")
    add(account, email="none@example.com")

    response = owner_client.get(reverse("lists:detail", args=[holon_list.pk]), {"sort": "email"})

    assert response.status_code == 200
    assert shown_emails(response) == ["h1@example.com", "h2@example.com"]


@pytest.mark.django_db
def test_dynamic_list_follows_field_changes(owner_client, account, holon_list):
    contact = add(account, email="mover@example.com", city="תל אביב")
    url = reverse("lists:detail", args=[holon_list.pk])
    before = owner_client.get(url)

    actions.upsert_contact(account, {"email": contact.email, "city": "חולון"}, source="api")
    after = owner_client.get(url)

    assert shown_emails(before) == []
    assert shown_emails(after) == ["mover@example.com"]


@pytest.mark.django_db
def test_static_list_shows_its_members(owner_client, account, static_list):
    member = add(account, email="member@example.com")
    add(account, email="outside@example.com")
    list_actions.add_contacts(account, static_list, [member], source="manual")

    response = owner_client.get(reverse("lists:detail", args=[static_list.pk]))

    assert shown_emails(response) == ["member@example.com"]


@pytest.mark.django_db
def test_list_page_header(owner_client, account, holon_list):
    for i in range(3):
        add(account, email=f"h{i}@example.com", city="חולון")

    response = owner_client.get(
        reverse("lists:detail", args=[holon_list.pk]), {"q": "h1@"}
    )

    body = response.content.decode()
    assert "<h1>תושבי חולון</h1>" in body
    assert holon_list.get_kind_display() in body
    assert response.context["member_count"]() == 3
    assert len(shown_emails(response)) == 1
    assert f'href="{reverse("lists:edit", args=[holon_list.pk])}"' in body


@pytest.mark.django_db
def test_list_search_and_filter_narrow_members(owner_client, account, holon_list):
    actions.create_custom_field(account, label="מקור הרשמה", key="source", type=FieldType.TEXT)
    add(account, email="fb@example.com", city="חולון", source="פייסבוק", mobile="050-1112233")
    add(account, email="g@example.com", city="חולון", source="גוגל", mobile="050-4445566")
    add(account, email="elsewhere@example.com", city="חיפה", source="פייסבוק", mobile="050-1112234")

    response = owner_client.get(
        reverse("lists:detail", args=[holon_list.pk]),
        {"q": "0501112", "filter_field": "source", "filter_op": "equals", "filter_value": "פייסבוק"},
    )

    assert shown_emails(response) == ["fb@example.com"]


@pytest.mark.django_db
def test_list_columns_remembered_separately(owner_client, account, holon_list):
    url = reverse("lists:detail", args=[holon_list.pk])
    owner_client.get(url, {"columns": "email,city"})

    list_page = owner_client.get(url)
    contacts_page = owner_client.get(reverse("contacts:index"))

    assert [h.key for h in list_page.context["table"]["headers"]] == ["email", "city"]
    assert [h.key for h in contacts_page.context["table"]["headers"]][0] == "first_name"


@pytest.mark.django_db
def test_list_with_broken_conditions_shows_reason(owner_client, account):
    custom = actions.create_custom_field(account, label="Channel", key="channel", type=FieldType.TEXT)
    broken = list_actions.create_list(
        account,
        name="From Facebook",
        kind=ListKind.DYNAMIC,
        conditions={"rules": [{"type": "field", "field": "channel", "op": "equals", "value": "fb"}]},
    )
    add(account, email="a@example.com", channel="fb")
    actions.delete_custom_field(account, custom)

    response = owner_client.get(reverse("lists:detail", args=[broken.pk]))

    assert response.status_code == 200
    assert shown_emails(response) == []
    assert "channel" in response.context["condition_error"]


@pytest.mark.django_db
def test_list_htmx_request_gets_fragment(owner_client, account, holon_list):
    add(account, email="h@example.com", city="חולון")

    response = owner_client.get(
        reverse("lists:detail", args=[holon_list.pk]), {"page": "1"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert "<html" not in body
    assert "h@example.com" in body
    assert f'hx-get="{reverse("lists:detail", args=[holon_list.pk])}' in body


@pytest.mark.django_db
def test_list_csv_export_has_members_only(owner_client, account, holon_list):
    add(account, email="h@example.com", first_name="חן", city="חולון", mobile="0541234567")
    add(account, email="t@example.com", city="תל אביב")

    response = owner_client.get(
        reverse("lists:export", args=[holon_list.pk]),
        {"format": "csv", "columns": "first_name,mobile,city"},
    )

    assert csv_rows(response) == [
        [label("first_name"), label("mobile"), label("city")],
        ["חן", "054-123-4567", "חולון"],
    ]
    assert "תושבי חולון" in unquote(response["Content-Disposition"])


@pytest.mark.django_db
def test_list_xlsx_export_names_sheet_and_file(owner_client, account, holon_list):
    add(account, email="h@example.com", city="חולון", mobile="0541234567")

    response = owner_client.get(
        reverse("lists:export", args=[holon_list.pk]), {"format": "xlsx", "columns": "mobile,city"}
    )

    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    assert sheet.title == "תושבי חולון"
    assert sheet.sheet_view.rightToLeft is True
    assert sheet["A2"].value == "054-123-4567"
    assert sheet["A2"].data_type == "s"
    disposition = unquote(response["Content-Disposition"])
    assert "תושבי חולון" in disposition
    assert disposition.endswith(".xlsx")


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["lists:detail", "lists:export"])
def test_outsider_gets_404_for_list(outsider_client, account, holon_list, url_name):
    add(account, email="secret@example.com", city="חולון")

    response = outsider_client.get(reverse(url_name, args=[holon_list.pk]), {"format": "csv"})

    assert response.status_code == 404
    assert b"secret@example.com" not in response.content
    assert Contact.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_teammate_sees_the_list(teammate_client, account, holon_list):
    add(account, email="h@example.com", city="חולון")

    response = teammate_client.get(reverse("lists:detail", args=[holon_list.pk]))

    assert shown_emails(response) == ["h@example.com"]


@pytest.mark.django_db
def test_list_page_query_count_constant(owner_client, account, holon_list):
    url = reverse("lists:detail", args=[holon_list.pk])
    actions.upsert_contacts(
        account, [{"email": f"c{i}@example.com", "city": "חולון"} for i in range(3)], source="import"
    )
    owner_client.get(url)
    with CaptureQueriesContext(connection) as few:
        owner_client.get(url)

    actions.upsert_contacts(
        account, [{"email": f"d{i}@example.com", "city": "חולון"} for i in range(80)], source="import"
    )
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(url)

    assert len(response.context["table"]["rows"]) == 50
    assert len(many) == len(few)
    assert len(many) <= 12
