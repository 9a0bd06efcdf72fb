"""The contact table: columns, sorting, search, filters, paging and export rows.

The all-contacts page and a list's page both build their table here from a
base queryset of contacts. Every step runs in SQL, and only the rows of one
page (or, for an export, one chunk of rows at a time) are loaded into Python.
"""

import codecs
import csv
import datetime
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import zip_longest
from typing import IO, Any
from urllib.parse import urlencode

import phonenumbers
from django.db.models import Case, Expression, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Lower
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Font

from contacts.fields import FieldSpec
from contacts.models import Contact, FieldType, Gender
from contacts.normalize import InvalidValue, normalize_phone, strip_invisible
from lists.conditions import ConditionError, compile_conditions
from smoove.models import Account

PAGE_SIZE = 50
DEFAULT_COLUMNS = ("first_name", "last_name", "email", "mobile", "city")
PHONE_FIELDS = frozenset({"mobile", "phone"})
LTR_FIELDS = frozenset({"email", "mobile", "phone", "external_id"})
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_TERMS = 8
MAX_FILTERS = 10
# Fewer digits than this match too many numbers to be a phone search.
MIN_PHONE_DIGITS = 3
# Rows fetched per round trip by an export's server-side cursor.
EXPORT_CHUNK_SIZE = 2000
# CSV rows joined into one chunk of the streamed response.
CSV_ROWS_PER_CHUNK = 500

OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    FieldType.TEXT: ("contains", "equals", "not_equals", "not_contains", "empty", "not_empty"),
    FieldType.CHOICE: ("equals", "not_equals", "empty", "not_empty"),
    FieldType.MULTI_CHOICE: ("contains", "not_contains", "empty", "not_empty"),
    FieldType.BOOLEAN: ("equals", "empty", "not_empty"),
    FieldType.NUMBER: ("equals", "not_equals", "gt", "lt", "between", "empty", "not_empty"),
    FieldType.DATE: ("equals", "not_equals", "gt", "lt", "between", "empty", "not_empty"),
}
VALUELESS_OPERATORS = frozenset({"empty", "not_empty"})
OPERATOR_LABELS: dict[str, Promise] = {
    "equals": gettext_lazy("is"),
    "not_equals": gettext_lazy("is not"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is not empty"),
    "gt": gettext_lazy("is greater than"),
    "lt": gettext_lazy("is less than"),
    "between": gettext_lazy("is between"),
}
DATE_OPERATOR_LABELS: dict[str, Promise] = {
    "gt": gettext_lazy("is after"),
    "lt": gettext_lazy("is before"),
}

# A search made only of digits and the punctuation people type in phone
# numbers: "050-123 4567", "+972 (50) 1234567".
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]+$")
# Spreadsheet programs run a cell that starts with one of these as a formula,
# and form visitors can type anything.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


@dataclass(frozen=True)
class FilterRule:
    """One filter of the table: a field, an operator and its values."""

    field: str
    op: str
    value: str = ""
    value2: str = ""

    @property
    def is_complete(self) -> bool:
        if self.op in VALUELESS_OPERATORS:
            return True
        if self.op == "between":
            return bool(self.value and self.value2)
        return bool(self.value)


@dataclass(frozen=True)
class TableState:
    """The person's choice of columns, sort, search, filters and page."""

    columns: tuple[str, ...]
    sort: str = ""
    descending: bool = False
    search: str = ""
    filters: tuple[FilterRule, ...] = ()
    page: int = 1

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.sort and self.descending else self.sort

    @property
    def is_narrowed(self) -> bool:
        """Whether the search or a complete filter can leave contacts out."""
        return bool(self.search) or any(rule.is_complete for rule in self.filters)

    def query_string(self, *, with_columns: bool = False, **changes: Any) -> str:
        """Encode the state, with changes, as the query string of a link.

        Columns stay out of page links because the session remembers them;
        an export link carries them so the file matches the screen exactly.
        """
        state = replace(self, **changes)
        params: list[tuple[str, str]] = []
        if with_columns:
            params.append(("columns", ",".join(state.columns)))
        if state.search:
            params.append(("q", state.search))
        for rule in state.filters:
            params.extend(
                [
                    ("filter_field", rule.field),
                    ("filter_op", rule.op),
                    ("filter_value", rule.value),
                    ("filter_value2", rule.value2),
                ]
            )
        if state.sort:
            params.append(("sort", state.sort_param))
        if state.page > 1:
            params.append(("page", str(state.page)))
        return urlencode(params)


