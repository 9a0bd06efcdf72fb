"""REST API v1 for forms and their submissions.

Serializers check the shape of a request; forms.actions checks the rest
and raises FormError, which becomes a 400 naming the field.
"""

from typing import Any, NoReturn

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts.api import NOT_FOUND, VALIDATION_ERROR, ApiPagination, account_of
from contacts.models import Channel
from forms import actions, intake, queries, rendering
from forms.actions import FormError
from forms.models import (
    COUNTED_STATUSES,
    KEPT_STATUSES,
    REPLAYABLE_STATUSES,
    AfterSubmit,
    Form,
    FormStatus,
    Submission,
    SubmissionStatus,
)
from forms.queries import load_definition

FORM_SETTINGS = (
    "name",
    "title",
    "description",
    "submit_label",
    "lists_intro",
    "after_submit",
    "thank_you_title",
    "thank_you_text",
    "redirect_url",
    "double_opt_in",
    "confirmation_subject",
    "confirmation_text",
)


def raise_form_error(exc: FormError) -> NoReturn:
    errors = {key: [message] for key, message in exc.field_errors.items()} or {"detail": [str(exc)]}
    raise serializers.ValidationError(errors) from exc


# DRF's serializer metaclass takes declared fields out of the class, so
# field names that Field also has (label, required, fields) work at run
# time. The stubs do not model that, hence the type: ignore comments.
class VisibleFieldSerializer(serializers.Serializer[Any]):
    field_key = serializers.CharField(
        help_text="A system field key (email, mobile, …) or a custom field key."
    )
    label = serializers.CharField(required=False, allow_blank=True, max_length=200)  # type: ignore[assignment]
    placeholder = serializers.CharField(required=False, allow_blank=True, max_length=200)
    required = serializers.BooleanField(required=False, default=False)  # type: ignore[assignment]


class HiddenFieldSerializer(serializers.Serializer[Any]):
    field_key = serializers.CharField(
        help_text="The contact field that stores the value, usually a custom text field."
    )
    fixed_value = serializers.CharField(required=False, allow_blank=True, max_length=500)
    query_param = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Read the value from this query parameter of the page address (utm_source); the fixed value is the fallback.",
    )


class ConsentSerializer(serializers.Serializer[Any]):
    channel = serializers.ChoiceField(choices=Channel.choices)
    wording = serializers.CharField(
        max_length=2000, help_text="The text the visitor agrees to; stored with each consent."
    )
    required = serializers.BooleanField(required=False, default=False)  # type: ignore[assignment]


