"""Contact imports: reading CSV and XLSX files, suggesting a mapping, applying rows.

A job moves uploaded → queued → running → done (or failed). On upload the
file's format, encoding, delimiter and header row are detected. Once the
marketer maps columns to fields, a Celery task applies the rows as a stream,
in batches, through contacts.actions.upsert_contacts. Each batch commits its
contacts, list memberships, consent records, row issues and the job's
counters together, so a task that runs again after a crash continues from
processed_rows without applying any row twice.
"""

import codecs
import csv
import enum
import io
import itertools
import logging
import time
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

import openpyxl
from charset_normalizer import from_bytes
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from contacts import actions as contact_actions
from contacts import queries
from contacts.actions import IDENTITY_FIELD, ContactError, EventKind
from contacts.fields import FieldSpec, normalize_header
from contacts.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    FieldType,
    ImportJob,
    ImportRowIssue,
    ImportStatus,
    RowIssueLevel,
    Suppression,
)
from contacts.normalize import InvalidValue, normalize_boolean, strip_invisible
from lists import actions as list_actions
from lists import queries as list_queries
from lists.models import ContactList, ListKind
from smoove.bulk import bulk_insert
from smoove.models import Account, IdentifierPolicy, User

logger = logging.getLogger(__name__)

# Rows applied per transaction. A batch costs about 15 queries whatever its
# size (the job lock, the upsert's lookups and inserts, list memberships,
# consent, issues, counters), so larger batches gain little: 250, 1,000 and
# 4,000 rows ran within the noise of each other (1,200 to 1,700 rows/s) with
# benchmarks/bench_contact_import.py on a busy 2-core machine. A batch holds
# the account row's lock, which upsert_contacts takes, until it commits:
# about a second at 1,000 rows, which a form submission to the same account
# may wait.
IMPORT_BATCH_SIZE = 1000
# A run of the task stops after this long and enqueues the rest, far below
# the Redis broker's one-hour visibility timeout after which it would hand
# the same task to a second worker.
TASK_TIME_BUDGET_SECONDS = 10 * 60
MAX_IMPORT_FILE_BYTES = 100 * 1024 * 1024
# Enough text for charset-normalizer to tell windows-1255 from its
# neighbours, and for the delimiter to show in many rows.
ENCODING_SAMPLE_BYTES = 256 * 1024
DELIMITER_SAMPLE_CHARS = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
# Eight-bit code pages that spreadsheets in Israel save CSV files in:
# Hebrew first, then Russian and Western European.
LEGACY_ENCODINGS = ("cp1255", "cp1251", "cp1252")
PREVIEW_ROWS = 50
SAMPLES_PER_COLUMN = 3

# Mapping targets besides contact field keys.
SKIP_COLUMN = ""
NEW_TEXT_FIELD = "__new_text_field__"
CONSENT_COLUMN = "__consent__"
CONSENT_ALIASES = frozenset(
    normalize_header(alias)
    for alias in (
        "opt in",
        "opt-in",
        "optin",
        "opted in",
        "consent",
        "marketing consent",
        "subscribed",
        "newsletter",
        "accepts marketing",
        "הסכמה",
        "הסכמה לדיוור",
        "אישור דיוור",
        "מאשר דיוור",
        "מאשר קבלת דיוור",
        "דיוור",
    )
)
# First cells of the totals row that spreadsheets end with.
TOTALS_WORDS = frozenset(
    normalize_header(word)
    for word in ('סה"כ', "סה״כ", "סהכ", "סך הכל", "סך הכול", "total", "totals", "grand total")
)

XLSX_MAGIC = b"PK\x03\x04"
# Compound File Binary: the old .xls format, which openpyxl cannot read.
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ImportFileError(Exception):
    """A file that cannot be read as contacts; the message is shown to the marketer."""


class ImportStateError(Exception):
    """An import action that the job's status does not allow."""


class MappingError(Exception):
    """An invalid column mapping; field_errors maps form field names to messages."""

    def __init__(self, message: str, field_errors: dict[str, str]) -> None:
        super().__init__(message)
        self.field_errors = field_errors


class SourceRow(NamedTuple):
    # The row's number as a spreadsheet shows it, the header being row 1
    # when the file starts with it.
    number: int
    values: list[str]


@dataclass(frozen=True)
class ColumnPreview:
    index: int
    header: str
    samples: list[str]
    suggestion: str


# --- Reading files -----------------------------------------------------------


def _open_binary(job: ImportJob) -> IO[bytes]:
    return job.file.storage.open(job.file.name, "rb")  # type: ignore[no-any-return]