@dataclass(frozen=True)
class TableQuery:
    """The filtered, ordered contacts and the filters that could not apply."""

    queryset: QuerySet[Contact]
    errors: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    text: str
    is_ltr: bool


@dataclass(frozen=True)
class TableRow:
    contact: Contact
    cells: tuple[Cell, ...]


def operators_for(spec: FieldSpec | None) -> tuple[str, ...]:
    field_type = spec.type if spec is not None else FieldType.TEXT
    return OPERATORS_BY_TYPE.get(field_type, OPERATORS_BY_TYPE[FieldType.TEXT])


def operator_label(op: str, spec: FieldSpec | None) -> str:
    if spec is not None and spec.type == FieldType.DATE and op in DATE_OPERATOR_LABELS:
        return str(DATE_OPERATOR_LABELS[op])
    return str(OPERATOR_LABELS[op])


# Reading the state from a query string.


def read_columns(params: QueryDict, specs: Mapping[str, FieldSpec]) -> tuple[str, ...]:
    """Return the known column keys in params, from checkboxes or comma lists."""
    keys: list[str] = []
    for raw in params.getlist("columns"):
        for key in raw.split(","):
            key = key.strip()
            if key in specs and key not in keys:
                keys.append(key)
    return tuple(keys)


def parse_state(
    params: QueryDict, specs: Mapping[str, FieldSpec], columns: Sequence[str]
) -> TableState:
    """Build the state from params, dropping unknown fields and bad values."""
    sort_param = params.get("sort", "").strip()
    descending = sort_param.startswith("-")
    sort = sort_param.removeprefix("-")
    if sort not in specs:
        sort, descending = "", False

    search = " ".join(strip_invisible(params.get("q", "")).split())[:MAX_SEARCH_LENGTH]
    page_param = params.get("page", "")
    page = int(page_param) if page_param.isdigit() and int(page_param) > 0 else 1
    return TableState(
        columns=tuple(columns),
        sort=sort,
        descending=descending,
        search=search,
        filters=_parse_filters(params, specs),
        page=page,
    )


def _parse_filters(params: QueryDict, specs: Mapping[str, FieldSpec]) -> tuple[FilterRule, ...]:
    """Read the parallel filter_* lists. Every filter row submits one value to each."""
    rows = zip_longest(
        params.getlist("filter_field"),
        params.getlist("filter_op"),
        params.getlist("filter_value"),
        params.getlist("filter_value2"),
        fillvalue="",
    )
    rules: list[FilterRule] = []
    for field_key, op, value, value2 in rows:
        spec = specs.get(field_key)
        if spec is None:
            continue
        allowed = operators_for(spec)
        rules.append(
            FilterRule(
                field=field_key,
                op=op if op in allowed else allowed[0],
                value=strip_invisible(value)[:MAX_SEARCH_LENGTH],
                value2=strip_invisible(value2)[:MAX_SEARCH_LENGTH],
            )
        )
        if len(rules) == MAX_FILTERS:
            break
    return tuple(rules)


# Building the query.


def table_queryset(
    base: QuerySet[Contact],
    state: TableState,
    specs: Mapping[str, FieldSpec],
    account: Account,
) -> TableQuery:
    """Apply the state's search, filters and sort to base, as SQL."""
    queryset = base
    if state.search:
        queryset = queryset.filter(search_filter(state.search))

    errors: list[str] = []
    for rule in state.filters:
        if not rule.is_complete:
            continue
        spec = specs[rule.field]
        try:
            condition = compile_conditions(
                account, {"match": "all", "rules": [_condition(rule, spec)]}, dict(specs)
            )
        except ConditionError as exc:
            errors.append(
                _("The filter on “%(field)s” was not applied. %(reason)s")
                % {"field": spec.label, "reason": exc}
            )
            continue
        queryset = queryset.filter(condition)

    return TableQuery(
        queryset=queryset.order_by(*sort_order(state, specs, account)), errors=tuple(errors)
    )


def _condition(rule: FilterRule, spec: FieldSpec) -> dict[str, Any]:
    """Return the rule in the shape lists.conditions compiles."""
    value: str = rule.value
    if spec.key in PHONE_FIELDS and value:
        value = _phone_filter_value(rule.op, value)
    return {
        "type": "field",
        "field": rule.field,
        "op": rule.op,
        "value": value,
        "value2": rule.value2,
    }


