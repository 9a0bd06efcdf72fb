"""The all-contacts table page and its export, and the helpers the list page shares.

The query string carries the sort, search, filters and page, so a link or a
reload shows the same view. The chosen columns are remembered per table in
the session. An htmx request gets only the table fragment.
"""

import tempfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from contacts import queries as contact_queries
from contacts import table
from contacts.fields import FieldSpec
from contacts.models import Contact, FieldType, Gender
from smoove.decorators import account_required
from smoove.models import Account

COLUMNS_SESSION_KEY = "table_columns:{table_key}"
FRAGMENT_TEMPLATE = "contacts/_partials/table.html"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters that file systems or the Content-Disposition header mishandle.
_FILENAME_FORBIDDEN = str.maketrans({char: "-" for char in '\\/:*?"<>|\r\n\t'})


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    # "ascending", "descending" or "" as aria-sort takes them.
    direction: str
    query: str


@dataclass(frozen=True)
class FilterRow:
    rule: table.FilterRule
    spec: FieldSpec | None
    operators: list[tuple[str, str]]
    # "text", "number", "date" or "select", or "" when the operator takes no value.
    input_type: str
    choices: list[tuple[str, str]]
    remove_query: str | None


@dataclass(frozen=True)
class ColumnChoice:
    spec: FieldSpec
    checked: bool


def field_specs(account: Account) -> dict[str, FieldSpec]:
    return {spec.key: spec for spec in contact_queries.field_catalog(account)}


def chosen_columns(
    request: HttpRequest, table_key: str, specs: dict[str, FieldSpec], *, remember: bool
) -> tuple[str, ...]:
    """Return the columns in the request, else the remembered ones, else the defaults.

    With remember, columns named in the request are stored in the session
    for this table, so the person's choice outlives the page.
    """
    session_key = COLUMNS_SESSION_KEY.format(table_key=table_key)
    requested = table.read_columns(request.GET, specs)
    if requested:
        if remember and list(requested) != request.session.get(session_key):
            request.session[session_key] = list(requested)
        return requested

    remembered = tuple(key for key in request.session.get(session_key, []) if key in specs)
    return remembered or table.DEFAULT_COLUMNS


def _filter_row(
    rule: table.FilterRule,
    specs: dict[str, FieldSpec],
    remove_query: str | None,
) -> FilterRow:
    spec = specs.get(rule.field)
    operators = [(op, table.operator_label(op, spec)) for op in table.operators_for(spec)]
    input_type = "text"
    choices: list[tuple[str, str]] = []
    if rule.op in table.VALUELESS_OPERATORS:
        input_type = ""
    elif spec is not None and spec.type == FieldType.NUMBER:
        input_type = "number"
    elif spec is not None and spec.type == FieldType.DATE:
        input_type = "date"
    elif spec is not None and spec.type == FieldType.BOOLEAN:
        input_type = "select"
        choices = [("true", _("Yes")), ("false", _("No"))]
    elif spec is not None and spec.key == "gender":
        input_type = "select"
        choices = [(str(value), str(label)) for value, label in Gender.choices]
    elif spec is not None and spec.choices:
        input_type = "select"
        choices = [(choice, choice) for choice in spec.choices]
    return FilterRow(rule, spec, operators, input_type, choices, remove_query)


def _headers(state: table.TableState, columns: list[FieldSpec]) -> list[Header]:
    headers = []
    for spec in columns:
        direction = ""
        if state.sort == spec.key:
            direction = "descending" if state.descending else "ascending"
        # A click on the sorted column reverses it, and on another sorts it ascending.
        descending = direction == "ascending"
        headers.append(
            Header(
                key=spec.key,
                label=str(spec.label),
                direction=direction,
                query=state.query_string(sort=spec.key, descending=descending, page=1),
            )
        )
    return headers


def _column_choices(state: table.TableState, specs: dict[str, FieldSpec]) -> list[ColumnChoice]:
    """List the shown columns first, in their order, so the chooser form keeps it."""
    visible = [ColumnChoice(specs[key], True) for key in state.columns]
    hidden = [ColumnChoice(spec, False) for key, spec in specs.items() if key not in state.columns]
    return visible + hidden


