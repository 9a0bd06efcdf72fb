"""REST API v1 for the flow template gallery: list the templates, make a flow from one."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from automation import actions
from automation.api import EnglishAPIView, FlowSerializer
from automation.flow_templates import all_templates
from automation.flow_templates.base import FlowTemplate
from automation.gallery import TemplateError, UnknownTemplate
from contacts.api import NOT_FOUND, account_of


class FlowTemplateSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    steps = serializers.SerializerMethodField()
    creates = serializers.SerializerMethodField()

    def get_steps(self, template: FlowTemplate) -> list[dict[str, str]]:
        return template.steps()

    def get_creates(self, template: FlowTemplate) -> dict[str, list[str]]:
        """Return what using the template makes or reuses, by kind, as names."""
        return {
            "fields": [field.key for field in template.fields],
            "lists": [item.name for item in template.lists],
            "forms": [form.name for form in template.forms],
            "messages": [message.name for message in template.messages],
        }


TEMPLATE_ERROR = OpenApiResponse(
    description='The template cannot be used in this account: {"detail": "..."}.'
)


@extend_schema(tags=["flows"])
class FlowTemplateListView(EnglishAPIView):
    serializer_class = FlowTemplateSerializer

    @extend_schema(
        summary="List the flow templates",
        description="Ready-made flows with their messages written in Hebrew.",
        responses=FlowTemplateSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(FlowTemplateSerializer(all_templates(), many=True).data)


@extend_schema(tags=["flows"])
class FlowTemplateUseView(EnglishAPIView):
    serializer_class = FlowSerializer

    @extend_schema(
        summary="Make a draft flow from a template",
        description=(
            "Creates the custom fields, lists, forms and messages the template needs "
            "(fields are reused by key and lists by name) and the draft flow, in one "
            "transaction. Activate the flow to start it."
        ),
        request=None,
        responses={201: FlowSerializer, 400: TEMPLATE_ERROR, 404: NOT_FOUND},
    )
    def post(self, request: Request, key: str) -> Response:
        user: Any = request.user if request.user.is_authenticated else None
        try:
            flow = actions.create_flow_from_template(account_of(request), key, user=user)
        except UnknownTemplate as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        except TemplateError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(FlowSerializer(flow).data, status=status.HTTP_201_CREATED)