class FormSerializer(serializers.Serializer[Any]):
    """A form with its fields, lists, consent, addresses and counts (read only)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=FormStatus.choices)
    title = serializers.CharField()
    description = serializers.CharField()
    submit_label = serializers.CharField()
    lists_intro = serializers.CharField()
    after_submit = serializers.ChoiceField(choices=AfterSubmit.choices)
    thank_you_title = serializers.CharField()
    thank_you_text = serializers.CharField()
    redirect_url = serializers.CharField()
    double_opt_in = serializers.BooleanField()
    confirmation_subject = serializers.CharField()
    confirmation_text = serializers.CharField()
    fields = VisibleFieldSerializer(many=True)  # type: ignore[assignment]
    hidden_fields = HiddenFieldSerializer(many=True)
    public_list_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="Public lists offered as checkboxes."
    )
    target_list_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="Lists every submission joins."
    )
    consents = ConsentSerializer(many=True)
    public_url = serializers.CharField(
        help_text="The hosted page of the form; it works once the form is published."
    )
    embed_html = serializers.CharField(
        help_text="An HTML form to paste into another site; it posts here."
    )
    iframe_html = serializers.CharField()
    view_count = serializers.IntegerField()
    submission_count = serializers.IntegerField(
        help_text="Applied submissions and those waiting for confirmation."
    )
    kept_count = serializers.IntegerField(
        help_text="Submissions kept with a reason, for review and replay."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class FormWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    status = serializers.ChoiceField(choices=FormStatus.choices, required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    submit_label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    lists_intro = serializers.CharField(max_length=500, required=False, allow_blank=True)
    after_submit = serializers.ChoiceField(choices=AfterSubmit.choices, required=False)
    thank_you_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    thank_you_text = serializers.CharField(required=False, allow_blank=True)
    redirect_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    double_opt_in = serializers.BooleanField(required=False)
    confirmation_subject = serializers.CharField(max_length=200, required=False, allow_blank=True)
    confirmation_text = serializers.CharField(required=False, allow_blank=True)
    fields = VisibleFieldSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="Replaces the visible fields, in this order."
    )
    hidden_fields = HiddenFieldSerializer(
        many=True, required=False, help_text="Replaces the hidden fields."
    )
    public_list_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    target_list_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    consents = ConsentSerializer(
        many=True, required=False, help_text="Replaces the consent checkboxes."
    )


def form_data(form: Form) -> dict[str, Any]:
    definition = load_definition(form)
    counts = queries.status_counts(queries.submissions_of_form(form))
    return {
        "id": form.pk,
        "status": form.status,
        **{name: getattr(form, name) for name in FORM_SETTINGS},
        "fields": [
            {
                "field_key": form_field.field_key,
                "label": form_field.label,
                "placeholder": form_field.placeholder,
                "required": form_field.required,
            }
            for form_field, _spec in definition.visible
        ],
        "hidden_fields": [
            {
                "field_key": form_field.field_key,
                "fixed_value": form_field.fixed_value,
                "query_param": form_field.query_param,
            }
            for form_field, _spec in definition.hidden
        ],
        "public_list_ids": [contact_list.pk for contact_list in definition.offered_lists],
        "target_list_ids": definition.target_list_ids,
        "consents": [
            {"channel": consent.channel, "wording": consent.wording, "required": consent.required}
            for consent in definition.consents
        ],
        "public_url": rendering.public_url(form),
        "embed_html": rendering.embed_snippet(definition),
        "iframe_html": rendering.iframe_snippet(form),
        "view_count": form.view_count,
        "submission_count": sum(counts.get(name, 0) for name in COUNTED_STATUSES),
        "kept_count": sum(counts.get(name, 0) for name in KEPT_STATUSES),
        "created_at": form.created_at,
        "updated_at": form.updated_at,
    }


@transaction.atomic
def _write(request: Request, form: Form | None, data: dict[str, Any]) -> Form:
    """Create or change a form from validated data; roll everything back on FormError."""
    account = account_of(request)
    try:
        if form is None:
            form = actions.create_form(account, name=data.get("name", ""))
        settings = {name: data[name] for name in FORM_SETTINGS if name in data}
        if "fields" in data or "hidden_fields" in data:
            actions.replace_fields(
                account, form, visible=data.get("fields"), hidden=data.get("hidden_fields")
            )
        if "public_list_ids" in data or "target_list_ids" in data:
            definition = load_definition(form)
            actions.set_lists(
                account,
                form,
                offered_ids=data.get(
                    "public_list_ids", [item.pk for item in definition.offered_lists]
                ),
                target_ids=data.get("target_list_ids", definition.target_list_ids),
            )
        if "consents" in data:
            given = {item["channel"]: item for item in data["consents"]}
            for channel in Channel.values:
                item = given.get(channel)
                actions.set_consent(
                    account,
                    form,
                    channel=channel,
                    enabled=item is not None,
                    wording=item["wording"] if item else "",
                    required=item["required"] if item else False,
                )
        if settings:
            actions.update_form(account, form, settings)
        wanted = data.get("status", form.status)
        if wanted == FormStatus.PUBLISHED:
            # Also re-checks a published form whose fields just changed.
            actions.publish_form(account, form)
        elif form.is_published:
            actions.unpublish_form(account, form)
    except FormError as exc:
        raise_form_error(exc)
    return form


@extend_schema_view(
    get=extend_schema(
        tags=["forms"], summary="List forms", responses={200: FormSerializer(many=True)}
    ),
    post=extend_schema(
        tags=["forms"],
        summary="Create a form",
        description=(
            "Without `fields`, the form asks for the account's identifying field "
            "(required) and the first name. A published form must ask for the "
            "identifying field as a required field."
        ),
        request=FormWriteSerializer,
        responses={201: FormSerializer, 400: VALIDATION_ERROR},
    ),
)
class FormListView(GenericAPIView[Form]):
    serializer_class = FormSerializer
    pagination_class = ApiPagination

    def get_queryset(self) -> Any:
        return queries.forms_of_account(account_of(self.request)).order_by("id")

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        return self.get_paginated_response([form_data(form) for form in page])

    def post(self, request: Request) -> Response:
        incoming = FormWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        if not incoming.validated_data.get("name"):
            raise serializers.ValidationError({"name": ["This field is required."]})
        form = _write(request, None, dict(incoming.validated_data))
        return Response(form_data(form), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=["forms"], summary="Get a form", responses={200: FormSerializer, 404: NOT_FOUND}
    ),
    patch=extend_schema(
        tags=["forms"],
        summary="Change a form",
        description="Only the given parts change; `fields`, `hidden_fields` and `consents` replace the whole set.",
        request=FormWriteSerializer,
        responses={200: FormSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    ),
)
class FormDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        return Response(form_data(queries.get_form_for_account(account_of(request), pk)))

    def patch(self, request: Request, pk: int) -> Response:
        form = queries.get_form_for_account(account_of(request), pk)
        incoming = FormWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        form = _write(request, form, dict(incoming.validated_data))
        form.refresh_from_db()
        return Response(form_data(form))


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    is_kept = serializers.BooleanField(
        help_text="Not applied: kept with its reason for review and replay."
    )

    class Meta:
        model = Submission
        fields = (
            "id",
            "status",
            "is_kept",
            "reason",
            "errors",
            "warnings",
            "values",
            "hidden_values",
            "list_ids",
            "consents",
            "contact",
            "over_plan",
            "page",
            "slot",
            "ip_address",
            "created_at",
            "applied_at",
            "confirmed_at",
            "replay_count",
        )
        read_only_fields = fields


STATUS_FILTERS = {
    "kept": KEPT_STATUSES,
    "awaiting": (SubmissionStatus.AWAITING_CONFIRMATION,),
    **{value: (value,) for value in SubmissionStatus.values},
}


@extend_schema_view(
    get=extend_schema(
        tags=["forms"],
        summary="List a form's submissions",
        parameters=[
            OpenApiParameter(
                "status",
                description="kept, awaiting, or one status: " + ", ".join(SubmissionStatus.values),
                required=False,
                type=str,
            )
        ],
        responses={200: SubmissionSerializer(many=True), 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
)
class SubmissionListView(GenericAPIView[Submission]):
    serializer_class = SubmissionSerializer
    pagination_class = ApiPagination

    def get(self, request: Request, pk: int) -> Response:
        form = queries.get_form_for_account(account_of(request), pk)
        rows = queries.submissions_of_form(form)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in STATUS_FILTERS:
                raise serializers.ValidationError(
                    {
                        "status": [
                            f"Unknown status “{wanted}”. Use kept, awaiting or one of: {', '.join(SubmissionStatus.values)}."
                        ]
                    }
                )
            rows = rows.filter(status__in=STATUS_FILTERS[wanted])
        page = self.paginate_queryset(rows) or []
        return self.get_paginated_response(SubmissionSerializer(page, many=True).data)


class ReplaySerializer(serializers.Serializer[Any]):
    values = serializers.DictField(
        required=False,
        help_text="Corrected contact values by field key; the others stay as the visitor sent them.",
    )


@extend_schema(
    tags=["forms"],
    summary="Replay a kept submission",
    description=(
        "Applies a kept submission again. The response is the submission "
        "afterwards: applied, waiting for confirmation (double opt-in), or "
        "still kept with the new reason. 409 when it is not kept."
    ),
    request=ReplaySerializer,
    responses={200: SubmissionSerializer, 404: NOT_FOUND, 409: VALIDATION_ERROR},
)
class SubmissionReplayView(APIView):
    def post(self, request: Request, pk: int, submission_pk: int) -> Response:
        form = queries.get_form_for_account(account_of(request), pk)
        submission = queries.get_submission_for_form(form, submission_pk)
        incoming = ReplaySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        if submission.status not in REPLAYABLE_STATUSES:
            return Response(
                {
                    "detail": [
                        f"The submission is {submission.status}, so there is nothing to replay."
                    ]
                },
                status=status.HTTP_409_CONFLICT,
            )
        try:
            received = intake.replay_submission(submission, incoming.validated_data.get("values"))
        except ValueError:
            return Response(
                {"detail": ["Another request replayed this submission first."]},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(SubmissionSerializer(received.submission).data)