def _phone_filter_value(op: str, value: str) -> str:
    """Turn a phone as people type it into the stored E.164 form or part of it."""
    if op in ("equals", "not_equals"):
        try:
            phone = normalize_phone(value)
        except InvalidValue:
            return value
        return phone.e164 if phone is not None else value
    key = phone_search_key(value)
    return key[0] if key is not None else value


def phone_search_key(text: str) -> tuple[str, bool] | None:
    """Return the digits to look for in stored E.164 phones and whether they are a prefix.

    A number typed with its trunk zero (050…), the country code (972…,
    +972…) or the international prefix (00…) becomes the start of the
    stored "+972…" form. Bare digits may sit anywhere in the number.
    Returns None when the text is not a phone number or part of one.
    """
    text = text.strip()
    digits = re.sub(r"\D", "", text)
    if not _PHONE_LIKE.match(text) or len(digits) < MIN_PHONE_DIGITS:
        return None
    if text.startswith("+"):
        return "+" + digits, True
    if digits.startswith("00"):
        return "+" + digits[2:], True
    if digits.startswith("972"):
        return "+" + digits, True
    if digits.startswith("0"):
        return "+972" + digits[1:], True
    return digits, False


def _phone_match(text: str) -> Q | None:
    key = phone_search_key(text)
    if key is None:
        return None
    fragment, is_prefix = key
    if is_prefix:
        match = Q(mobile__startswith=fragment) | Q(phone__startswith=fragment)
        if fragment.startswith("+972") and not text.strip().startswith("+"):
            # "972…" may also be digits from the middle of a number.
            match |= Q(mobile__contains=fragment[1:]) | Q(phone__contains=fragment[1:])
        return match
    return Q(mobile__contains=fragment) | Q(phone__contains=fragment)


def search_filter(text: str) -> Q:
    """Return a Q matching contacts by name, email, external ID or phone.

    Every word must match one of the fields, so "דנה כהן" finds Dana Cohen.
    A search that is a whole phone number also matches it with its spaces
    and dashes, in any of the forms phone_search_key accepts.
    """
    # NOTE: icontains cannot use a B-tree index, so a search scans the
    # account's contacts. A pg_trgm GIN index on these columns would make it
    # an index scan on large accounts.
    words = text.split()[:MAX_SEARCH_TERMS]
    match = Q()
    for word in words:
        word_match = (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(external_id__icontains=word)
        )
        phone = _phone_match(word)
        if phone is not None:
            word_match |= phone
        match &= word_match

    whole_phone = _phone_match(text) if len(words) > 1 else None
    return match | whole_phone if whole_phone is not None else match


def sort_order(
    state: TableState, specs: Mapping[str, FieldSpec], account: Account
) -> list[OrderBy]:
    """Return the ORDER BY terms: empty values last, then the value, then id.

    Without a sort column the newest contacts come first.
    """
    if not state.sort:
        return [F("created_at").desc(), F("id").desc()]

    spec = specs[state.sort]
    empty = compile_conditions(
        account, {"rules": [{"type": "field", "field": spec.key, "op": "empty"}]}, dict(specs)
    )
    is_empty = Case(When(empty, then=Value(1)), default=Value(0), output_field=IntegerField())
    value = _sort_value(spec)
    if state.descending:
        return [is_empty.asc(), value.desc(nulls_last=True), F("id").desc()]
    return [is_empty.asc(), value.asc(nulls_last=True), F("id").asc()]


def _sort_value(spec: FieldSpec) -> Expression | F:
    if spec.is_custom:
        if spec.type in (FieldType.NUMBER, FieldType.BOOLEAN):
            # The JSON value itself: PostgreSQL orders jsonb numbers
            # numerically, and unlike a cast it cannot fail on a value
            # stored as text before the field's type changed.
            return KeyTransform(spec.key, "fields")
        # ISO dates order correctly as text.
        return Lower(KT(f"fields__{spec.key}"))
    if spec.type == FieldType.TEXT:
        return Lower(spec.key)
    return F(spec.key)


# Values of cells.


