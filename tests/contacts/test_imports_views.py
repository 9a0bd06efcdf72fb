"""Import pages: upload, mapping, progress, problem rows, replay, tenancy, and a worker run."""

import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts import imports
from contacts.models import (
    Channel,
    ConsentRecord,
    Contact,
    ImportJob,
    ImportRowIssue,
    ImportStatus,
)
from lists import actions as list_actions
from lists import queries as list_queries
from tests.realdata import REALDATA as REALDATA_ROOT

REALDATA = REALDATA_ROOT / "imports"


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        content = (REALDATA / name).read_bytes()
    return SimpleUploadedFile(name, content)


def imported_job(account, name: str = "hebrew-excel-windows1255.csv") -> ImportJob:
    job = imports.create_import(account, None, upload(name))
    imports.start_import(
        account,
        job,
        mapping=imports.suggest_mapping(account, job.headers),
        target_list=None,
        consent_channels=[],
        consent_source="",
    )
    imports.run_import(account, job)
    job.refresh_from_db()
    return job


def suggested_post_data(response) -> dict[str, str]:
    form = response.context["form"]
    return {
        name: field.initial or ""
        for name, field in form.fields.items()
        if name.startswith("column_")
    }


@pytest.mark.django_db
def test_upload_redirects_to_mapping(owner_client, account):
    response = owner_client.post(
        reverse("contacts:import_index"), {"file": upload("hebrew-excel-windows1255.csv")}
    )

    job = ImportJob.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:import_detail", args=[job.pk])
    assert job.status == ImportStatus.UPLOADED
    assert job.original_name == "hebrew-excel-windows1255.csv"


