"""REST API v1 for contacts, custom fields and custom contact events.

Views check the shape of a request with a serializer, then call the contacts
actions and queries, which normalise and validate the values themselves.
"""

import json
from collections.abc import Mapping
from typing import Any, NoReturn, cast

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts import actions, queries
from contacts.actions import ContactError, EventKind
from contacts.fields import SYSTEM_FIELD_KEYS
from contacts.models import Channel, ConsentStatus, Contact, CustomField, FieldType
from lists import queries as list_queries
from smoove.models import Account

# A custom event is a trigger with a little context, not a data store, so a
# cap keeps one integration from filling the event table.
MAX_EVENT_PROPERTIES_BYTES = 16_384
MAX_EVENT_NAME_LENGTH = 100

VALIDATION_ERROR = OpenApiResponse(
    description="Invalid input. The body maps each invalid field to a list of reasons."
)
NOT_FOUND = OpenApiResponse(description="No such object in this account.")


class ApiPagination(PageNumberPagination):
    """Pages of 100 contacts by default, up to 1,000 with the `page_size` query parameter."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def account_of(request: Request) -> Account:
    """Return the account that the HasAccount permission resolved for the request."""
    return request.account  # type: ignore[attr-defined]


def raise_contact_error(exc: ContactError, custom_keys: set[str]) -> NoReturn:
    """Raise a 400 that nests errors of custom fields under "fields", as they were sent."""
    errors = nest_custom_errors(exc.field_errors, custom_keys) or {"detail": [str(exc)]}
    raise serializers.ValidationError(errors) from exc


# Serializers of contacts.


class ContactSerializer(serializers.ModelSerializer[Contact]):
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        read_only=True,
        help_text="Custom field values by field key.",
    )
    mobile = serializers.CharField(read_only=True, help_text="Mobile number in E.164 (+9725…).")
    phone = serializers.CharField(
        read_only=True, help_text="Another number (a landline, say) in E.164."
    )

    class Meta:
        model = Contact
        fields: tuple[str, ...] = (
            "id",
            "email",
            "mobile",
            "phone",
            "first_name",
            "last_name",
            "city",
            "gender",
            "birthday",
            "external_id",
            "fields",
            "over_plan",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ConsentStateSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ConsentStatus.choices)
    # A declared field named like a Field attribute; DRF keeps them apart.
    source = serializers.CharField(  # type: ignore[assignment]
        help_text="form, import, api, manual or unsubscribe."
    )
    recorded_at = serializers.DateTimeField()


class ConsentByChannelSerializer(serializers.Serializer[Any]):
    email = ConsentStateSerializer(allow_null=True)
    sms = ConsentStateSerializer(allow_null=True)
    whatsapp = ConsentStateSerializer(allow_null=True)


class ContactDetailSerializer(ContactSerializer):
    list_ids = serializers.SerializerMethodField(
        help_text="Every list the contact is in, static and dynamic."
    )
    consent = serializers.SerializerMethodField(
        help_text="The latest consent record per channel, or null where none was recorded."
    )
    suppressed = serializers.SerializerMethodField(
        help_text="Channels the contact receives nothing on, with the reason."
    )

    class Meta(ContactSerializer.Meta):
        fields = (*ContactSerializer.Meta.fields, "list_ids", "consent", "suppressed")
        read_only_fields = fields

    def get_list_ids(self, contact: Contact) -> list[int]:
        return list_queries.list_ids_of_contact(contact)

    @extend_schema_field(ConsentByChannelSerializer)
    def get_consent(self, contact: Contact) -> dict[str, Any]:
        latest = queries.current_consent(contact)
        return {
            channel: (
                {
                    "status": latest[channel].status,
                    "source": latest[channel].source,
                    "recorded_at": latest[channel].recorded_at,
                }
                if channel in latest
                else None
            )
            for channel in Channel.values
        }

    @extend_schema_field(
        serializers.DictField(
            child=serializers.ChoiceField(
                choices=["unsubscribed", "bounced", "complained", "manual"]
            )
        )
    )
    def get_suppressed(self, contact: Contact) -> dict[str, str]:
        return {s.channel: s.reason for s in queries.suppressions_of_contact(contact)}


class ContactWriteSerializer(serializers.Serializer[Any]):
    """Values of a contact, which the contacts actions normalise and validate."""

    email = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    mobile = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Any Israeli form (050-1234567, 972501234567, +972 50…); stored in E.164.",
    )
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A landline or other number; a mobile sent here also fills `mobile`.",
    )
    first_name = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    last_name = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    city = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    gender = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="female, male or other."
    )
    birthday = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="2024-12-31 or 31/12/2024.",
    )
    external_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(allow_null=True),
        required=False,
        help_text="Custom field values by field key (see /api/v1/fields/).",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # DRF drops unknown keys silently, so a misspelt key would lose data.
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            unknown = {
                key: ['Unknown field. Send custom field values inside "fields".']
                for key in data
                if key not in self._declared_fields
            }
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**unknown, **exc.detail}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return attrs

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        system_in_fields = {
            key: ["This is a built-in field. Send it at the top level."]
            for key in attrs.get("fields", {})
            if key in SYSTEM_FIELD_KEYS
        }
        if system_in_fields:
            raise serializers.ValidationError({"fields": system_in_fields})
        return attrs


def contact_values(attrs: dict[str, Any]) -> dict[str, Any]:
    """Return the flat values the contacts actions take: built-in and custom keys together."""
    values = {k: v for k, v in attrs.items() if k != "fields"}
    values.update(attrs.get("fields", {}))
    return values


def nest_custom_errors(field_errors: dict[str, str], custom_keys: set[str]) -> dict[str, Any]:
    """Return action errors shaped like the request: custom field errors under "fields"."""
    errors: dict[str, Any] = {}
    nested: dict[str, list[str]] = {}
    for key, message in field_errors.items():
        if key in custom_keys:
            nested[key] = [message]
        else:
            errors[key] = [message]
    if nested:
        errors["fields"] = nested
    return errors


class ContactFilterSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(required=False, help_text="Exact address, any case.")
    mobile = serializers.CharField(
        required=False, help_text="Any Israeli form of the number, matched in E.164."
    )
    external_id = serializers.CharField(required=False)
    list_id = serializers.IntegerField(
        required=False, min_value=1, help_text="Members of this list, static or dynamic."
    )
    updated_since = serializers.DateTimeField(
        required=False, help_text="Contacts changed at or after this ISO 8601 time."
    )
    search = serializers.CharField(
        required=False,
        help_text="Words that each appear in a name, email, city, external ID or number.",
    )


# Views of contacts.


@extend_schema_view(
    get=extend_schema(
        tags=["contacts"],
        summary="List contacts",
        parameters=[ContactFilterSerializer],
        responses={200: ContactSerializer(many=True), 400: VALIDATION_ERROR},
    ),
    post=extend_schema(
        tags=["contacts"],
        summary="Create or update a contact by its identifier",
        description=(
            "Matches an existing contact by the account's identifying field "
            "(email, mobile or external ID) and fills in the values sent. An "
            "empty or missing value never erases a stored one; to clear a value "
            "use PATCH. Answers 201 when the contact was created, 200 when it "
            "matched an existing one."
        ),
        request=ContactWriteSerializer,
        responses={
            201: ContactDetailSerializer,
            200: ContactDetailSerializer,
            400: VALIDATION_ERROR,
        },
        examples=[
            OpenApiExample(
                "Contact with a custom field",
                value={
                    "email": "dana@example.com",
                    "mobile": "050-1234567",
                    "first_name": "דנה",
                    "fields": {"vip_level": "gold"},
                },
                request_only=True,
            )
        ],
    ),
)
class ContactListView(GenericAPIView[Contact]):
    serializer_class = ContactSerializer
    pagination_class = ApiPagination

    def get_queryset(self) -> QuerySet[Contact]:
        filters = ContactFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        account = account_of(self.request)
        contacts = queries.filter_contacts(
            account,
            email=given.get("email"),
            mobile=given.get("mobile"),
            external_id=given.get("external_id"),
            updated_since=given.get("updated_since"),
            text=given.get("search"),
        )
        if "list_id" in given:
            try:
                contact_list = list_queries.get_list_for_account(account, given["list_id"])
            except Http404 as exc:
                raise serializers.ValidationError(
                    {"list_id": [f"No list has the ID {given['list_id']}."]}
                ) from exc
            contacts = contacts.filter(list_queries.members_filter(contact_list))
        return contacts

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ContactSerializer(page, many=True).data)

    def post(self, request: Request) -> Response:
        incoming = ContactWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            outcome = actions.upsert_contact(
                account_of(request),
                contact_values(incoming.validated_data),
                source="api",
            )
        except ContactError as exc:
            raise_contact_error(exc, set(incoming.validated_data.get("fields", {})))
        # upsert_contact raises rather than return a row it did not apply.
        contact = cast(Contact, outcome.contact)
        return Response(
            ContactDetailSerializer(contact).data,
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


@extend_schema_view(
    get=extend_schema(
        tags=["contacts"],
        summary="Get a contact",
        responses={200: ContactDetailSerializer, 404: NOT_FOUND},
    ),
    patch=extend_schema(
        tags=["contacts"],
        summary="Change a contact",
        description=(
            "Sets the fields sent and leaves the others. Unlike the upsert, an "
            "empty string or null clears a value; the identifying field cannot "
            "be cleared."
        ),
        request=ContactWriteSerializer,
        responses={200: ContactDetailSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    ),
    delete=extend_schema(
        tags=["contacts"],
        summary="Delete a contact",
        description=(
            "Deletes the contact with its events, list memberships and consent "
            "records, as a privacy request asks. It cannot be undone."
        ),
        responses={204: None, 404: NOT_FOUND},
    ),
)
class ContactDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        contact = queries.get_contact_for_account(account_of(request), pk)
        return Response(ContactDetailSerializer(contact).data)

    def patch(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        contact = queries.get_contact_for_account(account, pk)
        incoming = ContactWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            contact = actions.update_contact(
                account, contact, contact_values(incoming.validated_data), source="api"
            )
        except ContactError as exc:
            raise_contact_error(exc, set(incoming.validated_data.get("fields", {})))
        return Response(ContactDetailSerializer(contact).data)

    def delete(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        actions.delete_contact(account, queries.get_contact_for_account(account, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# Custom fields.


class CustomFieldSerializer(serializers.ModelSerializer[CustomField]):
    key = serializers.SlugField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=(
            "Key of the field in a contact's `fields`; fixed once created. "
            "Made from the label when omitted."
        ),
    )
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text="The options of a choice or multi_choice field.",
    )

    class Meta:
        model = CustomField
        fields = ("id", "key", "label", "type", "choices", "position")
        read_only_fields = ("id", "position")


class CustomFieldUpdateSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(max_length=100, required=False)  # type: ignore[assignment]
    choices = serializers.ListField(child=serializers.CharField(max_length=200), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        fixed = [key for key in ("key", "type") if key in self.initial_data]
        if fixed:
            raise serializers.ValidationError(
                {key: ["This cannot change; stored values depend on it."] for key in fixed}
            )
        return attrs


@extend_schema_view(
    get=extend_schema(
        tags=["custom fields"],
        summary="List custom fields",
        responses={200: CustomFieldSerializer(many=True)},
    ),
    post=extend_schema(
        tags=["custom fields"],
        summary="Create a custom field",
        request=CustomFieldSerializer,
        responses={201: CustomFieldSerializer, 400: VALIDATION_ERROR},
    ),
)
class CustomFieldListView(APIView):
    def get(self, request: Request) -> Response:
        custom_fields = queries.custom_fields_of_account(account_of(request))
        return Response(CustomFieldSerializer(custom_fields, many=True).data)

    def post(self, request: Request) -> Response:
        incoming = CustomFieldSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        given = incoming.validated_data
        custom = actions.create_custom_field(
            account_of(request),
            label=given["label"],
            type=given["type"],
            key=given.get("key", ""),
            choices=given.get("choices"),
        )
        return Response(CustomFieldSerializer(custom).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=["custom fields"],
        summary="Get a custom field",
        responses={200: CustomFieldSerializer, 404: NOT_FOUND},
    ),
    patch=extend_schema(
        tags=["custom fields"],
        summary="Rename a custom field or change its choices",
        request=CustomFieldUpdateSerializer,
        responses={200: CustomFieldSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    ),
    delete=extend_schema(
        tags=["custom fields"],
        summary="Delete a custom field",
        description="Values already stored on contacts are kept but no longer shown.",
        responses={204: None, 404: NOT_FOUND},
    ),
)
class CustomFieldDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        custom = queries.get_custom_field_for_account(account_of(request), pk)
        return Response(CustomFieldSerializer(custom).data)

    def patch(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        custom = queries.get_custom_field_for_account(account, pk)
        incoming = CustomFieldUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        given = incoming.validated_data
        if "choices" in given and custom.type not in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
            raise serializers.ValidationError(
                {"choices": ["Only a choice or multi_choice field has choices."]}
            )
        custom = actions.update_custom_field(
            account, custom, label=given.get("label", custom.label), choices=given.get("choices")
        )
        return Response(CustomFieldSerializer(custom).data)

    def delete(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        actions.delete_custom_field(account, queries.get_custom_field_for_account(account, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# Custom contact events.


class ContactEventInputSerializer(serializers.Serializer[Any]):
    contact_id = serializers.IntegerField(required=False, min_value=1)
    email = serializers.CharField(required=False)
    mobile = serializers.CharField(required=False)
    external_id = serializers.CharField(required=False)
    name = serializers.CharField(
        max_length=MAX_EVENT_NAME_LENGTH,
        help_text="What happened, such as `webinar_registered`; automations trigger on it.",
    )
    properties = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        default=dict,
        help_text=f"Any JSON object of up to {MAX_EVENT_PROPERTIES_BYTES:,} bytes.",
    )

    def validate_properties(self, value: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(value, ensure_ascii=False).encode())
        if size > MAX_EVENT_PROPERTIES_BYTES:
            raise serializers.ValidationError(
                f"The properties take {size:,} bytes; the limit is {MAX_EVENT_PROPERTIES_BYTES:,}."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(k) for k in ("contact_id", "email", "mobile", "external_id")):
            raise serializers.ValidationError(
                {"contact_id": ["Give contact_id, email, mobile or external_id."]}
            )
        return attrs


class ContactEventSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    contact_id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField(source="data.name")
    properties = serializers.DictField(source="data.properties", child=serializers.JSONField())
    occurred_at = serializers.DateTimeField()


@extend_schema(
    tags=["events"],
    summary="Record a custom contact event",
    description=(
        "Records that something happened to a contact, for automations to "
        "trigger on and statistics to count. The contact is given by "
        "`contact_id`, or else by the first of `email`, `mobile` and "
        "`external_id` that is sent; an unknown contact is not created (404). "
        "The event is stored with kind `custom` and data "
        '`{"name": …, "properties": {…}}`, and occurs when it is received.'
    ),
    request=ContactEventInputSerializer,
    responses={201: ContactEventSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    examples=[
        OpenApiExample(
            "Event by email",
            value={
                "email": "dana@example.com",
                "name": "webinar_registered",
                "properties": {"webinar": "שיווק בוואטסאפ", "seats": 2},
            },
            request_only=True,
        )
    ],
)
class ContactEventView(APIView):
    def post(self, request: Request) -> Response:
        account = account_of(request)
        incoming = ContactEventInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        given = incoming.validated_data
        if given.get("contact_id"):
            contact = queries.get_contact_for_account(account, given["contact_id"])
        else:
            contact = queries.find_contact(
                account,
                email=given.get("email"),
                mobile=given.get("mobile"),
                external_id=given.get("external_id"),
            )
        event = actions.record_event(
            account,
            contact,
            EventKind.CUSTOM,
            {"name": given["name"], "properties": given["properties"]},
        )
        return Response(ContactEventSerializer(event).data, status=status.HTTP_201_CREATED)