def _detect_encoding(job: ImportJob) -> str:
    """Return the codec of a text file: a BOM's, UTF-8, or charset-normalizer's guess.

    1. A byte order mark decides.
    2. A file that decodes as UTF-8 from end to end is UTF-8; it is checked
       in chunks, so memory stays flat.
    3. Otherwise charset-normalizer picks among LEGACY_ENCODINGS from the
       first ENCODING_SAMPLE_BYTES. On a tie, which short files often give,
       windows-1255 wins, because that is what Hebrew Excel writes.
    """
    with _open_binary(job) as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            pass
        else:
            return "utf-8"
        handle.seek(0)
        sample = handle.read(ENCODING_SAMPLE_BYTES)

    matches = list(from_bytes(sample, cp_isolation=list(LEGACY_ENCODINGS)))
    if not matches:
        raise ImportFileError(
            _(
                "The file's text encoding was not recognised. Save it from Excel as "
                "“CSV UTF-8” and upload it again."
            )
        )
    best = min(
        matches,
        key=lambda match: (match.chaos, -match.coherence, match.encoding != "cp1255"),
    )
    return str(best.encoding)


def _open_text(job: ImportJob, encoding: str) -> io.TextIOWrapper:
    # Undecodable bytes (a few are undefined in windows-1255) become U+FFFD
    # rather than stopping the whole import; UTF-8 was checked in full.
    return io.TextIOWrapper(_open_binary(job), encoding=encoding, errors="replace", newline="")


def _is_blank(values: list[str]) -> bool:
    return not any(value.strip() for value in values)


def _sniff_delimiter(sample: str, complete: bool) -> str:
    """Pick the delimiter that splits the most rows into the header's column count.

    csv.Sniffer guesses from character frequencies, so a decimal comma in
    "1.234,50" can outvote the semicolons. Parsing the sample with each
    candidate and checking that rows agree with the header is not fooled.
    """
    best_delimiter = ","
    best_score: tuple[float, int] = (0.0, 1)
    for delimiter in DELIMITERS:
        try:
            records = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            continue
        if not complete and len(records) > 1:
            records = records[:-1]  # The sample may end inside this record.
        records = [record for record in records if not _is_blank(record)][:PREVIEW_ROWS]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        rows = records[1:]
        agreeing = sum(1 for record in rows if len(record) == width)
        score = (agreeing / len(rows) if rows else 1.0, width)
        if score > best_score:
            best_delimiter, best_score = delimiter, score
    return best_delimiter


def _iter_csv_records(job: ImportJob) -> Iterator[list[str]]:
    with _open_text(job, job.encoding) as text:
        reader = csv.reader(text, delimiter=job.delimiter or ",")
        try:
            yield from reader
        except csv.Error as exc:
            raise ImportFileError(
                _("The file could not be read at row %(row)d: %(problem)s")
                % {"row": reader.line_num, "problem": exc}
            ) from exc


def _cell_text(value: Any) -> str:
    """Return a spreadsheet cell as the text Excel displays, so every source yields strings.

    Integers keep every digit (an external ID 1000 stays "1000"), floats use
    Excel's 15 significant digits, and a date at midnight becomes an ISO
    date that normalize_date reads.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if hasattr(value, "isoformat"):
        if hasattr(value, "hour") and hasattr(value, "date"):
            if (value.hour, value.minute, value.second) == (0, 0, 0):
                return str(value.date().isoformat())
            return str(value.isoformat(sep=" ", timespec="minutes"))
        return str(value.isoformat())
    return str(value)


def _iter_xlsx_records(job: ImportJob) -> Iterator[list[str]]:
    """Yield the rows of the workbook's first sheet that has any value.

    NOTE: openpyxl's read-only mode streams the sheet's rows, but it loads
    the workbook's shared-string table whole, so memory grows with the
    number of distinct texts in the file (not with its rows of numbers).
    It also skips hyperlinks, so a mailto: link yields the cell's text,
    which is the address itself when Excel made the link from it.
    """
    with _open_binary(job) as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportFileError(
                _("The file is not a valid Excel workbook. Save it again as .xlsx or CSV UTF-8.")
            ) from exc
        try:
            for sheet in workbook.worksheets:
                # The stored dimension is often wrong in files other tools
                # wrote, and read-only mode would cut rows to it.
                sheet.reset_dimensions()  # type: ignore[union-attr]
                rows = (
                    [_cell_text(value) for value in row]
                    for row in sheet.iter_rows(values_only=True)
                )
                first = next((row for row in rows if not _is_blank(row)), None)
                if first is None:
                    continue
                # Re-read from the top so row numbers count the leading blanks.
                for row in sheet.iter_rows(values_only=True):
                    yield [_cell_text(value) for value in row]
                return
        finally:
            workbook.close()


def _iter_records(job: ImportJob) -> Iterator[list[str]]:
    if job.file_format == "xlsx":
        return _iter_xlsx_records(job)
    return _iter_csv_records(job)


def _split_header(records: Iterator[list[str]]) -> tuple[int, list[str]] | None:
    """Consume records up to the first non-blank one; return its number and cells."""
    for number, record in enumerate(records, start=1):
        if not _is_blank(record):
            return number, record
    return None


def iter_rows(job: ImportJob) -> Iterator[SourceRow]:
    """Yield the data rows of the job's file, skipping the header and blank rows."""
    records = _iter_records(job)
    header = _split_header(records)
    if header is None:
        return
    number = header[0]
    for record in records:
        number += 1
        if not _is_blank(record):
            yield SourceRow(number, record)


