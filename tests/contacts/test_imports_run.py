"""Applying import rows: stored values, row issues, consent, resuming and replay."""

import datetime

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import actions as contact_actions
from contacts import imports, tasks
from contacts.imports import NEW_TEXT_FIELD, RunOutcome
from contacts.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactEvent,
    FieldType,
    ImportJob,
    ImportRowIssue,
    ImportStatus,
    RowIssueLevel,
    SuppressionReason,
)
from lists import actions as list_actions
from lists import queries as list_queries
from smoove.models import IdentifierPolicy
from tests.realdata import REALDATA as REALDATA_ROOT

REALDATA = REALDATA_ROOT / "imports"


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        content = (REALDATA / name).read_bytes()
    return SimpleUploadedFile(name, content)


def start(account, name, *, content=None, overrides=None, target_list=None, channels=(), source=""):
    job = imports.create_import(account, None, upload(name, content))
    mapping = imports.suggest_mapping(account, job.headers) | (overrides or {})
    return imports.start_import(
        account,
        job,
        mapping=mapping,
        target_list=target_list,
        consent_channels=list(channels),
        consent_source=source,
    )


def run(account, job: ImportJob) -> ImportJob:
    assert imports.run_import(account, job) == RunOutcome.FINISHED
    job.refresh_from_db()
    return job


def contact(account, email: str) -> Contact:
    return Contact.objects.get(account=account, email=email)


def issues_by_row(job: ImportJob) -> dict[int, ImportRowIssue]:
    return {issue.row_number: issue for issue in ImportRowIssue.objects.filter(job=job)}


def reason_texts(job: ImportJob, issue: ImportRowIssue) -> list[str]:
    return [imports.describe_reason(job, reason) for reason in issue.reasons]


@pytest.mark.django_db
def test_windows_1255_file_stores_normalised_values(account):
    job = run(account, start(account, "hebrew-excel-windows1255.csv"))

    assert job.status == ImportStatus.DONE
    assert job.total_rows == 16
    assert job.processed_rows == 16
    assert job.created_count == 11
    assert job.updated_count == 1
    assert job.failed_count == 4
    assert job.warning_count == 2
    assert Contact.objects.filter(account=account).count() == 11

    yossi = contact(account, "yossi.cohen@example.com")
    assert (yossi.first_name, yossi.last_name, yossi.city) == ("יוסי", "כהן", "תל אביב-יפו")
    assert yossi.mobile == "+972500000002"
    assert contact(account, "moshe.mizrahi@example.com").mobile == "+972500000003"
    assert contact(account, "sara.dahan@example.com").mobile == "+972500000008"
    assert contact(account, "michal@example.com").mobile == "+972500000009"
    assert contact(account, "omer.gabay@example.com").mobile == "+972500000010"
    assert contact(account, "tamar.shalom@example.com").mobile == "+972500000011"
    assert contact(account, "shai.amar@example.com").mobile == "+972500000016"


@pytest.mark.django_db
def test_landline_goes_to_phone_not_mobile(account):
    run(account, start(account, "hebrew-excel-windows1255.csv"))

    orit = contact(account, "orit.bendavid@example.com")
    assert orit.mobile == ""
    assert orit.phone == "+97236000015"


@pytest.mark.django_db
def test_duplicate_email_in_file_merges_into_one_contact(account):
    run(account, start(account, "hebrew-excel-windows1255.csv"))

    dana = Contact.objects.get(account=account, identity="dana.levi@example.co.il")
    # The later row's non-empty values win, as the upsert merges them.
    assert dana.first_name == "dana"
    assert dana.city == "Haifa"
    assert dana.mobile == "+972540000007"


@pytest.mark.django_db
def test_invalid_values_are_reported_per_row(account):
    account.language = "en"  # Reasons are written in the account's language.
    job = run(account, start(account, "hebrew-excel-windows1255.csv"))

    issues = issues_by_row(job)
    assert sorted(issues) == [5, 6, 7, 13, 14, 15]
    assert issues[5].level == RowIssueLevel.ERROR
    assert reason_texts(job, issues[5]) == ['דוא"ל: “rivka@example” is not a valid email address.']
    assert reason_texts(job, issues[6]) == [
        'דוא"ל: “avi@@example.com” is not a valid email address.'
    ]
    assert issues[7].level == RowIssueLevel.ERROR
    assert 'דוא"ל: “not-an-email” is not a valid email address.' in reason_texts(job, issues[7])
    assert issues[15].level == RowIssueLevel.ERROR
    assert reason_texts(job, issues[15]) == [
        'דוא"ל: Email is missing, and it identifies contacts in this account.'
    ]
    assert issues[13].level == RowIssueLevel.WARNING
    assert reason_texts(job, issues[13]) == [
        "טלפון נייד: “050-000-00” is not a valid phone number."
    ]
    assert issues[14].level == RowIssueLevel.WARNING
    assert contact(account, "david@example.com").mobile == ""
    assert issues[5].values == ["רבקה", "אברהם", "972500000004", "rivka@example", "באר שבע"]