def table_context(
    request: HttpRequest,
    account: Account,
    base: QuerySet[Contact],
    *,
    table_key: str,
    url: str,
    export_url: str,
) -> dict[str, Any]:
    """Build the template context of the contact table over the base queryset."""
    specs = field_specs(account)
    columns = chosen_columns(request, table_key, specs, remember=True)
    state = table.parse_state(request.GET, specs, columns)
    query = table.table_queryset(base, state, specs, account)

    paginator = Paginator(query.queryset, table.PAGE_SIZE)
    page = paginator.get_page(state.page)
    state = replace(state, page=page.number)
    column_specs = [specs[key] for key in state.columns]

    filter_rows = [
        _filter_row(
            rule,
            specs,
            state.query_string(filters=state.filters[:index] + state.filters[index + 1 :], page=1),
        )
        for index, rule in enumerate(state.filters)
    ]
    blank = table.FilterRule(field="", op=table.operators_for(None)[0])
    filter_rows.append(_filter_row(blank, specs, None))

    return {
        "table": {
            "url": url,
            "export_url": export_url,
            "query": state.query_string(),
            "export_query": state.query_string(with_columns=True, page=1),
            "clear_query": state.query_string(search="", filters=(), page=1),
            "state": state,
            "headers": _headers(state, column_specs),
            "rows": table.table_rows(page.object_list, column_specs),
            "page": page,
            "previous_query": (
                state.query_string(page=page.previous_page_number()) if page.has_previous() else ""
            ),
            "next_query": (
                state.query_string(page=page.next_page_number()) if page.has_next() else ""
            ),
            "fields": list(specs.values()),
            "column_choices": _column_choices(state, specs),
            "filter_rows": filter_rows,
            "errors": query.errors,
        }
    }


def render_table(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render the whole page, or only the table fragment for an htmx swap."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(request, FRAGMENT_TEMPLATE, context)
        # Push the normalised address rather than the raw form fields, so
        # the browser bar carries no empty filter rows.
        query = context["table"]["query"]
        push_url(
            response, f"{context['table']['url']}?{query}" if query else context["table"]["url"]
        )
    else:
        response = render(request, template, context)
    # The same URL returns a page or a fragment, so caches must keep both.
    patch_vary_headers(response, ("HX-Request",))
    return response


def export_filename(account: Account, name: str, extension: str) -> str:
    try:
        zone = zoneinfo.ZoneInfo(account.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("Asia/Jerusalem")
    day = timezone.localdate(timezone=zone)
    safe_name = " ".join(name.translate(_FILENAME_FORBIDDEN).split()) or _("Contacts")
    return f"{safe_name} {day.isoformat()}.{extension}"


def _in_language(language: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Yield chunks under the request's language, which is gone once streaming starts."""
    with translation.override(language):
        yield from chunks


def export_response(
    request: HttpRequest,
    account: Account,
    base: QuerySet[Contact],
    *,
    table_key: str,
    name: str,
) -> HttpResponseBase:
    """Export the table as the request's state shows it: every page, as CSV or XLSX."""
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        return HttpResponseBadRequest(
            _("“%(format)s” is not an export format. Use csv or xlsx.") % {"format": file_format}
        )

    specs = field_specs(account)
    columns = chosen_columns(request, table_key, specs, remember=False)
    state = table.parse_state(request.GET, specs, columns)
    query = table.table_queryset(base, state, specs, account)
    column_specs = [specs[key] for key in state.columns]
    filename = export_filename(account, name, file_format)
    contacts = table.export_contacts(query.queryset)

    if file_format == "csv":
        chunks = _in_language(translation.get_language(), table.iter_csv(contacts, column_specs))
        return StreamingHttpResponse(
            chunks,
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": content_disposition_header(True, filename)},
        )

    # NOTE: the workbook is built during the request, in a temporary file.
    # An account with hundreds of thousands of contacts can outlast a proxy
    # timeout; a background export that emails a link would remove that.
    spreadsheet = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    table.write_xlsx(
        spreadsheet,
        contacts,
        column_specs,
        title=name,
        right_to_left=translation.get_language_bidi(),
    )
    spreadsheet.seek(0)
    return FileResponse(
        spreadsheet, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


def _account(request: HttpRequest) -> Account:
    return request.account  # type: ignore[attr-defined,no-any-return]


def _all_contacts(account: Account) -> QuerySet[Contact]:
    return contact_queries.contacts_of_account(account)


@account_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    context = table_context(
        request,
        account,
        _all_contacts(account),
        table_key="contacts",
        url=reverse("contacts:index"),
        export_url=reverse("contacts:export"),
    )
    return render_table(request, "contacts/index.html", context)


@account_required
@require_GET
def export(request: HttpRequest) -> HttpResponseBase:
    account = _account(request)
    return export_response(
        request, account, _all_contacts(account), table_key="contacts", name=_("Contacts")
    )
