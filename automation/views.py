"""The marketer's automation pages: the flow list, the canvas and published versions.

The canvas is a React app (frontend/, built into static/automation/canvas/).
The page hands it everything it shows through json_script: the flow, the
node types with translated labels and a form description of their
settings, the account's objects for the pickers, and the UI strings. The
app itself contains no translatable text.
"""

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from automation import actions, canvas_ui, queries
from automation.actions import FlowError
from automation.graph import activation_problems
from automation.models import Flow, FlowState, FlowVersion
from smoove.decorators import account_required


def _account(request: HttpRequest) -> Any:
    return request.account  # type: ignore[attr-defined]


@account_required
@require_http_methods(["GET", "POST"])
def flow_index(request: HttpRequest) -> HttpResponse:
    """List the account's flows; a POST creates an empty draft and opens it on the canvas."""
    account = _account(request)
    if request.method == "POST":
        name = request.POST.get("name", "").strip() or _("New flow")
        try:
            flow = actions.create_flow(account, {"name": name})
        except FlowError as exc:
            messages.error(request, str(exc))
            return redirect("automation:flow_index")
        return redirect("automation:flow_canvas", pk=flow.pk)
    flows = (
        queries.flows_of_account(account)
        .exclude(state=FlowState.ARCHIVED)
        .select_related("current_version")
        .annotate(entered=Count("enrollments"))
        .order_by("-updated_at")
    )
    return render(
        request,
        "automation/flow_index.html",
        {"flows": flows},
    )


def _flow_payload(flow: Flow) -> dict[str, Any]:
    return {
        "id": flow.pk,
        "name": flow.name,
        "state": flow.state,
        "state_label": str(flow.get_state_display()),
        "version": flow.current_version.number if flow.current_version else None,
        "reentry": flow.reentry,
        "reentry_days": flow.reentry_days,
        "graph": flow.graph or {"nodes": [], "edges": []},
        "unpublished_changes": actions.has_unpublished_changes(flow),
    }


def _canvas_context(request: HttpRequest, flow: Flow, *, version: FlowVersion | None) -> Any:
    account = _account(request)
    payload = _flow_payload(flow)
    if version is not None:
        payload["graph"] = version.graph
    config = {
        "flow": payload,
        "read_only": version is not None,
        "viewing_version": version.number if version is not None else None,
        "node_types": canvas_ui.node_types(),
        "categories": canvas_ui.categories(),
        "choices": canvas_ui.account_choices(account),
        "strings": canvas_ui.strings(),
        "csrf_token": get_token(request),
        "urls": {
            "flow": reverse("api_flow", kwargs={"pk": flow.pk}),
            "check": reverse("automation:flow_check", kwargs={"pk": flow.pk}),
            "activate": reverse("api_flow_activate", kwargs={"pk": flow.pk}),
            "pause": reverse("api_flow_pause", kwargs={"pk": flow.pk}),
            "resume": reverse("api_flow_resume", kwargs={"pk": flow.pk}),
            "retry_parked": reverse("api_flow_retry_parked", kwargs={"pk": flow.pk}),
            "counts": reverse("api_flow_counts", kwargs={"pk": flow.pk}),
            "dry_run": reverse("api_flow_dry_run", kwargs={"pk": flow.pk}),
            "versions": reverse("automation:flow_versions", kwargs={"pk": flow.pk}),
            "canvas": reverse("automation:flow_canvas", kwargs={"pk": flow.pk}),
            "index": reverse("automation:flow_index"),
            "messages": reverse("api_messages"),
            "contacts": reverse("api_contacts"),
        },
    }
    return render(
        request,
        "automation/flow_canvas.html",
        {"flow": flow, "version": version, "canvas_config": config},
    )


@account_required
@require_GET
def flow_canvas(request: HttpRequest, pk: int) -> HttpResponse:
    flow = queries.get_flow_for_account(_account(request), pk)
    return _canvas_context(request, flow, version=None)


@account_required
@require_GET
def flow_versions(request: HttpRequest, pk: int) -> HttpResponse:
    flow = queries.get_flow_for_account(_account(request), pk)
    return render(
        request,
        "automation/flow_versions.html",
        {"flow": flow, "versions": queries.versions_of_flow(flow)},
    )


@account_required
@require_GET
def flow_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Show a published version on a read-only canvas."""
    flow = queries.get_flow_for_account(_account(request), pk)
    version = queries.get_version_of_flow(flow, number)
    return _canvas_context(request, flow, version=version)


@account_required
@require_POST
def flow_check(request: HttpRequest, pk: int) -> JsonResponse:
    """Validate the saved draft and return its problems in the marketer's language.

    The API's validate endpoint responds in English for integrations, and
    the canvas shows the same problems translated.
    """
    account = _account(request)
    flow = queries.get_flow_for_account(account, pk)
    problems = activation_problems(account, flow.graph)
    return JsonResponse(
        {"valid": not problems, "problems": [problem.as_dict() for problem in problems]}
    )
