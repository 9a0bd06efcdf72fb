"""Exports of the contact table: the bytes of the CSV and XLSX files."""

import csv
import datetime
import io
import zoneinfo
from urllib.parse import unquote

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation

from contacts import actions
from contacts.fields import SYSTEM_FIELDS
from contacts.models import FieldType

EXPORT = reverse("contacts:export")
BOM = b"\xef\xbb\xbf"


def label(key):
    """Return a system field's label as the exports write it: in Hebrew, the default."""
    with translation.override("he"):
        return next(str(spec.label) for spec in SYSTEM_FIELDS if spec.key == key)


def add(account, **values):
    return actions.upsert_contact(account, values, source="api").contact


@pytest.fixture
def contacts(account):
    actions.create_custom_field(account, label="מקור הרשמה", key="source", type=FieldType.TEXT)
    actions.create_custom_field(account, label="הזמנות", key="orders", type=FieldType.NUMBER)
    add(
        account,
        email="dana@example.com",
        first_name="דנה",
        mobile="+972501234567",
        source="פייסבוק",
        orders=3,
    )
    add(
        account,
        email="avi@example.com",
        first_name="אבי",
        mobile="052-7654321",
        source="גוגל",
        orders=12,
    )
    add(account, email="tal@example.com", first_name="טל", source="פייסבוק")


def csv_rows(response):
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"))))


def open_workbook(response):
    body = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(body))


@pytest.mark.django_db
def test_csv_has_bom_and_hebrew(owner_client, contacts):
    response = owner_client.get(
        EXPORT, {"format": "csv", "columns": "first_name,mobile,source", "sort": "first_name"}
    )

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == [label("first_name"), label("mobile"), "מקור הרשמה"]
    assert rows[1:] == [
        ["אבי", "052-765-4321", "גוגל"],
        ["דנה", "050-123-4567", "פייסבוק"],
        ["טל", "", "פייסבוק"],
    ]


@pytest.mark.django_db
def test_csv_follows_search_filters_and_sort(owner_client, contacts):
    response = owner_client.get(
        EXPORT,
        {
            "format": "csv",
            "columns": "email,orders",
            "sort": "-orders",
            "filter_field": "source",
            "filter_op": "equals",
            "filter_value": "פייסבוק",
            "filter_value2": "",
            "q": "example.com",
        },
    )

    assert csv_rows(response)[1:] == [["dana@example.com", "3"], ["tal@example.com", ""]]


@pytest.mark.django_db
def test_csv_contains_every_page(owner_client, account):
    actions.upsert_contacts(
        account, [{"email": f"c{i:03}@example.com"} for i in range(130)], source="import"
    )

    response = owner_client.get(EXPORT, {"format": "csv", "columns": "email", "sort": "email"})

    rows = csv_rows(response)
    assert len(rows) == 131
    assert rows[-1] == ["c129@example.com"]


@pytest.mark.django_db
def test_csv_uses_remembered_columns(owner_client, contacts):
    owner_client.get(reverse("contacts:index"), {"columns": "source,email"})

    response = owner_client.get(EXPORT, {"format": "csv"})

    assert csv_rows(response)[0] == ["מקור הרשמה", label("email")]


@pytest.mark.django_db
def test_csv_neutralises_formulas(owner_client, account):
    add(account, email="x@example.com", first_name="=HYPERLINK(1)")

    response = owner_client.get(EXPORT, {"format": "csv", "columns": "first_name"})

    assert csv_rows(response)[1] == ["'=HYPERLINK(1)"]


@pytest.mark.django_db
def test_xlsx_headers_phones_and_direction(owner_client, contacts):
    response = owner_client.get(
        EXPORT,
        {"format": "xlsx", "columns": "first_name,mobile,source,orders", "sort": "first_name"},
    )

    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = open_workbook(response).active
    assert sheet.sheet_view.rightToLeft is True
    header = [cell.value for cell in sheet[1]]
    assert header == [label("first_name"), label("mobile"), "מקור הרשמה", "הזמנות"]
    phone = sheet["B3"]
    assert phone.value == "050-123-4567"
    assert phone.data_type == "s"
    assert isinstance(phone.value, str)
    assert phone.value.startswith("0")
    assert sheet["C3"].value == "פייסבוק"
    assert sheet["D3"].value == 3
    assert sheet["D3"].data_type == "n"
    assert sheet.max_row == 4


@pytest.mark.django_db
def test_xlsx_writes_dates_as_dates(owner_client, account):
    add(account, email="b@example.com", birthday="31/12/1990")

    response = owner_client.get(EXPORT, {"format": "xlsx", "columns": "email,birthday"})

    cell = open_workbook(response).active["B2"]
    assert cell.is_date
    assert cell.value.date() == datetime.date(1990, 12, 31)
    assert cell.number_format == "DD/MM/YYYY"


@pytest.mark.django_db
def test_xlsx_keeps_formula_text_as_text(owner_client, account):
    add(account, email="x@example.com", first_name="=1+2")

    response = owner_client.get(EXPORT, {"format": "xlsx", "columns": "first_name"})

    cell = open_workbook(response).active["A2"]
    assert cell.value == "=1+2"
    assert cell.data_type == "s"


@pytest.mark.django_db
def test_export_filename_has_local_date(owner_client, contacts):
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo("Asia/Jerusalem"))

    response = owner_client.get(EXPORT, {"format": "xlsx"})

    disposition = unquote(response["Content-Disposition"])
    assert disposition.startswith("attachment;")
    # The Hebrew default name is sent RFC 5987 encoded, without quotes.
    assert f" {today.isoformat()}.xlsx" in disposition


@pytest.mark.django_db
def test_unknown_export_format_is_rejected(owner_client, contacts):
    response = owner_client.get(EXPORT, {"format": "pdf"})

    assert response.status_code == 400


@pytest.mark.django_db
def test_outsider_export_has_only_own_contacts(outsider_client, contacts, outsider_account):
    add(outsider_account, email="mine@example.org")

    response = outsider_client.get(EXPORT, {"format": "csv", "columns": "email"})

    assert csv_rows(response)[1:] == [["mine@example.org"]]