@pytest.mark.django_db
def test_bom_file_keeps_external_ids_as_text(account):
    job = run(account, start(account, "utf8-bom.csv", overrides={6: ""}))

    assert job.failed_count == 4
    assert contact(account, "tamar.shalom@example.com").external_id == "1010"
    assert contact(account, "shai.amar@example.com").external_id == "1015"
    assert contact(account, "yossi.cohen@example.com").external_id == "CRM-01001"
    # Row 18 repeats row 2's address in other case, and its values come last.
    dana = Contact.objects.get(account=account, identity="dana.levi@example.co.il")
    assert dana.external_id == "CRM-01000"
    assert (
        Contact.objects.filter(account=account, email__iexact="dana.levi@example.co.il").count()
        == 1
    )


@pytest.mark.django_db
def test_bidi_marks_around_phone_are_dropped(account):
    run(account, start(account, "utf8-bom.csv", overrides={6: ""}))

    assert contact(account, "michal@example.com").mobile == "+972500000009"


@pytest.mark.django_db
def test_semicolon_file_keeps_quoted_text_and_decimal_comma(account):
    spent = contact_actions.create_custom_field(account, label="Total Spent", type=FieldType.NUMBER)

    job = run(account, start(account, "semicolon-delimited.csv", overrides={4: NEW_TEXT_FIELD}))

    notes_key = job.mapping["4"]
    assert notes_key != NEW_TEXT_FIELD
    dana = contact(account, "dana.levi@example.co.il")
    assert dana.fields[notes_key] == "לקוחה VIP; מעדיפה וואטסאפ"
    assert dana.fields[spent.key] == pytest.approx(1234.5)
    yossi = contact(account, "yossi.cohen@example.com")
    assert yossi.fields[notes_key] == "line one\nline two"
    assert yossi.fields[spent.key] == pytest.approx(99.9)
    moshe = contact(account, "moshe.mizrahi@example.com")
    assert moshe.fields[notes_key] == 'ציטוט "בתוך" הערה'
    # A mobile number in a "Phone" column serves as the mobile too.
    assert moshe.mobile == "+972500000003"
    assert job.failed_count == 1


@pytest.mark.django_db
def test_xlsx_stores_dates_ids_and_numeric_phones(account):
    joined = contact_actions.create_custom_field(
        account, label="תאריך הצטרפות", type=FieldType.DATE
    )

    job = run(account, start(account, "hebrew-headers.xlsx"))

    dana = Contact.objects.get(account=account, identity="dana.levi@example.co.il")
    assert dana.external_id == "001006"  # Row 8 repeats her address.
    assert dana.fields[joined.key] == "2024-08-10"
    yossi = contact(account, "yossi.cohen@example.com")
    assert yossi.mobile == "+972500000002"
    assert yossi.external_id == "1001"
    assert yossi.fields[joined.key] == "2024-02-07"
    moshe = contact(account, "moshe.mizrahi@example.com")
    assert moshe.external_id == "001002"
    assert contact(account, "omer.gabay@example.com").mobile == "+972500000010"
    assert contact(account, "shai.amar@example.com").mobile == "+972500000016"
    assert job.total_rows == 17


@pytest.mark.django_db
def test_xlsx_totals_row_is_kept_as_issue(account):
    account.language = "en"
    job = run(account, start(account, "hebrew-headers.xlsx"))

    totals = ImportRowIssue.objects.get(job=job, row_number=20)
    assert totals.level == RowIssueLevel.ERROR
    assert totals.values == ['סה"כ']
    assert reason_texts(job, totals) == [
        "This looks like the file's totals row, not a contact, so it was not imported."
    ]
    assert job.failed_count == 5