def count_rows(job: ImportJob) -> int:
    return sum(1 for _row in iter_rows(job))


def _clean_headers(cells: list[str]) -> list[str]:
    headers = [strip_invisible(cell.replace("\ufeff", "")) for cell in cells]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def detect_layout(job: ImportJob) -> None:
    """Detect and set the encoding, delimiter and headers of the job's stored file.

    Raises ImportFileError for a file without a header row or without any
    row under it.
    """
    job.encoding = job.delimiter = ""
    if job.file_format == "csv":
        job.encoding = _detect_encoding(job)
        with _open_text(job, job.encoding) as text:
            sample = text.read(DELIMITER_SAMPLE_CHARS)
            complete = not text.read(1)
        if "\x00" in sample:
            raise ImportFileError(
                _("The file is not a CSV or Excel file. Save it from Excel as CSV UTF-8 or .xlsx.")
            )
        job.delimiter = _sniff_delimiter(sample, complete)
    records = _iter_records(job)
    header = _split_header(records)
    if header is None:
        raise ImportFileError(_("The file has no rows."))
    job.headers = _clean_headers(header[1])
    if not job.headers:
        raise ImportFileError(_("The file's first row has no column names."))
    if next((record for record in records if not _is_blank(record)), None) is None:
        raise ImportFileError(_("The file has column names but no contacts under them."))


def column_label(job: ImportJob, index: int) -> str:
    """Return the column's header, or a stand-in for a column without one."""
    header = job.headers[index] if index < len(job.headers) else ""
    return header or _("Column %(number)d") % {"number": index + 1}


def preview_columns(account: Account, job: ImportJob) -> list[ColumnPreview]:
    """Return each column with up to three sample values and a suggested target."""
    samples: list[list[str]] = [[] for _header in job.headers]
    for row in itertools.islice(iter_rows(job), PREVIEW_ROWS):
        for index, value in enumerate(row.values[: len(samples)]):
            text = value.strip()
            if text and len(samples[index]) < SAMPLES_PER_COLUMN and text not in samples[index]:
                samples[index].append(text)
    suggestions = suggest_mapping(account, job.headers)
    return [
        ColumnPreview(index, column_label(job, index), samples[index], suggestions.get(index, ""))
        for index in range(len(job.headers))
    ]


# --- Mapping -----------------------------------------------------------------


def _compact(text: str) -> str:
    return text.replace(" ", "")


def suggest_mapping(account: Account, headers: list[str]) -> dict[int, str]:
    """Suggest a target for each column from field aliases, labels and keys.

    A header matches when it equals an alias after normalize_header, or
    equals it with the spaces removed ("FirstName"). System fields win over
    custom fields with the same name; each target goes to the first column
    that matches it.
    """
    exact: dict[str, str] = {}
    compact: dict[str, str] = {}
    for spec in queries.field_catalog(account):
        for name in (spec.key, str(spec.label), *spec.aliases):
            folded = normalize_header(name)
            exact.setdefault(folded, spec.key)
            compact.setdefault(_compact(folded), spec.key)
    for alias in CONSENT_ALIASES:
        exact.setdefault(alias, CONSENT_COLUMN)
        compact.setdefault(_compact(alias), CONSENT_COLUMN)

    suggestions: dict[int, str] = {}
    assigned: set[str] = set()
    for index, header in enumerate(headers):
        folded = normalize_header(header)
        if not folded:
            continue
        target = exact.get(folded) or compact.get(_compact(folded))
        if target and target not in assigned:
            suggestions[index] = target
            assigned.add(target)
    return suggestions