def raw_value(contact: Contact, spec: FieldSpec) -> Any:
    if spec.is_custom:
        return (contact.fields or {}).get(spec.key)
    return getattr(contact, spec.key)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def format_phone(stored: str) -> str:
    """Format a stored E.164 number as an Israeli reads and dials it.

    Israeli numbers get the national form (050-123-4567). Foreign ones get
    the international form with the 00 prefix, because spreadsheet programs
    read a leading "+" as a formula.
    """
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return stored
    if number.country_code == 972:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return "00" + international.removeprefix("+")


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def display_value(spec: FieldSpec, value: Any) -> str:
    """Return the value as a person reads it in the table and in a CSV file."""
    if _is_empty(value):
        return ""
    if spec.key in PHONE_FIELDS:
        return format_phone(str(value))
    if spec.key == "gender" and value in Gender.values:
        return str(Gender(value).label)
    if spec.type == FieldType.DATE:
        day = _as_date(value)
        return day.strftime("%d/%m/%Y") if day is not None else str(value)
    if spec.type == FieldType.BOOLEAN and isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def table_rows(contacts: Iterable[Contact], columns: Sequence[FieldSpec]) -> list[TableRow]:
    return [
        TableRow(
            contact=contact,
            cells=tuple(
                Cell(display_value(spec, raw_value(contact, spec)), spec.key in LTR_FIELDS)
                for spec in columns
            ),
        )
        for contact in contacts
    ]


def export_contacts(queryset: QuerySet[Contact]) -> Iterator[Contact]:
    """Iterate over the table's contacts with a server-side cursor, in chunks."""
    return queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)


# CSV export.


class _Echo:
    """A file-like object whose write returns the text, for csv.writer."""

    def write(self, text: str) -> str:
        return text


def _csv_text(spec: FieldSpec, value: Any) -> str:
    text = display_value(spec, value)
    is_number = spec.type == FieldType.NUMBER and isinstance(value, int | float)
    if text.startswith(_FORMULA_STARTS) and not is_number:
        # A leading apostrophe makes spreadsheet programs show the text as is.
        return "'" + text
    return text


def iter_csv(contacts: Iterable[Contact], columns: Sequence[FieldSpec]) -> Iterator[bytes]:
    """Yield a UTF-8 CSV with a byte order mark, so Excel reads Hebrew correctly."""
    writer = csv.writer(_Echo())
    yield codecs.BOM_UTF8 + writer.writerow([str(spec.label) for spec in columns]).encode()

    lines: list[str] = []
    for contact in contacts:
        lines.append(
            writer.writerow([_csv_text(spec, raw_value(contact, spec)) for spec in columns])
        )
        if len(lines) == CSV_ROWS_PER_CHUNK:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


# XLSX export.


def sheet_title(name: str) -> str:
    """Return name without the characters Excel forbids in sheet titles, cut to 31."""
    title = _SHEET_TITLE_FORBIDDEN.sub(" ", name).strip()[:31].strip()
    return title or _("Contacts")


def _xlsx_cell(sheet: Any, spec: FieldSpec, value: Any) -> SheetCell | None:
    if _is_empty(value):
        return None
    if (
        spec.type == FieldType.NUMBER
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return WriteOnlyCell(sheet, value=value)
    if spec.type == FieldType.DATE and (day := _as_date(value)) is not None:
        cell = WriteOnlyCell(sheet, value=day)
        cell.number_format = "DD/MM/YYYY"
        return cell

    text = ILLEGAL_CHARACTERS_RE.sub("", display_value(spec, value))
    cell = WriteOnlyCell(sheet, value=text)
    # openpyxl stores text that starts with "=" as a formula unless the cell
    # is marked as a string.
    cell.data_type = "s"
    if spec.key in PHONE_FIELDS:
        cell.number_format = "@"
    return cell


def write_xlsx(
    file: IO[bytes],
    contacts: Iterable[Contact],
    columns: Sequence[FieldSpec],
    *,
    title: str,
    right_to_left: bool,
) -> None:
    """Write the contacts as one sheet; write-only mode keeps rows on disk, not in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    sheet.sheet_view.rightToLeft = right_to_left
    sheet.freeze_panes = "A2"

    header = []
    for spec in columns:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(spec.label)))
        cell.data_type = "s"
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)

    for contact in contacts:
        sheet.append([_xlsx_cell(sheet, spec, raw_value(contact, spec)) for spec in columns])
    workbook.save(file)
