"""REST API v1 for flows: create, read, validate, activate, pause, counts, dry runs.

Errors are English JSON. A graph that cannot be published returns 400 with
"problems": [{"node": "n3", "message": "..."}], node null for the flow.
"""

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from automation import actions, engine, queries
from automation.actions import FlowError
from automation.graph import activation_problems
from automation.models import Flow, FlowVersion
from automation.nodes import REGISTRY
from automation.nodes.base import NEXT
from contacts import queries as contact_queries
from contacts.api import NOT_FOUND, VALIDATION_ERROR, ApiPagination, account_of

GRAPH_HELP = (
    'The flow graph: {"nodes": [{"id": "n1", "type": "form_submitted", "settings": {}}], '
    '"edges": [{"source": "n1", "target": "n2", "branch": "next"}]}. Node types and their '
    "settings are listed at /api/v1/flow-node-types/. Branches: next; yes and no for "
    "conditions; the branch keys of a split."
)


class EnglishAPIView(APIView):
    """Respond in English whatever the account's language, as the rest of the API does."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with translation.override("en"):
            return super().dispatch(request, *args, **kwargs)


class FlowSerializer(serializers.ModelSerializer[Flow]):
    graph = serializers.JSONField(required=False, help_text=GRAPH_HELP)
    version = serializers.SerializerMethodField()
    unpublished_changes = serializers.SerializerMethodField(
        help_text="Whether the draft differs from the published version."
    )

    class Meta:
        model = Flow
        fields = (
            "id",
            "name",
            "state",
            "reentry",
            "reentry_days",
            "graph",
            "version",
            "unpublished_changes",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            "id",
            "state",
            "version",
            "unpublished_changes",
            "created_at",
            "updated_at",
        )

    def get_version(self, flow: Flow) -> int | None:
        return flow.current_version.number if flow.current_version else None

    def get_unpublished_changes(self, flow: Flow) -> bool:
        return actions.has_unpublished_changes(flow)


class DryRunSerializer(serializers.Serializer[Any]):
    contact_id = serializers.IntegerField()


def _problems(exc: FlowError) -> Response:
    return Response(
        {"detail": str(exc), "problems": [problem.as_dict() for problem in exc.problems]},
        status=status.HTTP_400_BAD_REQUEST,
    )


@extend_schema(tags=["flows"])
class FlowListView(EnglishAPIView):
    serializer_class = FlowSerializer

    @extend_schema(summary="List flows", responses=FlowSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = ApiPagination()
        page = paginator.paginate_queryset(
            queries.flows_of_account(account_of(request))
            .select_related("current_version")
            .order_by("id"),
            request,
            view=self,
        )
        return paginator.get_paginated_response(FlowSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a flow (as a draft)",
        responses={201: FlowSerializer, 400: VALIDATION_ERROR},
    )
    def post(self, request: Request) -> Response:
        incoming = FlowSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            flow = actions.create_flow(account_of(request), dict(incoming.validated_data))
        except FlowError as exc:
            return _problems(exc)
        return Response(FlowSerializer(flow).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["flows"])
class FlowDetailView(EnglishAPIView):
    serializer_class = FlowSerializer

    @extend_schema(summary="Read a flow", responses={200: FlowSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        flow = queries.get_flow_for_account(account_of(request), pk)
        return Response(FlowSerializer(flow).data)

    @extend_schema(
        summary="Change a flow's draft",
        description="Contacts keep walking the published version until the flow is activated.",
        responses={200: FlowSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    def patch(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        flow = queries.get_flow_for_account(account, pk)
        incoming = FlowSerializer(flow, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        try:
            flow = actions.update_flow(account, flow, dict(incoming.validated_data))
        except FlowError as exc:
            return _problems(exc)
        return Response(FlowSerializer(flow).data)

    @extend_schema(summary="Archive a flow", responses={204: None, 404: NOT_FOUND})
    def delete(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        actions.archive_flow(account, queries.get_flow_for_account(account, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FlowVersionSerializer(serializers.ModelSerializer[FlowVersion]):
    class Meta:
        model = FlowVersion
        fields = ("number", "published_at", "graph")
        read_only_fields = fields


@extend_schema(tags=["flows"])
class FlowVersionListView(EnglishAPIView):
    serializer_class = FlowVersionSerializer

    @extend_schema(
        summary="List a flow's published versions, newest first",
        responses={200: FlowVersionSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        flow = queries.get_flow_for_account(account_of(request), pk)
        paginator = ApiPagination()
        page = paginator.paginate_queryset(queries.versions_of_flow(flow), request, view=self)
        return paginator.get_paginated_response(FlowVersionSerializer(page, many=True).data)


@extend_schema(tags=["flows"])
class FlowValidateView(EnglishAPIView):
    @extend_schema(
        summary="Validate a flow's draft",
        request=None,
        responses={200: OpenApiTypes.OBJECT, 404: NOT_FOUND},
        description='Returns {"valid": bool, "problems": [{"node": id or null, "message": ...}]}.',
    )
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        flow = queries.get_flow_for_account(account, pk)
        problems = activation_problems(account, flow.graph)
        return Response(
            {"valid": not problems, "problems": [problem.as_dict() for problem in problems]}
        )


@extend_schema(tags=["flows"])
class FlowControlView(EnglishAPIView):
    """Activate (publishing a version), pause, resume, archive, or retry parked contacts."""

    verb = ""

    @extend_schema(
        request=None, responses={200: FlowSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND}
    )
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        flow = queries.get_flow_for_account(account, pk)
        try:
            if self.verb == "activate":
                flow = actions.activate_flow(account, flow)
            elif self.verb == "pause":
                flow = actions.pause_flow(account, flow)
            elif self.verb == "resume":
                flow = actions.resume_flow(account, flow)
            elif self.verb == "archive":
                flow = actions.archive_flow(account, flow)
            else:
                actions.retry_parked(account, flow)
        except FlowError as exc:
            return _problems(exc)
        return Response(FlowSerializer(flow).data)


@extend_schema(tags=["flows"])
class FlowCountsView(EnglishAPIView):
    @extend_schema(
        summary="Per-node counts",
        description=(
            'Per node id: {"entered", "waiting", "failed", "branches": {branch: count}}, '
            "over every version of the flow. A trigger's entered count is the number of "
            'enrollments it started. A node with failed (parked) contacts also has "reasons": '
            'up to three distinct reasons, newest first, as [{"reason", "count"}].'
            " POST retry-parked/ runs the failed steps again."
        ),
        responses={200: dict, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        flow = queries.get_flow_for_account(account_of(request), pk)
        counts = queries.node_counts(flow)
        # A trigger runs no step: its numbers are the enrollments it started.
        for node_id, entered in queries.entries_by_trigger(flow).items():
            counts[node_id] = {
                "entered": entered,
                "waiting": 0,
                "failed": 0,
                "branches": {NEXT: entered},
            }
        return Response({"flow_id": flow.pk, "nodes": counts})


@extend_schema(tags=["flows"])
class FlowDryRunView(EnglishAPIView):
    @extend_schema(
        summary="Show the path a contact would take now, without sending or changing anything",
        request=DryRunSerializer,
        responses={200: dict, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        flow = queries.get_flow_for_account(account, pk)
        incoming = DryRunSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        contact = contact_queries.get_contact_for_account(
            account, incoming.validated_data["contact_id"]
        )
        return Response({"path": engine.dry_run(flow, contact)})


@extend_schema(tags=["flows"])
class NodeTypeListView(EnglishAPIView):
    @extend_schema(
        summary="The node types a flow may use, with each one's settings schema",
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "type": kind.type,
                    "category": kind.category,
                    "label": str(kind.label),
                    "description": str(kind.description),
                    "settings_schema": kind.settings_schema,
                    "branches": kind.branches({}) if kind.type != "split" else ["<branch keys>"],
                }
                for kind in REGISTRY.values()
            ]
        )


@extend_schema(tags=["flows"])
class ContactFlowsView(EnglishAPIView):
    @extend_schema(
        summary="The flows a contact entered and the path taken in each, with times",
        responses={200: dict, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        contact = contact_queries.get_contact_for_account(account, pk)
        return Response(
            {"contact_id": contact.pk, "flows": queries.contact_paths(account, contact)}
        )