@pytest.mark.django_db
def test_birthday_column_parses_day_first_dates(account):
    content = b"email,birthday\r\na@example.com,31/12/1990\r\nb@example.com,1990-13-45\r\n"

    job = run(account, start(account, "birthdays.csv", content=content))

    assert contact(account, "a@example.com").birthday == datetime.date(1990, 12, 31)
    assert contact(account, "b@example.com").birthday is None
    assert job.warning_count == 1


@pytest.mark.django_db
def test_existing_contact_is_updated_not_duplicated(account):
    contact_actions.upsert_contact(
        account,
        {"email": "sara.dahan@example.com", "city": "אילת", "first_name": "Sara"},
        source="api",
    )

    job = run(account, start(account, "hebrew-excel-windows1255.csv"))

    sara = contact(account, "sara.dahan@example.com")
    assert sara.first_name == "שרה"
    assert sara.city == "ראשון לציון"
    assert job.created_count == 10
    assert job.updated_count == 2


@pytest.mark.django_db
def test_no_consent_recorded_without_declaration(account):
    run(account, start(account, "utf8-bom.csv", overrides={6: ""}))

    assert not ConsentRecord.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_declared_consent_recorded_with_source(account):
    source = "טופס הרשמה בקופה, מרץ 2024"

    job = run(
        account,
        start(
            account,
            "hebrew-excel-windows1255.csv",
            channels=[Channel.EMAIL, Channel.SMS],
            source=source,
        ),
    )

    records = ConsentRecord.objects.filter(account=account)
    assert records.filter(channel=Channel.EMAIL).count() == 11
    # Orit (a landline), David and John (invalid numbers) have no mobile.
    assert records.filter(channel=Channel.SMS).count() == 8
    record = records.get(channel=Channel.EMAIL, contact__email="yossi.cohen@example.com")
    assert record.status == ConsentStatus.GRANTED
    assert record.source == "import"
    assert record.source_ref == f"import:{job.pk}"
    assert record.wording == source
    assert not records.filter(
        channel=Channel.SMS, contact__email="orit.bendavid@example.com"
    ).exists()