def validate_mapping(
    account: Account,
    job: ImportJob,
    mapping: dict[int, str],
    *,
    consent_channels: list[str],
    consent_source: str,
) -> dict[str, str]:
    """Return problems with a mapping by form field name; an empty dict means valid."""
    errors: dict[str, str] = {}
    known = {spec.key: spec for spec in queries.field_catalog(account)}
    seen: dict[str, int] = {}
    for index, target in sorted(mapping.items()):
        if target in (SKIP_COLUMN, NEW_TEXT_FIELD):
            continue
        if target != CONSENT_COLUMN and target not in known:
            errors[f"column_{index}"] = _("There is no field “%(key)s”.") % {"key": target}
        elif target in seen:
            errors[f"column_{index}"] = _(
                "The column “%(other)s” already goes to this field. Choose one of them."
            ) % {"other": column_label(job, seen[target])}
        else:
            seen[target] = index

    identity_key = IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]
    if identity_key not in seen:
        errors["__all__"] = _(
            "Choose the column that holds %(field)s: it identifies contacts in this account."
        ) % {"field": known[identity_key].label}

    unknown_channels = set(consent_channels) - set(Channel.values)
    if unknown_channels:
        errors["consent_channels"] = _("Choose channels from the list.")
    elif consent_channels and not consent_source.strip():
        errors["consent_source"] = _(
            "Say where these contacts agreed to receive messages; it is kept with their consent."
        )
    elif consent_source.strip() and not consent_channels:
        errors["consent_channels"] = _("Choose the channels these contacts agreed to.")
    if CONSENT_COLUMN in seen and not consent_channels:
        errors.setdefault(
            "consent_channels",
            _(
                "A column of consent needs a declaration: choose the channels and say "
                "where the contacts agreed."
            ),
        )
    return errors


@dataclass(frozen=True)
class ColumnPlan:
    """The job's mapping resolved against the account's fields, for applying rows."""

    fields: dict[int, str]
    identity_column: int | None
    consent_column: int | None
    custom_fields: dict[str, FieldSpec]

    @classmethod
    def for_job(cls, account: Account, job: ImportJob) -> "ColumnPlan":
        fields: dict[int, str] = {}
        consent_column = None
        for index_text, target in (job.mapping or {}).items():
            if target == CONSENT_COLUMN:
                consent_column = int(index_text)
            elif target:
                fields[int(index_text)] = target
        identity_key = IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]
        identity_column = next((i for i, key in fields.items() if key == identity_key), None)
        return cls(fields, identity_column, consent_column, queries.custom_field_specs(account))

    def contact_values(
        self, values: list[str], only: Iterable[str] | None = None
    ) -> dict[str, str]:
        keys = set(only) if only is not None else None
        return {
            key: values[index] if index < len(values) else ""
            for index, key in self.fields.items()
            if keys is None or key in keys
        }

    def column_of(self, key: str) -> int | None:
        return next((index for index, field_key in self.fields.items() if field_key == key), None)

    def is_totals_row(self, values: list[str]) -> bool:
        """Tell a totals row (סה"כ …) from a contact: a totals word first, no identifier."""
        first = next((value for value in values if value.strip()), "")
        if normalize_header(first) not in TOTALS_WORDS:
            return False
        column = self.identity_column
        return column is None or column >= len(values) or not values[column].strip()

    def consent_of(self, values: list[str]) -> tuple[bool, str]:
        """Return whether the row's contact agreed, and a problem with the consent cell if any."""
        if self.consent_column is None:
            return True, ""
        raw = values[self.consent_column] if self.consent_column < len(values) else ""
        try:
            return bool(normalize_boolean(raw)), ""
        except InvalidValue as exc:
            return False, str(exc)


# --- Actions -----------------------------------------------------------------