@pytest.mark.django_db
def test_mapping_page_shows_columns_samples_and_suggestions(owner_client, account):
    job = imports.create_import(account, None, upload("hebrew-excel-windows1255.csv"))

    response = owner_client.get(reverse("contacts:import_detail", args=[job.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "שם משפחה" in html
    assert "050-0000001" in html
    assert "0500000002" in html
    form = response.context["form"]
    assert form.fields["column_3"].initial == "email"
    assert form.fields["column_2"].initial == "mobile"
    assert imports.NEW_TEXT_FIELD in html


@pytest.mark.django_db
def test_old_xls_upload_shows_error(owner_client, account):
    response = owner_client.post(
        reverse("contacts:import_index"),
        {"file": upload("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)},
    )

    assert response.status_code == 400
    assert ".xlsx" in response.content.decode()
    assert not ImportJob.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_mapping_without_identifier_is_rejected(owner_client, account):
    job = imports.create_import(account, None, upload("hebrew-excel-windows1255.csv"))
    url = reverse("contacts:import_detail", args=[job.pk])
    data = suggested_post_data(owner_client.get(url))
    data["column_3"] = ""

    response = owner_client.post(url, data)

    assert response.status_code == 400
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
    assert job.mapping == {}


@pytest.mark.django_db
def test_consent_channels_need_source(owner_client, account):
    job = imports.create_import(account, None, upload("hebrew-excel-windows1255.csv"))
    url = reverse("contacts:import_detail", args=[job.pk])
    data = suggested_post_data(owner_client.get(url)) | {"consent_channels": [Channel.EMAIL]}

    response = owner_client.post(url, data)

    assert response.status_code == 400
    assert "consent_source" in response.context["form"].errors
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


@pytest.mark.django_db
def test_mapping_saves_choices_and_queues_job(
    owner_client, account, django_capture_on_commit_callbacks
):
    target = list_actions.create_list(account, name="מהקופה")
    job = imports.create_import(account, None, upload("hebrew-excel-windows1255.csv"))
    url = reverse("contacts:import_detail", args=[job.pk])
    data = suggested_post_data(owner_client.get(url)) | {
        "column_4": imports.NEW_TEXT_FIELD,
        "target_list": str(target.pk),
        "consent_channels": [Channel.EMAIL, Channel.WHATSAPP],
        "consent_source": "טופס באתר",
    }

    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.post(url, data)

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert job.target_list_id == target.pk
    assert job.consent_channels == [Channel.EMAIL, Channel.WHATSAPP]
    assert job.consent_source == "טופס באתר"
    assert job.mapping["3"] == "email"
    assert job.mapping["4"].startswith("field_")
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_progress_fragment_polls_until_done(owner_client, account):
    job = imports.create_import(account, None, upload("hebrew-excel-windows1255.csv"))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, total_rows=16, processed_rows=8
    )
    url = reverse("contacts:import_progress", args=[job.pk])

    running = owner_client.get(url, HTTP_HX_REQUEST="true")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, processed_rows=16)
    done = owner_client.get(url, HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert "50%" in running.content.decode()
    assert "HX-Refresh" not in running
    assert "hx-trigger" not in done.content.decode()
    assert done["HX-Refresh"] == "true"


@pytest.mark.django_db
def test_done_page_lists_problem_rows(owner_client, account, english):
    account.refresh_from_db()  # The reasons are stored in the account's language.
    job = imported_job(account)

    response = owner_client.get(reverse("contacts:import_detail", args=[job.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "“rivka@example” is not a valid email address." in html
    assert "“050-000-00” is not a valid phone number." in html
    assert len(response.context["issue_rows"]) == 6


@pytest.mark.django_db
def test_problem_rows_download_as_excel_csv(owner_client, account, english):
    job = imported_job(account)

    response = owner_client.get(reverse("contacts:import_issues", args=[job.pk]))

    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [
        "שם פרטי",
        "שם משפחה",
        "טלפון נייד",
        'דוא"ל',
        "עיר",
        "Problem",
        "Row in file",
    ]
    assert len(rows) == 7
    rivka = next(row for row in rows if row[-1] == "5")
    assert rivka[:5] == ["רבקה", "אברהם", "972500000004", "rivka@example", "באר שבע"]
    assert "rivka@example" in rivka[5]


@pytest.mark.django_db
def test_replay_view_applies_fixed_rows(owner_client, account):
    job = imported_job(account)
    issue = ImportRowIssue.objects.get(job=job, row_number=15)
    ImportRowIssue.objects.filter(pk=issue.pk).update(
        values=["ליאור", "אזולאי", "", "lior@example.com", "קריית שמונה"]
    )

    response = owner_client.post(reverse("contacts:import_replay", args=[job.pk]))

    assert response.status_code == 302
    assert Contact.objects.filter(account=account, email="lior@example.com").exists()
    issue.refresh_from_db()
    assert issue.replayed_at is not None
    job.refresh_from_db()
    assert job.failed_count == 3


@pytest.mark.django_db
def test_index_lists_imports_in_constant_queries(
    owner_client, account, django_assert_max_num_queries
):
    for _index in range(3):
        imports.create_import(account, None, upload("utf8-bom.csv"))
    owner_client.get(reverse("contacts:import_index"))  # Warm the session and account.
    with CaptureQueriesContext(connection) as few:
        owner_client.get(reverse("contacts:import_index"))
    for _index in range(10):
        imports.create_import(account, None, upload("utf8-bom.csv"))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = owner_client.get(reverse("contacts:import_index"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 13


@pytest.mark.django_db
def test_import_queries_do_not_grow_with_rows(account):
    def queries_for(rows: int) -> int:
        lines = ["email,first_name"] + [f"p{rows}-{i}@example.com,Name{i}" for i in range(rows)]
        job = imports.create_import(
            account, None, upload(f"{rows}.csv", "\r\n".join(lines).encode())
        )
        imports.start_import(
            account,
            job,
            mapping={0: "email", 1: "first_name"},
            target_list=None,
            consent_channels=[],
            consent_source="",
        )
        with CaptureQueriesContext(connection) as captured:
            imports.run_import(account, job)
        return len(captured.captured_queries)

    assert queries_for(20) == queries_for(400)


@pytest.mark.django_db
def test_outsider_gets_404_on_every_import_url(outsider_client, account):
    job = imported_job(account)
    fresh = imports.create_import(account, None, upload("utf8-bom.csv"))
    before = (
        list(ImportJob.objects.order_by("pk").values()),
        list(ImportRowIssue.objects.order_by("pk").values()),
        Contact.objects.count(),
    )

    for name in ("import_detail", "import_progress", "import_issues"):
        for target in (job, fresh):
            assert (
                outsider_client.get(reverse(f"contacts:{name}", args=[target.pk])).status_code
                == 404
            )
    mapping = {"column_0": "email", "consent_channels": [Channel.EMAIL], "consent_source": "x"}
    assert (
        outsider_client.post(
            reverse("contacts:import_detail", args=[fresh.pk]), mapping
        ).status_code
        == 404
    )
    assert outsider_client.post(reverse("contacts:import_replay", args=[job.pk])).status_code == 404
    index = outsider_client.get(reverse("contacts:import_index"))

    assert job.original_name not in index.content.decode()
    after = (
        list(ImportJob.objects.order_by("pk").values()),
        list(ImportRowIssue.objects.order_by("pk").values()),
        Contact.objects.count(),
    )
    assert after == before


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client, account):
    job = imported_job(account)

    response = client.get(reverse("contacts:import_detail", args=[job.pk]))

    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_owner_imports_file_through_worker(owner_client, account, celery_worker, english):
    target = list_actions.create_list(account, name="מהאתר")
    response = owner_client.post(reverse("contacts:import_index"), {"file": upload("utf8-bom.csv")})
    detail_url = response["Location"]
    job = ImportJob.objects.get(account=account)

    data = suggested_post_data(owner_client.get(detail_url)) | {
        "target_list": str(target.pk),
        "consent_channels": [Channel.EMAIL],
        "consent_source": "הרשמה לניוזלטר באתר",
    }
    assert data["column_6"] == imports.CONSENT_COLUMN
    started = owner_client.post(detail_url, data)
    assert started.status_code == 302

    progress_url = reverse("contacts:import_progress", args=[job.pk])
    deadline = time.monotonic() + 60
    fragment = ""
    while time.monotonic() < deadline:
        fragment = owner_client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
        if 'data-status="done"' in fragment or 'data-status="failed"' in fragment:
            break
        time.sleep(0.2)

    assert 'data-status="done"' in fragment
    job.refresh_from_db()
    assert (job.created_count, job.updated_count, job.failed_count, job.warning_count) == (
        11,
        2,
        4,
        2,
    )
    assert Contact.objects.filter(account=account).count() == 11
    assert list_queries.member_count(target) == 11
    assert ConsentRecord.objects.filter(account=account).count() == 9
    page = owner_client.get(detail_url).content.decode()
    assert "“abc-123” is not a phone number." in page


@pytest.mark.django_db
def test_mapping_can_create_a_new_target_list(owner_client, account):
    job = imports.create_import(account, None, upload("hebrew-excel-windows1255.csv"))
    url = reverse("contacts:import_detail", args=[job.pk])
    data = suggested_post_data(owner_client.get(url)) | {"new_list_name": " לקוחות מהתערוכה "}

    response = owner_client.post(url, data)

    assert response.status_code == 302
    job.refresh_from_db()
    created = list_queries.lists_of_account(account).get(name="לקוחות מהתערוכה")
    assert job.target_list_id == created.pk


@pytest.mark.django_db
def test_mapping_rejects_a_taken_new_list_name(owner_client, account):
    list_actions.create_list(account, name="קיימת")
    job = imports.create_import(account, None, upload("hebrew-excel-windows1255.csv"))
    url = reverse("contacts:import_detail", args=[job.pk])
    data = suggested_post_data(owner_client.get(url)) | {"new_list_name": "קיימת"}

    response = owner_client.post(url, data)

    assert response.status_code == 400
    assert "new_list_name" in response.context["form"].errors
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
    assert list_queries.lists_of_account(account).count() == 1
