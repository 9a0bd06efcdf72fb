"""REST API v1 for lists and list memberships."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts import queries as contact_queries
from contacts.actions import ContactError
from contacts.api import (
    NOT_FOUND,
    VALIDATION_ERROR,
    ApiPagination,
    ContactSerializer,
    ContactWriteSerializer,
    account_of,
    contact_values,
    nest_custom_errors,
    raise_contact_error,
)
from contacts.models import Contact
from lists import actions, queries
from lists.conditions import ConditionError
from lists.models import ContactList, ListKind

# Ids and contact values together, per request. The upsert holds a lock on
# the account row, so a bounded batch keeps other writers' wait short.
MAX_CONTACTS_PER_REQUEST = 1000

CONDITIONS_HELP = (
    'Only for dynamic lists. {"match": "all" | "any", "rules": [...]}, where a '
    'rule is {"type": "field", "field": "city", "op": "equals", "value": "חולון"}, '
    '{"type": "list", "op": "member" | "not_member", "list_id": 3} or '
    '{"type": "event", "op": "happened" | "not_happened", "kind": "custom", '
    '"within_days": 30}. Field operators: equals, not_equals, contains, '
    "not_contains, empty, not_empty, gt, lt, between (with value2)."
)


# Named "List" in the schema, because "ContactList" reads as a list of contacts.
@extend_schema_serializer(component_name="List")
class ContactListSerializer(serializers.ModelSerializer[ContactList]):
    conditions = serializers.JSONField(help_text=CONDITIONS_HELP)
    member_count = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "Members now. Null for a dynamic list whose conditions name a field that was deleted."
        ),
    )

    class Meta:
        model = ContactList
        fields = (
            "id",
            "name",
            "kind",
            "is_public",
            "public_description",
            "conditions",
            "member_count",
            "created_at",
        )
        read_only_fields = fields


def _check_kind_rules(kind: str, attrs: dict[str, Any]) -> None:
    """Reject settings that the list's kind ignores, instead of dropping them."""
    errors = {}
    if kind == ListKind.STATIC and "conditions" in attrs:
        errors["conditions"] = ["Only a dynamic list has conditions."]
    if kind == ListKind.DYNAMIC and attrs.get("is_public"):
        errors["is_public"] = ["A dynamic list cannot be offered on forms."]
    if errors:
        raise serializers.ValidationError(errors)


def _check_conditions_shape(value: Any) -> Any:
    if not isinstance(value, dict):
        raise serializers.ValidationError('Conditions must be an object with "match" and "rules".')
    return value


class ContactListCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ListKind.choices, default=ListKind.STATIC)
    is_public = serializers.BooleanField(
        default=False, help_text="Offer this static list on forms for visitors to choose."
    )
    public_description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    conditions = serializers.JSONField(required=False, help_text=CONDITIONS_HELP)

    def validate_conditions(self, value: Any) -> Any:
        return _check_conditions_shape(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _check_kind_rules(attrs["kind"], attrs)
        return attrs


class ContactListUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    is_public = serializers.BooleanField(required=False)
    public_description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    conditions = serializers.JSONField(required=False, help_text=CONDITIONS_HELP)

    def validate_conditions(self, value: Any) -> Any:
        return _check_conditions_shape(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        contact_list: ContactList = self.context["contact_list"]
        if "kind" in self.initial_data and self.initial_data["kind"] != contact_list.kind:
            raise serializers.ValidationError(
                {"kind": ["A list cannot change kind; create a new list instead."]}
            )
        _check_kind_rules(contact_list.kind, attrs)
        return attrs


class MembersAddSerializer(serializers.Serializer[Any]):
    contact_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="Ids of existing contacts.",
    )
    contacts = ContactWriteSerializer(
        many=True,
        required=False,
        default=list,
        help_text=(
            "Contact values, upserted first by the account's identifying field, "
            "exactly as POST /api/v1/contacts/ does."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        total = len(attrs["contact_ids"]) + len(attrs["contacts"])
        if total == 0:
            raise serializers.ValidationError(
                {"contact_ids": ["Give contact_ids, contacts, or both."]}
            )
        if total > MAX_CONTACTS_PER_REQUEST:
            raise serializers.ValidationError(
                {
                    "contacts": [
                        f"At most {MAX_CONTACTS_PER_REQUEST} contacts per request; "
                        f"this one has {total}."
                    ]
                }
            )
        return attrs


class MembersAddedSerializer(serializers.Serializer[Any]):
    added = serializers.IntegerField(help_text="Contacts that were not members before.")
    contact_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="Every contact of the request, ids first."
    )


class MembersRemoveSerializer(serializers.Serializer[Any]):
    contact_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=MAX_CONTACTS_PER_REQUEST,
    )


class MembersRemovedSerializer(serializers.Serializer[Any]):
    removed = serializers.IntegerField(help_text="Contacts that were members and left.")


def _list_of_request(request: Request, pk: int) -> ContactList:
    return queries.get_list_for_account(account_of(request), pk)


def _counted(contact_list: ContactList) -> dict[str, Any]:
    return ContactListSerializer(queries.with_member_counts([contact_list])[0]).data


@extend_schema_view(
    get=extend_schema(
        tags=["lists"],
        summary="List lists",
        responses={200: ContactListSerializer(many=True)},
    ),
    post=extend_schema(
        tags=["lists"],
        summary="Create a list",
        description=(
            "A static list holds the contacts added to it; a public static list "
            "is also offered on forms. A dynamic list holds whoever matches its "
            "conditions at the time it is read."
        ),
        request=ContactListCreateSerializer,
        responses={201: ContactListSerializer, 400: VALIDATION_ERROR},
        examples=[
            OpenApiExample(
                "Dynamic list",
                value={
                    "name": "לקוחות מחולון",
                    "kind": "dynamic",
                    "conditions": {
                        "match": "all",
                        "rules": [
                            {"type": "field", "field": "city", "op": "equals", "value": "חולון"}
                        ],
                    },
                },
                request_only=True,
            )
        ],
    ),
)
class ListListView(GenericAPIView[ContactList]):
    serializer_class = ContactListSerializer
    pagination_class = ApiPagination

    def get_queryset(self) -> QuerySet[ContactList]:
        return queries.lists_of_account(account_of(self.request)).order_by("id")

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        counted = queries.with_member_counts(page or [])
        return self.get_paginated_response(ContactListSerializer(counted, many=True).data)

    def post(self, request: Request) -> Response:
        incoming = ContactListCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        contact_list = actions.create_list(account_of(request), **incoming.validated_data)
        return Response(_counted(contact_list), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=["lists"],
        summary="Get a list",
        responses={200: ContactListSerializer, 404: NOT_FOUND},
    ),
    patch=extend_schema(
        tags=["lists"],
        summary="Change a list",
        description="The kind of a list is fixed when it is created.",
        request=ContactListUpdateSerializer,
        responses={200: ContactListSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    ),
    delete=extend_schema(
        tags=["lists"],
        summary="Delete a list",
        description="Deletes the list and its memberships; the contacts stay.",
        responses={204: None, 404: NOT_FOUND},
    ),
)
class ListDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        return Response(_counted(_list_of_request(request, pk)))

    def patch(self, request: Request, pk: int) -> Response:
        contact_list = _list_of_request(request, pk)
        incoming = ContactListUpdateSerializer(
            data=request.data, context={"contact_list": contact_list}
        )
        incoming.is_valid(raise_exception=True)
        contact_list = actions.update_list(
            account_of(request),
            contact_list,
            dict(incoming.validated_data),
        )
        return Response(_counted(contact_list))

    def delete(self, request: Request, pk: int) -> Response:
        contact_list = _list_of_request(request, pk)
        actions.delete_list(account_of(request), contact_list)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        tags=["lists"],
        summary="List the members of a list",
        description="For a dynamic list, the contacts matching its conditions now.",
        responses={200: ContactSerializer(many=True), 400: VALIDATION_ERROR, 404: NOT_FOUND},
    ),
    post=extend_schema(
        tags=["lists"],
        summary="Add contacts to a static list",
        description=(
            "Adds contacts given by id, or by their values (upserted first), or "
            "both. All or nothing: when an id is unknown or a contact's values "
            "are invalid, nothing is saved and the errors name each one. Contacts "
            f"already in the list are skipped. At most {MAX_CONTACTS_PER_REQUEST} "
            "contacts per request."
        ),
        request=MembersAddSerializer,
        responses={200: MembersAddedSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    ),
)
class ListMembersView(GenericAPIView[Contact]):
    serializer_class = ContactSerializer
    pagination_class = ApiPagination

    def get(self, request: Request, pk: int) -> Response:
        contact_list = _list_of_request(request, pk)
        try:
            members = queries.members_of_list(contact_list).order_by("id")
            page = self.paginate_queryset(members)
        except ConditionError as exc:
            raise serializers.ValidationError({"conditions": [str(exc)]}) from exc
        return self.get_paginated_response(ContactSerializer(page, many=True).data)

    def post(self, request: Request, pk: int) -> Response:
        contact_list = _list_of_request(request, pk)
        incoming = MembersAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rows = incoming.validated_data["contacts"]
        try:
            added, contacts = actions.add_contacts_by_reference(
                account_of(request),
                contact_list,
                contact_ids=incoming.validated_data["contact_ids"],
                rows=[contact_values(row) for row in rows],
                source="api",
            )
        except actions.ContactRowsRejected as exc:
            raise serializers.ValidationError(
                {
                    "contacts": [
                        nest_custom_errors(
                            exc.row_errors.get(index, {}), set(row.get("fields", {}))
                        )
                        for index, row in enumerate(rows)
                    ]
                }
            ) from exc
        except ContactError as exc:
            raise_contact_error(exc, set())
        return Response(
            MembersAddedSerializer({"added": added, "contact_ids": [c.pk for c in contacts]}).data
        )


@extend_schema(
    tags=["lists"],
    summary="Remove contacts from a static list",
    description="Ids that are contacts of the account but not members are skipped.",
    request=MembersRemoveSerializer,
    responses={200: MembersRemovedSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
)
class ListMembersRemoveView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        contact_list = _list_of_request(request, pk)
        incoming = MembersRemoveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        contacts = contact_queries.get_contacts_for_account(
            account, incoming.validated_data["contact_ids"]
        )
        removed = actions.remove_contacts(account, contact_list, contacts, source="api")
        return Response(MembersRemovedSerializer({"removed": removed}).data)


@extend_schema(
    tags=["lists"],
    summary="Remove one contact from a static list",
    description="Returns 404 when the contact is not a member of the list.",
    responses={204: None, 400: VALIDATION_ERROR, 404: NOT_FOUND},
)
class ListMemberView(APIView):
    def delete(self, request: Request, pk: int, contact_id: int) -> Response:
        account = account_of(request)
        contact_list = _list_of_request(request, pk)
        contact = contact_queries.get_contact_for_account(account, contact_id)
        removed = actions.remove_contacts(account, contact_list, [contact], source="api")
        if not removed:
            return Response(
                {"detail": "The contact is not a member of this list."},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