def create_import(account: Account, user: User | None, upload: UploadedFile) -> ImportJob:
    """Store an uploaded CSV or XLSX file and detect its layout.

    Raises ImportFileError, storing nothing, for a file that is empty, too
    large, an old .xls workbook, or has no header or data rows.
    """
    size = upload.size or 0
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    if size > MAX_IMPORT_FILE_BYTES:
        raise ImportFileError(
            _("The file is larger than %(max)d MB. Split it into smaller files.")
            % {"max": MAX_IMPORT_FILE_BYTES // (1024 * 1024)}
        )
    upload.seek(0)
    magic = upload.read(len(XLS_MAGIC))
    upload.seek(0)
    if magic.startswith(XLS_MAGIC):
        raise ImportFileError(
            _(
                "This is an old Excel file (.xls). Open it in Excel, save it as .xlsx or "
                "CSV UTF-8, and upload it again."
            )
        )
    file_format = "xlsx" if magic.startswith(XLSX_MAGIC) else "csv"

    job = ImportJob(
        account=account,
        created_by=user,
        original_name=(upload.name or "")[:255],
        file_format=file_format,
    )
    # A random name, so a stored file's path reveals nothing about its owner.
    job.file.save(f"{uuid.uuid4().hex}.{file_format}", upload, save=False)
    try:
        detect_layout(job)
    except ImportFileError:
        job.file.delete(save=False)
        raise
    job.save()
    logger.info("import uploaded", extra={"account_id": account.pk, "import_id": job.pk})
    return job


def start_import(
    account: Account,
    job: ImportJob,
    *,
    mapping: dict[int, str],
    target_list: ContactList | None,
    consent_channels: list[str],
    consent_source: str,
) -> ImportJob:
    """Save the mapping, create the new text fields it requests, and queue the job.

    Raises MappingError for an invalid mapping (including a new field whose
    name is taken) and ImportStateError when the job has already started.
    """
    errors = validate_mapping(
        account, job, mapping, consent_channels=consent_channels, consent_source=consent_source
    )
    if errors:
        raise MappingError(_("The column mapping is not valid."), errors)
    if target_list is not None and (
        target_list.account_id != account.pk or target_list.kind != ListKind.STATIC
    ):
        raise MappingError(
            _("Contacts can be imported into a static list only."),
            {"target_list": _("Choose a static list.")},
        )

    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(account=account, pk=job.pk)
        if locked.status != ImportStatus.UPLOADED:
            raise ImportStateError(_("This import has already started."))
        stored: dict[str, str] = {}
        for index, target in sorted(mapping.items()):
            if target == NEW_TEXT_FIELD:
                try:
                    custom = contact_actions.create_custom_field(
                        account, label=column_label(job, index)[:100], type=FieldType.TEXT
                    )
                except ContactError as exc:
                    raise MappingError(str(exc), {f"column_{index}": str(exc)}) from exc
                target = custom.key
            if target:
                stored[str(index)] = target
        locked.mapping = stored
        locked.target_list_id = target_list.pk if target_list else None
        locked.consent_channels = list(consent_channels)
        locked.consent_source = consent_source.strip()
        locked.status = ImportStatus.QUEUED
        locked.touched_at = timezone.now()
        locked.save(
            update_fields=[
                "mapping",
                "target_list_id",
                "consent_channels",
                "consent_source",
                "status",
                "touched_at",
            ]
        )
        enqueue_import(locked)
    logger.info("import queued", extra={"account_id": account.pk, "import_id": job.pk})
    return locked


def enqueue_import(job: ImportJob) -> None:
    from contacts import tasks  # contacts.tasks imports this module.
    from smoove.tasks_util import enqueue_on_commit

    enqueue_on_commit(tasks.run_import, job.account_id, job.pk)


def _target_list(account: Account, job: ImportJob) -> ContactList | None:
    if job.target_list_id is None:
        return None
    return (
        list_queries.lists_of_account(account)
        .filter(pk=job.target_list_id, kind=ListKind.STATIC)
        .first()
    )


def _chunks(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


class RunOutcome(enum.Enum):
    FINISHED = "finished"
    # The time budget ran out with rows left; the caller enqueues the rest.
    PAUSED = "paused"
    # Another run of the task applied the next batch first and goes on.
    SUPERSEDED = "superseded"


def run_import(account: Account, job: ImportJob, *, time_budget: float | None = None) -> RunOutcome:
    """Apply the job's rows from processed_rows on.

    1. Claim the job (queued or running → running). A done or failed job
       is left alone, so a repeated task does nothing.
    2. On the first run, count the rows for the progress bar.
    3. Skip the rows already processed, then apply the rest in batches of
       IMPORT_BATCH_SIZE, each in its own transaction, until the rows or
       the time budget (in seconds) run out.
    4. Mark the job done, or failed when the file turns out unreadable.
    """
    claimed = ImportJob.objects.filter(
        account=account, pk=job.pk, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, touched_at=timezone.now())
    if not claimed:
        return RunOutcome.FINISHED
    job.refresh_from_db()
    deadline = time.monotonic() + time_budget if time_budget is not None else None

    with translation.override(account.language):
        try:
            if job.started_at is None:
                total = count_rows(job)
                ImportJob.objects.filter(pk=job.pk, started_at__isnull=True).update(
                    total_rows=total, started_at=timezone.now()
                )
                job.refresh_from_db()
            outcome = _apply_rows(account, job, deadline)
        except ImportFileError as exc:
            ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED, error=str(exc), finished_at=timezone.now()
            )
            logger.warning(
                "import file unreadable", extra={"account_id": account.pk, "import_id": job.pk}
            )
            return RunOutcome.FINISHED
    if outcome == RunOutcome.FINISHED:
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
            status=ImportStatus.DONE, finished_at=timezone.now()
        )
        logger.info("import done", extra={"account_id": account.pk, "import_id": job.pk})
    return outcome


