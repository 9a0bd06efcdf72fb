"""Pages of contact imports: upload, column mapping, progress, problem rows, replay."""

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts import imports, queries
from contacts.import_forms import MappingForm, UploadForm
from contacts.models import ImportJob, ImportStatus
from lists import actions as list_actions
from lists.actions import ListError
from smoove.decorators import account_required
from smoove.models import Account

IMPORTS_PER_PAGE = 25
ISSUES_PER_PAGE = 50


def _account(request: HttpRequest) -> Account:
    return request.account  # type: ignore[attr-defined,no-any-return]


@account_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.create_import(account, request.user, form.cleaned_data["file"])  # type: ignore[arg-type]
        except imports.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("contacts:import_detail", pk=job.pk)
    page = Paginator(queries.imports_of_account(account), IMPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    status = 400 if request.method == "POST" else 200
    return render(
        request, "contacts/imports/index.html", {"form": form, "page": page}, status=status
    )


@account_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    job = queries.get_import_for_account(account, pk)
    if job.status == ImportStatus.UPLOADED:
        return _mapping(request, account, job)
    if request.method == "POST":
        messages.warning(request, _("This import has already started."))
        return redirect("contacts:import_detail", pk=job.pk)

    issues = imports.open_issues(job).order_by("row_number", "pk")
    page = Paginator(issues, ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "job": job,
        "page": page,
        "issue_rows": [
            (issue, [imports.describe_reason(job, reason) for reason in issue.reasons])
            for issue in page.object_list
        ],
        "headers": [imports.column_label(job, i) for i in range(len(job.headers))],
        "replayed_count": queries.issues_of_import(job).filter(replayed_at__isnull=False).count(),
    }
    return render(request, "contacts/imports/detail.html", context)


def _mapping(request: HttpRequest, account: Account, job: ImportJob) -> HttpResponse:
    columns = imports.preview_columns(account, job)
    form = MappingForm(account, job, columns, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # The new list and the start commit together, so a mapping
            # error leaves no empty list behind.
            with transaction.atomic():
                target_list = form.selected_list()
                if form.cleaned_data["new_list_name"]:
                    target_list = list_actions.create_list(
                        account, name=form.cleaned_data["new_list_name"]
                    )
                imports.start_import(
                    account,
                    job,
                    mapping=form.mapping(),
                    target_list=target_list,
                    consent_channels=form.cleaned_data["consent_channels"],
                    consent_source=form.cleaned_data["consent_source"],
                )
        except ListError as exc:
            form.add_error("new_list_name", exc.field_errors.get("name", str(exc)))
        except imports.MappingError as exc:
            for name, message in exc.field_errors.items():
                form.add_error(name if name in form.fields else None, message)
        except imports.ImportStateError as exc:
            messages.warning(request, str(exc))
            return redirect("contacts:import_detail", pk=job.pk)
        else:
            return redirect("contacts:import_detail", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "contacts/imports/mapping.html", {"job": job, "form": form}, status=status
    )


@account_required
@require_GET
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = queries.get_import_for_account(_account(request), pk)
    response = render(request, "contacts/imports/_partials/progress.html", {"job": job})
    finished = job.status in (ImportStatus.DONE, ImportStatus.FAILED)
    if finished and getattr(request, "htmx", False):
        # The page below the bar (counts, problem rows) is drawn by the full
        # view; reloading once shows it, and the reloaded page no longer polls.
        response["HX-Refresh"] = "true"
    return response


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


# account_required is typed for HttpResponse; a streaming response passes
# through it unchanged.
@account_required  # type: ignore[arg-type]
@require_GET
def issues_csv(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = queries.get_import_for_account(_account(request), pk)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        # A byte order mark makes Excel read the file as UTF-8, not as the
        # system's code page, so Hebrew shows as written.
        yield "\ufeff"
        for row in imports.issue_rows_for_csv(job):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = str(
        content_disposition_header(as_attachment=True, filename=f"import-{job.pk}-problem-rows.csv")
    )
    return response


@account_required
@require_POST
def replay(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    job = queries.get_import_for_account(account, pk)
    try:
        result = imports.replay_issues(account, job)
    except imports.ImportStateError as exc:
        messages.warning(request, str(exc))
    else:
        fixed = result.imported + result.completed
        message = _(
            "Rows applied on this try: %(fixed)d. Rows that still have problems: %(left)d."
        ) % {"fixed": fixed, "left": result.still_failing}
        if fixed:
            messages.success(request, message)
        else:
            messages.warning(request, message)
    return redirect("contacts:import_detail", pk=job.pk)
