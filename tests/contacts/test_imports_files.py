"""Reading import files: encodings, delimiters, quoting, XLSX cells, mapping suggestions."""

from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import actions as contact_actions
from contacts import imports
from contacts.imports import CONSENT_COLUMN, ImportFileError
from contacts.models import FieldType, ImportJob
from tests.realdata import REALDATA as REALDATA_ROOT

REALDATA = REALDATA_ROOT / "imports"


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        content = (REALDATA / name).read_bytes()
    return SimpleUploadedFile(name, content)


def rows_of(job: ImportJob) -> list[imports.SourceRow]:
    return list(imports.iter_rows(job))


@pytest.mark.django_db
def test_windows_1255_csv_is_detected(account):
    job = imports.create_import(account, None, upload("hebrew-excel-windows1255.csv"))

    assert job.file_format == "csv"
    assert job.encoding == "cp1255"
    assert job.delimiter == ","
    assert job.headers == ["שם פרטי", "שם משפחה", "טלפון נייד", 'דוא"ל', "עיר"]
    rows = rows_of(job)
    assert len(rows) == 16
    assert rows[0] == imports.SourceRow(
        2, ["דנה", "לוי", "050-0000001", "Dana.Levi@Example.co.il", "חיפה"]
    )


@pytest.mark.django_db
def test_utf8_bom_is_not_part_of_first_header(account):
    job = imports.create_import(account, None, upload("utf8-bom.csv"))

    assert job.encoding == "utf-8-sig"
    assert job.headers[0] == "email"
    assert job.headers == [
        "email",
        "first_name",
        "last_name",
        "mobile",
        "external_id",
        "עיר",
        "opt_in",
    ]
    assert len(rows_of(job)) == 17


@pytest.mark.django_db
def test_semicolon_delimiter_wins_over_decimal_comma(account):
    job = imports.create_import(account, None, upload("semicolon-delimited.csv"))

    assert job.encoding == "utf-8"
    assert job.delimiter == ";"
    assert job.headers == ["First Name", "Last Name", "Phone", "Email", "Notes", "Total Spent"]
    rows = rows_of(job)
    assert [row.number for row in rows] == [2, 3, 4, 5]
    assert rows[0].values[4] == "לקוחה VIP; מעדיפה וואטסאפ"
    assert rows[0].values[5] == "1.234,50"
    assert rows[1].values[4] == "line one\nline two"
    assert rows[2].values[4] == 'ציטוט "בתוך" הערה'
    assert rows[3].values == ["רבקה", "", "972500000004", "rivka@example", "", ""]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("delimiter", "name"),
    [("\t", "tab.txt"), ("|", "pipe.csv"), (",", "comma.csv"), (";", "semicolon.csv")],
)
def test_common_delimiters_are_sniffed(account, delimiter, name):
    lines = [
        ["email", "first_name", "city"],
        ["a@example.com", "Avi", "Tel Aviv, Jaffa"],
        ["b@example.com", "Bat-El", "1.234,50"],
    ]
    text = "\r\n".join(
        delimiter.join(f'"{cell}"' if delimiter in cell else cell for cell in line)
        for line in lines
    )
    job = imports.create_import(account, None, upload(name, text.encode("utf-8")))

    assert job.delimiter == delimiter
    assert job.headers == ["email", "first_name", "city"]
    assert rows_of(job)[0].values == ["a@example.com", "Avi", "Tel Aviv, Jaffa"]


@pytest.mark.django_db
def test_short_windows_1255_file_detected(account):
    content = "שם,טלפון\r\nדנה,050-0000001\r\n".encode("cp1255")

    job = imports.create_import(account, None, upload("short.csv", content))

    assert job.encoding == "cp1255"
    assert job.headers == ["שם", "טלפון"]