def _apply_rows(account: Account, job: ImportJob, deadline: float | None) -> RunOutcome:
    plan = ColumnPlan.for_job(account, job)
    contact_list = _target_list(account, job)
    if job.target_list_id is not None and contact_list is None and not job.error:
        job.error = _("The target list was deleted, so the contacts were not added to a list.")
        job.save(update_fields=["error"])

    position = job.processed_rows
    rows = itertools.islice(iter_rows(job), position, None)
    for batch in _chunks(rows, IMPORT_BATCH_SIZE):
        if not _apply_batch(account, job, plan, contact_list, batch, position):
            logger.info("import superseded", extra={"account_id": account.pk, "import_id": job.pk})
            return RunOutcome.SUPERSEDED
        position += len(batch)
        if deadline is not None and time.monotonic() > deadline:
            return RunOutcome.PAUSED
    return RunOutcome.FINISHED


def _reason(plan: ColumnPlan, field_key: str, message: str) -> dict[str, Any]:
    column = plan.column_of(field_key)
    if column is None and field_key == CONSENT_COLUMN:
        column = plan.consent_column
    return {"column": column, "field": field_key, "message": message}


def _reasons_of(plan: ColumnPlan, errors: dict[str, str]) -> list[dict[str, Any]]:
    return [_reason(plan, key, message) for key, message in errors.items()]


def _totals_reason() -> dict[str, Any]:
    return {
        "column": None,
        "field": "",
        "message": _(
            "This looks like the file's totals row, not a contact, so it was not imported."
        ),
    }


@dataclass
class BatchCounts:
    created: int = 0
    updated: int = 0
    failed: int = 0
    warnings: int = 0


def _apply_batch(
    account: Account,
    job: ImportJob,
    plan: ColumnPlan,
    contact_list: ContactList | None,
    rows: list[SourceRow],
    position: int,
) -> bool:
    """Apply one batch and advance the job's counters.

    Returns False, changing nothing, when another run of the task has
    already processed these rows.
    """
    counts = BatchCounts()
    issues: list[ImportRowIssue] = []
    contact_rows: list[SourceRow] = []
    for row in rows:
        if plan.is_totals_row(row.values):
            counts.failed += 1
            issues.append(_issue(job, row, RowIssueLevel.ERROR, [_totals_reason()]))
        else:
            contact_rows.append(row)

    with transaction.atomic():
        # The lock orders concurrent runs of the same job: only the run that
        # finds processed_rows where it expects applies this batch.
        stored_position = (
            ImportJob.objects.select_for_update()
            .filter(pk=job.pk)
            .values_list("processed_rows", flat=True)
            .first()
        )
        if stored_position != position:
            return False

        outcomes = contact_actions.upsert_contacts(
            account,
            [plan.contact_values(row.values) for row in contact_rows],
            source="import",
            strict=False,
            source_ref=f"import:{job.pk}",
            custom_fields=plan.custom_fields,
        )
        imported: list[Contact] = []
        consenting: list[Contact] = []
        for row, outcome in zip(contact_rows, outcomes, strict=True):
            reasons = _reasons_of(plan, outcome.errors)
            agreed, consent_problem = plan.consent_of(row.values)
            if consent_problem:
                reasons.append(_reason(plan, CONSENT_COLUMN, consent_problem))
            if outcome.contact is None:
                counts.failed += 1
                issues.append(_issue(job, row, RowIssueLevel.ERROR, reasons))
                continue
            if outcome.created:
                counts.created += 1
            else:
                counts.updated += 1
            if reasons:
                counts.warnings += 1
                issues.append(_issue(job, row, RowIssueLevel.WARNING, reasons))
            imported.append(outcome.contact)
            if agreed:
                consenting.append(outcome.contact)

        if contact_list is not None and imported:
            list_actions.add_contacts(account, contact_list, _unique(imported), source="import")
        if job.consent_channels and consenting:
            grant_import_consent(account, job, consenting)
        ImportRowIssue.objects.bulk_create(issues)
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=F("processed_rows") + len(rows),
            created_count=F("created_count") + counts.created,
            updated_count=F("updated_count") + counts.updated,
            failed_count=F("failed_count") + counts.failed,
            warning_count=F("warning_count") + counts.warnings,
            touched_at=timezone.now(),
        )
    return True