@pytest.mark.django_db
def test_consent_column_limits_consent_to_rows_marked_yes(account):
    run(account, start(account, "utf8-bom.csv", channels=[Channel.EMAIL], source="אתר"))

    consented = set(
        ConsentRecord.objects.filter(account=account).values_list("contact__email", flat=True)
    )
    assert consented == {
        "dana.levi@example.co.il",
        "yossi.cohen@example.com",
        "moshe.mizrahi@example.com",
        "sara.dahan@example.com",
        "michal@example.com",
        "omer.gabay@example.com",
        "john.smith@example.com",
        "orit.bendavid@example.com",
        "shai.amar@example.com",
    }
    assert (
        ConsentRecord.objects.filter(
            account=account, contact__email="dana.levi@example.co.il"
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_suppressed_contact_is_not_resubscribed(account):
    stored = contact_actions.upsert_contact(
        account, {"email": "michal@example.com"}, source="api"
    ).contact
    contact_actions.suppress(
        account, stored, channel=Channel.EMAIL, reason=SuppressionReason.UNSUBSCRIBED
    )
    revoked = contact_actions.upsert_contact(
        account, {"email": "omer.gabay@example.com"}, source="api"
    ).contact
    contact_actions.record_consent(
        account, revoked, channel=Channel.EMAIL, status=ConsentStatus.REVOKED, source="manual"
    )

    run(
        account,
        start(
            account,
            "hebrew-excel-windows1255.csv",
            channels=[Channel.EMAIL, Channel.SMS],
            source="אתר",
        ),
    )

    assert not ConsentRecord.objects.filter(contact=stored, channel=Channel.EMAIL).exists()
    assert ConsentRecord.objects.filter(contact=stored, channel=Channel.SMS).count() == 1
    latest = ConsentRecord.objects.filter(contact=revoked, channel=Channel.EMAIL).latest("id")
    assert latest.status == ConsentStatus.REVOKED
    assert (
        ConsentRecord.objects.filter(
            account=account, channel=Channel.EMAIL, status=ConsentStatus.GRANTED
        ).count()
        == 9
    )


@pytest.mark.django_db
def test_contacts_join_target_list(account):
    target = list_actions.create_list(account, name="לקוחות מהקופה")

    run(account, start(account, "hebrew-excel-windows1255.csv", target_list=target))

    members = set(list_queries.members_of_list(target).values_list("email", flat=True))
    assert len(members) == 11
    assert "orit.bendavid@example.com" in members
    assert "rivka@example" not in members


def _crash_once(monkeypatch, after_calls: int) -> None:
    """Make lists.actions.add_contacts raise on its call number after_calls + 1, once."""
    real = list_actions.add_contacts
    calls = {"count": 0}

    def add_contacts(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == after_calls + 1:
            raise RuntimeError("worker died mid-batch")
        return real(*args, **kwargs)

    monkeypatch.setattr(list_actions, "add_contacts", add_contacts)


@pytest.mark.django_db(transaction=True)
def test_rerun_after_crash_continues_without_duplicates(account, monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_BATCH_SIZE", 5)
    target = list_actions.create_list(account, name="Crash test")
    job = start(
        account,
        "hebrew-excel-windows1255.csv",
        target_list=target,
        channels=[Channel.EMAIL],
        source="אתר",
    )
    _crash_once(monkeypatch, after_calls=1)

    with pytest.raises(RuntimeError):
        imports.run_import(account, job)

    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING
    assert job.processed_rows == 5
    run(account, job)

    assert job.status == ImportStatus.DONE
    assert job.processed_rows == 16
    assert (job.created_count, job.updated_count, job.failed_count, job.warning_count) == (
        11,
        1,
        4,
        2,
    )
    assert Contact.objects.filter(account=account).count() == 11
    assert ImportRowIssue.objects.filter(job=job).count() == 6
    assert ConsentRecord.objects.filter(account=account).count() == 11
    assert list_queries.member_count(target) == 11
    assert ContactEvent.objects.filter(account=account, kind="contact_created").count() == 11


@pytest.mark.django_db
def test_paused_run_resumes_from_processed_rows(account, monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_BATCH_SIZE", 4)
    job = start(account, "hebrew-excel-windows1255.csv")

    assert imports.run_import(account, job, time_budget=0) == RunOutcome.PAUSED
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportStatus.RUNNING, 4)

    job = run(account, job)
    assert job.processed_rows == 16
    assert Contact.objects.filter(account=account).count() == 11


@pytest.mark.django_db
def test_finished_import_runs_again_as_no_op(account):
    job = run(account, start(account, "hebrew-excel-windows1255.csv"))
    before = ContactEvent.objects.filter(account=account).count()

    assert imports.run_import(account, job) == RunOutcome.FINISHED

    job.refresh_from_db()
    assert job.processed_rows == 16
    assert ContactEvent.objects.filter(account=account).count() == before
    assert ImportRowIssue.objects.filter(job=job).count() == 6


@pytest.mark.django_db
def test_stale_run_is_superseded(account, monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_BATCH_SIZE", 4)
    job = start(account, "hebrew-excel-windows1255.csv")
    imports.run_import(account, job, time_budget=0)
    stale = ImportJob.objects.get(pk=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=8)  # Another run moved on.

    assert imports._apply_rows(account, stale, None) == RunOutcome.SUPERSEDED
    assert Contact.objects.filter(account=account).count() == 3


@pytest.mark.django_db
def test_replay_applies_rows_after_policy_change(account):
    account.identifier_policy = IdentifierPolicy.MOBILE
    account.language = "en"
    account.save(update_fields=["identifier_policy", "language"])
    target = list_actions.create_list(account, name="Replay")
    content = "email,mobile,city\r\na@example.com,050-0000001,חיפה\r\nb@example.com,,עכו\r\nc@example.com,abc,לוד\r\n"
    job = run(account, start(account, "policy.csv", content=content.encode(), target_list=target))
    assert (job.created_count, job.failed_count, job.warning_count) == (1, 2, 0)

    account.identifier_policy = IdentifierPolicy.EMAIL
    account.save(update_fields=["identifier_policy"])
    contact_actions.rekey_contacts(account, old_policy=IdentifierPolicy.MOBILE)
    result = imports.replay_issues(account, job)

    job.refresh_from_db()
    assert result.imported == 2
    assert (job.created_count, job.failed_count, job.warning_count) == (3, 0, 1)
    assert contact(account, "b@example.com").city == "עכו"
    assert list_queries.is_member(target, contact(account, "c@example.com"))
    replayed = ImportRowIssue.objects.filter(job=job, replayed_at__isnull=False)
    assert sorted(replayed.values_list("row_number", flat=True)) == [3, 4]
    # c's number is still invalid, so a new warning reports it.
    warning = imports.open_issues(job).get()
    assert (warning.row_number, warning.level) == (4, RowIssueLevel.WARNING)
    assert reason_texts(job, warning) == ["mobile: “abc” is not a phone number."]


@pytest.mark.django_db
def test_replay_fills_value_after_choice_added(account):
    club = contact_actions.create_custom_field(
        account, label="מועדון", type=FieldType.CHOICE, choices=["זהב"]
    )
    content = "email,מועדון\r\na@example.com,זהב\r\nb@example.com,כסף\r\n".encode()
    job = run(account, start(account, "club.csv", content=content))
    assert job.warning_count == 1
    assert club.key not in contact(account, "b@example.com").fields

    contact_actions.update_custom_field(account, club, label="מועדון", choices=["זהב", "כסף"])
    result = imports.replay_issues(account, job)

    job.refresh_from_db()
    assert result.completed == 1
    assert contact(account, "b@example.com").fields[club.key] == "כסף"
    assert job.warning_count == 0
    assert not imports.open_issues(job).exists()


@pytest.mark.django_db
def test_replay_keeps_rows_that_still_fail(account):
    job = run(account, start(account, "hebrew-excel-windows1255.csv"))

    result = imports.replay_issues(account, job)

    job.refresh_from_db()
    assert (result.imported, result.completed) == (0, 0)
    assert result.still_failing == 6
    assert job.failed_count == 4
    assert imports.open_issues(job).count() == 6
    assert Contact.objects.filter(account=account).count() == 11


@pytest.mark.django_db
def test_replay_needs_finished_import(account):
    job = start(account, "hebrew-excel-windows1255.csv")

    with pytest.raises(imports.ImportStateError):
        imports.replay_issues(account, job)


@pytest.fixture
def eager_celery():
    from smoove.celery import app

    # Under the Django namespace the setting is CELERY_TASK_ALWAYS_EAGER, so
    # assigning task_always_eager would not take effect.
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield app
    app.conf.CELERY_TASK_ALWAYS_EAGER = False


@pytest.mark.django_db
def test_task_reenqueues_itself_until_done(
    account, monkeypatch, eager_celery, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(imports, "IMPORT_BATCH_SIZE", 4)
    monkeypatch.setattr(imports, "TASK_TIME_BUDGET_SECONDS", 0)
    job = start(account, "hebrew-excel-windows1255.csv")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.run_import.delay(account.pk, job.pk)

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.processed_rows == 16
    # One run per batch of four rows, each enqueueing the next.
    assert len(callbacks) == 4
    assert Contact.objects.filter(account=account).count() == 11


@pytest.mark.django_db
def test_task_failure_marks_import_failed(account, monkeypatch, eager_celery):
    # The message is written in the account's language.
    account.language = "en"
    account.save(update_fields=["language"])
    job = start(account, "hebrew-excel-windows1255.csv")

    def broken_batch(*args, **kwargs):
        raise RuntimeError("a bug in a batch")

    monkeypatch.setattr(imports, "_apply_batch", broken_batch)
    result = tasks.run_import.apply(args=(account.pk, job.pk))

    job.refresh_from_db()
    assert result.failed()
    assert job.status == ImportStatus.FAILED
    assert "internal error" in job.error
    assert job.finished_at is not None


@pytest.mark.django_db
def test_task_for_missing_job_does_nothing(account, eager_celery):
    result = tasks.run_import.apply(args=(account.pk, 999_999))

    assert result.successful()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_xlsx_mailto_and_numeric_cells_normalise(account, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["אימייל", "נייד", "מזהה"])
    sheet.append(["mailto:Avi.Cohen@Example.com", 541234567, 1000])
    sheet.append([" Bat@Example.com ", 972521234567, "000123"])
    path = tmp_path / "links.xlsx"
    workbook.save(path)

    run(account, start(account, "links.xlsx", content=path.read_bytes()))

    avi = contact(account, "avi.cohen@example.com")
    assert avi.mobile == "+972541234567"
    assert avi.external_id == "1000"
    bat = contact(account, "bat@example.com")
    assert bat.mobile == "+972521234567"
    assert bat.external_id == "000123"