@pytest.mark.django_db
def test_xlsx_reads_first_sheet_cells_as_text(account):
    job = imports.create_import(account, None, upload("hebrew-headers.xlsx"))

    assert job.file_format == "xlsx"
    assert job.headers == [
        "שם פרטי",
        "שם משפחה",
        "טלפון נייד",
        'דוא"ל',
        "עיר",
        "תאריך הצטרפות",
        "מזהה חיצוני",
    ]
    rows = rows_of(job)
    by_number = {row.number: row.values for row in rows}
    # 16 contacts, then two blank rows (skipped) and the totals row.
    assert sorted(by_number) == [*range(2, 18), 20]
    assert by_number[2][5] == "2024-01-01"
    assert by_number[2][6] == "001000"
    assert by_number[3][2] == "500000002"
    assert by_number[3][6] == "1001"
    assert by_number[5][2] == "972500000004"
    assert by_number[20][0] == 'סה"כ'


@pytest.mark.django_db
def test_xlsx_skips_empty_first_sheet(account, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "ריק"
    sheet = workbook.create_sheet("נתונים")
    sheet.append(["email", "external id", "amount"])
    sheet.append(["mailto:Avi@Example.com", 1000, 12.5])
    path = tmp_path / "two-sheets.xlsx"
    workbook.save(path)

    job = imports.create_import(account, None, upload("two-sheets.xlsx", path.read_bytes()))

    assert job.headers == ["email", "external id", "amount"]
    assert rows_of(job)[0].values == ["mailto:Avi@Example.com", "1000", "12.5"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"email,first_name\r\n", "no contacts"),
        (b"\r\n\r\n", "no rows"),
        (b"PK\x03\x04 not really a workbook", "not a valid Excel workbook"),
    ],
)
def test_unreadable_upload_is_rejected_and_not_stored(account, content, message, english):
    with pytest.raises(ImportFileError) as caught:
        imports.create_import(account, None, upload("bad.csv", content))

    assert message in str(caught.value)
    assert not ImportJob.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_upload_is_stored_under_media_root(account, settings):
    job = imports.create_import(account, None, upload("utf8-bom.csv"))

    stored = Path(job.file.path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert stored.read_bytes() == (REALDATA / "utf8-bom.csv").read_bytes()
    assert job.original_name == "utf8-bom.csv"


@pytest.mark.django_db
def test_mapping_suggested_from_hebrew_headers(account):
    job = imports.create_import(account, None, upload("hebrew-excel-windows1255.csv"))

    assert imports.suggest_mapping(account, job.headers) == {
        0: "first_name",
        1: "last_name",
        2: "mobile",
        3: "email",
        4: "city",
    }


@pytest.mark.django_db
def test_mapping_suggested_from_english_headers_and_consent_column(account):
    job = imports.create_import(account, None, upload("utf8-bom.csv"))

    assert imports.suggest_mapping(account, job.headers) == {
        0: "email",
        1: "first_name",
        2: "last_name",
        3: "mobile",
        4: "external_id",
        5: "city",
        6: CONSENT_COLUMN,
    }


@pytest.mark.django_db
def test_mapping_suggests_custom_field_by_label(account):
    joined = contact_actions.create_custom_field(
        account, label="תאריך הצטרפות", type=FieldType.DATE
    )
    job = imports.create_import(account, None, upload("hebrew-headers.xlsx"))

    suggestions = imports.suggest_mapping(account, job.headers)

    assert suggestions[5] == joined.key
    assert suggestions[6] == "external_id"


@pytest.mark.django_db
def test_preview_lists_samples_per_column(account):
    job = imports.create_import(account, None, upload("semicolon-delimited.csv"))

    columns = imports.preview_columns(account, job)

    assert [column.header for column in columns] == job.headers
    assert columns[0].samples == ["דנה", "Yossi", "משה"]
    assert columns[1].samples == ["לוי", "Cohen", "מזרחי"]
    assert columns[3].suggestion == "email"
    assert columns[4].suggestion == ""