def _issue(
    job: ImportJob, row: SourceRow, level: str, reasons: list[dict[str, Any]]
) -> ImportRowIssue:
    return ImportRowIssue(
        account_id=job.account_id,
        job=job,
        row_number=row.number,
        level=level,
        values=row.values,
        reasons=reasons,
    )


def _unique(contacts: Iterable[Contact]) -> list[Contact]:
    return list({contact.pk: contact for contact in contacts}.values())


def _has_address(contact: Contact, channel: str) -> bool:
    return bool(contact.email if channel == Channel.EMAIL else contact.mobile)


def grant_import_consent(account: Account, job: ImportJob, contacts: Iterable[Contact]) -> int:
    """Record the job's declared consent for contacts in bulk; return the records made.

    This is record_consent's rule applied to a batch in four queries: no
    grant for a contact suppressed on the channel, and none for one whose
    latest consent on it is a revocation, so an import never re-subscribes
    anyone. A channel is granted only to contacts with its address (an
    email, or a mobile for SMS and WhatsApp), and once per import.
    """
    channels = [channel for channel in job.consent_channels if channel in Channel.values]
    by_id = {contact.pk: contact for contact in contacts}
    if not channels or not by_id:
        return 0
    blocked = set(
        Suppression.objects.filter(
            account=account, contact_id__in=by_id, channel__in=channels
        ).values_list("contact_id", "channel")
    )
    source_ref = f"import:{job.pk}"
    latest: dict[tuple[int, str], str] = {}
    history = (
        ConsentRecord.objects.filter(account=account, contact_id__in=by_id, channel__in=channels)
        .order_by("recorded_at", "id")
        .values_list("contact_id", "channel", "status", "source_ref")
    )
    for contact_id, channel, status, ref in history:
        latest[(contact_id, channel)] = status
        if ref == source_ref:
            # A contact in several rows of the file is granted once.
            blocked.add((contact_id, channel))
    blocked.update(key for key, status in latest.items() if status == ConsentStatus.REVOKED)

    now = timezone.now()
    records = [
        ConsentRecord(
            account=account,
            contact=contact,
            channel=channel,
            status=ConsentStatus.GRANTED,
            source="import",
            source_ref=source_ref,
            wording=job.consent_source,
            recorded_at=now,
        )
        for contact in by_id.values()
        for channel in channels
        if (contact.pk, channel) not in blocked and _has_address(contact, channel)
    ]
    bulk_insert(ConsentRecord, records)
    contact_actions.record_events(
        account,
        (
            (
                record.contact,
                EventKind.CONSENT_CHANGED,
                {
                    "channel": record.channel,
                    "status": record.status,
                    "source": record.source,
                    "source_ref": source_ref,
                },
            )
            for record in records
        ),
    )
    return len(records)


# --- Replay ------------------------------------------------------------------


@dataclass
class ReplayResult:
    imported: int = 0
    completed: int = 0
    still_failing: int = 0


def replay_issues(account: Account, job: ImportJob) -> ReplayResult:
    """Apply the job's open problem rows again with the account's current fields and policy.

    A row that was not imported is applied whole, and once it applies it
    joins the target list and gets the declared consent like any imported
    row. A row imported without some values is applied again with its
    identifier and those values only. A row that now applies is marked
    replayed; values still invalid in it get a new warning issue. A row that
    still fails keeps its issue, with the current reasons. Batches commit
    one by one under a lock on the job, so two replays cannot apply a row
    twice.

    NOTE: this runs in the request. A file with tens of thousands of
    problem rows would make a slow request; moving the replay to the
    imports queue would remove that.
    """
    if job.status != ImportStatus.DONE:
        raise ImportStateError(_("Rows can be tried again only after the import has finished."))
    result = ReplayResult()
    plan = ColumnPlan.for_job(account, job)
    contact_list = _target_list(account, job)
    last_id = 0
    with translation.override(account.language):
        while True:
            with transaction.atomic():
                ImportJob.objects.select_for_update().filter(pk=job.pk).first()
                batch = list(
                    open_issues(job).filter(pk__gt=last_id).order_by("pk")[:IMPORT_BATCH_SIZE]
                )
                if not batch:
                    break
                last_id = batch[-1].pk
                _replay_batch(account, job, plan, contact_list, batch, result)
    logger.info("import rows replayed", extra={"account_id": account.pk, "import_id": job.pk})
    return result


def _replay_values(
    account: Account, plan: ColumnPlan, issue: ImportRowIssue
) -> dict[str, str] | None:
    """Return the contact values to apply again for an issue, or None if nothing can change."""
    values = [str(value) for value in issue.values]
    if plan.is_totals_row(values):
        return None
    if issue.level == RowIssueLevel.ERROR:
        return plan.contact_values(values)
    failed_fields = {str(reason.get("field", "")) for reason in issue.reasons}
    retry = failed_fields & set(plan.fields.values())
    if not retry:
        return None  # Only the consent cell was invalid, which no field change fixes.
    return plan.contact_values(values, only=retry | {_identity_key(account)})


def _replay_batch(
    account: Account,
    job: ImportJob,
    plan: ColumnPlan,
    contact_list: ContactList | None,
    issues: list[ImportRowIssue],
    result: ReplayResult,
) -> None:
    replayable: list[tuple[ImportRowIssue, dict[str, str]]] = []
    for issue in issues:
        values = _replay_values(account, plan, issue)
        if values is None:
            result.still_failing += 1
        else:
            replayable.append((issue, values))
    outcomes = contact_actions.upsert_contacts(
        account,
        [values for _issue_row, values in replayable],
        source="import",
        strict=False,
        source_ref=f"import:{job.pk}",
        custom_fields=plan.custom_fields,
    )

    counts = BatchCounts()
    new_issues: list[ImportRowIssue] = []
    newly_imported: list[Contact] = []
    consenting: list[Contact] = []
    now = timezone.now()
    for (issue, _values), outcome in zip(replayable, outcomes, strict=True):
        reasons = _reasons_of(plan, outcome.errors)
        if outcome.contact is None or (issue.level == RowIssueLevel.WARNING and reasons):
            issue.reasons = reasons
            result.still_failing += 1
            continue
        issue.replayed_at = now
        if issue.level == RowIssueLevel.WARNING:
            counts.warnings -= 1
            result.completed += 1
            continue

        result.imported += 1
        counts.failed -= 1
        if outcome.created:
            counts.created += 1
        else:
            counts.updated += 1
        newly_imported.append(outcome.contact)
        row = SourceRow(issue.row_number, [str(value) for value in issue.values])
        agreed, consent_problem = plan.consent_of(row.values)
        if consent_problem:
            reasons.append(_reason(plan, CONSENT_COLUMN, consent_problem))
        if agreed:
            consenting.append(outcome.contact)
        if reasons:
            counts.warnings += 1
            new_issues.append(_issue(job, row, RowIssueLevel.WARNING, reasons))

    if contact_list is not None and newly_imported:
        list_actions.add_contacts(account, contact_list, _unique(newly_imported), source="import")
    if job.consent_channels and consenting:
        grant_import_consent(account, job, consenting)
    ImportRowIssue.objects.bulk_update(issues, ["reasons", "replayed_at"])
    ImportRowIssue.objects.bulk_create(new_issues)
    ImportJob.objects.filter(pk=job.pk).update(
        created_count=F("created_count") + counts.created,
        updated_count=F("updated_count") + counts.updated,
        failed_count=F("failed_count") + counts.failed,
        warning_count=F("warning_count") + counts.warnings,
    )


def _identity_key(account: Account) -> str:
    return IDENTITY_FIELD[IdentifierPolicy(account.identifier_policy)]


def open_issues(job: ImportJob) -> QuerySet[ImportRowIssue]:
    """Return the job's row issues that are still unresolved (not replayed successfully)."""
    return queries.issues_of_import(job).filter(replayed_at__isnull=True)


# --- Presenting issues -------------------------------------------------------


def describe_reason(job: ImportJob, reason: dict[str, Any]) -> str:
    """Return one stored reason as a sentence naming its column."""
    column = reason.get("column")
    message = str(reason.get("message", ""))
    if column is None:
        return message
    return _("%(column)s: %(problem)s") % {
        "column": column_label(job, int(column)),
        "problem": message,
    }


def issue_rows_for_csv(job: ImportJob) -> Iterator[list[str]]:
    """Yield the open problem rows as a table: the original columns, the problem, the row number.

    Values are written as the file had them, so the marketer can fix the
    rows and import the file again. Escaping cells that start with "=",
    "+" or "-" against spreadsheet formulas would change phone numbers such
    as "+972 50-000-0003", and the values came from the marketer's own file.
    """
    issues = open_issues(job).order_by("row_number", "pk")
    longest = max((len(values) for values in issues.values_list("values", flat=True)), default=0)
    width = max(len(job.headers), longest)
    yield [*job.headers, *[""] * (width - len(job.headers)), _("Problem"), _("Row in file")]
    for issue in issues.iterator(chunk_size=IMPORT_BATCH_SIZE):
        values = [str(value) for value in issue.values]
        problem = " ".join(describe_reason(job, reason) for reason in issue.reasons)
        yield [*values, *[""] * (width - len(values)), problem, str(issue.row_number)]
