"""REST API v1 for messages and their sends, so a store or CRM can run a newsletter."""

from typing import Any, NoReturn, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import actions, queries, sending
from campaigns.actions import CampaignError
from campaigns.models import Message, Send, Sender
from contacts import queries as contact_queries
from contacts.api import NOT_FOUND, VALIDATION_ERROR, ApiPagination, account_of
from contacts.models import Channel

BLOCKS_HELP = (
    'Email content: a list of blocks, each {"id": "b1", "type": ..., "rule": <conditions>}. '
    "Types: heading and text (text), image (src, alt, url), button (label and url, or "
    'action {"kind": "add_to_list" | "remove_from_list", "list_id": 3} or '
    '{"kind": "set_field", "field": "rsvp", "value": "yes"} with thanks), divider, '
    "columns (columns: two or three lists of blocks) and footer (text). A rule has the "
    "shape of dynamic-list conditions."
)
MERGE_HELP = "Merge tags: [[first_name]], [[שם פרטי]] or [[שם פרטי|fallback]]."


def _raise(exc: CampaignError) -> NoReturn:
    raise serializers.ValidationError(exc.errors or {"detail": [str(exc)]}) from exc


class MessageSerializer(serializers.ModelSerializer[Message]):
    subject = serializers.CharField(required=False, allow_blank=True, help_text=MERGE_HELP)
    blocks = serializers.JSONField(required=False, help_text=BLOCKS_HELP)
    subject_rules = serializers.JSONField(
        required=False,
        help_text='Alternative subjects: [{"rule": <conditions>, "subject": "..."}].',
    )
    sender_email = serializers.EmailField(
        required=False,
        allow_blank=True,
        help_text="The address of one of the account's verified senders (see /api/v1/senders/); "
        "empty for the account's default sender.",
    )
    whatsapp_variables = serializers.JSONField(
        required=False,
        help_text='Variables of the approved WhatsApp template: {"1": {"value": '
        '"[[first_name]]", "fallback": "customer"}, "2": ...}, numbered without gaps.',
    )

    class Meta:
        model = Message
        fields = (
            "id",
            "channel",
            "name",
            "subject",
            "preheader",
            "subject_rules",
            "blocks",
            "text",
            "is_advertising",
            "sender_name",
            "sender_email",
            "reply_to",
            "sender_contact",
            "whatsapp_content_sid",
            "whatsapp_variables",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")


class SenderSerializer(serializers.ModelSerializer[Sender]):
    address = serializers.EmailField(source="email", help_text="The address emails come from.")
    reply_to = serializers.EmailField(required=False, allow_blank=True)
    verified = serializers.SerializerMethodField(
        help_text="True once someone opened the link emailed to the address and confirmed."
    )
    is_default = serializers.SerializerMethodField(
        help_text="True for the sender that messages without their own sender use."
    )

    class Meta:
        model = Sender
        fields = (
            "id",
            "name",
            "address",
            "reply_to",
            "verified",
            "verified_at",
            "verification_sent_at",
            "is_default",
            "created_at",
        )
        read_only_fields = ("id", "verified_at", "verification_sent_at", "created_at")

    def get_verified(self, sender: Sender) -> bool:
        return sender.is_verified

    def get_is_default(self, sender: Sender) -> bool:
        return sender.email.lower() == (sender.account.default_sender_email or "").lower()


class SendCreateSerializer(serializers.Serializer[Any]):
    list_ids = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    exclude_list_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    pulse_size = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    pulse_interval_minutes = serializers.IntegerField(required=False, min_value=1, default=1)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
    variants = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        required=False,
        help_text='A/B variants: [{"subject": "..."}, ...], two to four.',
    )
    test_percent = serializers.IntegerField(required=False, default=0)
    winner_metric = serializers.ChoiceField(
        choices=["opens", "clicks"], required=False, default="opens"
    )
    test_hours = serializers.FloatField(required=False, default=4, min_value=0)


class PreviewSerializer(serializers.Serializer[Any]):
    contact_id = serializers.IntegerField(required=False, allow_null=True)


class TestSendSerializer(serializers.Serializer[Any]):
    to = serializers.ListField(child=serializers.CharField(), min_length=1)
    contact_id = serializers.IntegerField(required=False, allow_null=True)


def _send_payload(send: Send) -> dict[str, Any]:
    progress = sending.progress(send)
    report = queries.report(send)
    eta = sending.eta(send)
    return {
        "id": send.pk,
        "message_id": send.message_id,
        "status": send.status,
        "list_ids": send.list_ids,
        "exclude_list_ids": send.exclude_list_ids,
        "pulse_size": send.pulse_size,
        "pulse_interval_minutes": send.pulse_interval_minutes,
        "scheduled_at": send.scheduled_at,
        "next_pulse_at": send.next_pulse_at,
        "eta": eta,
        "progress": {
            "recipients": progress.total,
            "skipped": progress.skipped,
            "waiting": progress.queued,
            "sent": progress.sent,
            "failed": progress.failed,
            "ambiguous": progress.ambiguous,
        },
        "report": {**report, "links": [dict(link) for link in cast(list[Any], report["links"])]},
        "variants": queries.variant_report(send),
        "winner_variant": send.winner_variant,
    }


@extend_schema(tags=["messages"])
class MessageListView(APIView):
    serializer_class = MessageSerializer

    @extend_schema(summary="List messages", responses=MessageSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = ApiPagination()
        page = paginator.paginate_queryset(
            queries.messages_of_account(account_of(request)).order_by("id"), request, view=self
        )
        return paginator.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a message",
        description="Unknown merge tags, invalid blocks and rules are rejected with their place.",
        responses={201: MessageSerializer, 400: VALIDATION_ERROR},
    )
    def post(self, request: Request) -> Response:
        incoming = MessageSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = dict(incoming.validated_data)
        channel = values.pop("channel", Channel.EMAIL)
        try:
            message = actions.save_message(account_of(request), None, values, channel=channel)
        except CampaignError as exc:
            _raise(exc)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["messages"], responses={200: MessageSerializer, 404: NOT_FOUND})
class MessageDetailView(APIView):
    serializer_class = MessageSerializer

    def get(self, request: Request, pk: int) -> Response:
        return Response(
            MessageSerializer(queries.get_message_for_account(account_of(request), pk)).data
        )

    @extend_schema(responses={200: MessageSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND})
    def patch(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        message = queries.get_message_for_account(account, pk)
        incoming = MessageSerializer(message, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        values = dict(incoming.validated_data)
        values.pop("channel", None)
        try:
            message = actions.save_message(account, message, values)
        except CampaignError as exc:
            _raise(exc)
        return Response(MessageSerializer(message).data)

    @extend_schema(responses={204: None, 400: VALIDATION_ERROR, 404: NOT_FOUND})
    def delete(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        try:
            actions.delete_message(account, queries.get_message_for_account(account, pk))
        except CampaignError as exc:
            _raise(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["messages"])
class MessageValidateView(APIView):
    @extend_schema(
        summary="Validate a message",
        description="Returns the problems that stop saving (errors) and sending (compliance).",
        request=None,
        responses={200: None, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        message = queries.get_message_for_account(account, pk)
        errors = actions.validate_message(account, message)
        compliance = actions.compliance_problems(account, message)
        return Response(
            {"valid": not errors and not compliance, "errors": errors, "compliance": compliance}
        )


def _contact(request: Request, contact_id: int | None) -> Any:
    if contact_id is None:
        return None
    return contact_queries.get_contact_for_account(account_of(request), contact_id)


@extend_schema(tags=["messages"])
class MessagePreviewView(APIView):
    @extend_schema(
        summary="Render a message as a contact",
        request=PreviewSerializer,
        responses={200: None, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        message = queries.get_message_for_account(account, pk)
        incoming = PreviewSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rendered = actions.render_for_contact(
            account, message, _contact(request, incoming.validated_data.get("contact_id"))
        )
        return Response(
            {
                "subject": rendered.subject,
                "preheader": rendered.preheader,
                "html": rendered.html,
                "text": rendered.text,
            }
        )


@extend_schema(tags=["messages"])
class MessageTestView(APIView):
    @extend_schema(
        summary="Send a test",
        description="Sends the message, rendered as the contact if given, to up to ten addresses.",
        request=TestSendSerializer,
        responses={200: None, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        message = queries.get_message_for_account(account, pk)
        incoming = TestSendSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            sent = actions.send_test(
                account,
                message,
                incoming.validated_data["to"],
                _contact(request, incoming.validated_data.get("contact_id")),
            )
        except CampaignError as exc:
            _raise(exc)
        return Response({"sent": sent})


@extend_schema(tags=["messages"])
class MessageSendsView(APIView):
    @extend_schema(summary="List the sends of a message", responses={200: None, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        message = queries.get_message_for_account(account_of(request), pk)
        return Response([_send_payload(send) for send in queries.sends_of_message(message)[:100]])

    @extend_schema(
        summary="Start a send to lists",
        description=(
            "Builds the recipient queue and releases it in pulses of pulse_size every "
            "pulse_interval_minutes (all at once without pulse_size). With variants, "
            "test_percent of the recipients get them and the winner by opens or clicks "
            "goes to the rest after test_hours."
        ),
        request=SendCreateSerializer,
        responses={201: None, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        message = queries.get_message_for_account(account, pk)
        incoming = SendCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            send = actions.create_send(account, message, **incoming.validated_data)
        except CampaignError as exc:
            _raise(exc)
        return Response(_send_payload(send), status=status.HTTP_201_CREATED)


@extend_schema(tags=["messages"])
class SendDetailView(APIView):
    @extend_schema(
        summary="Read a send's progress and report", responses={200: None, 404: NOT_FOUND}
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_send_payload(queries.get_send_for_account(account_of(request), pk)))


class SendControlView(APIView):
    verb = ""

    @extend_schema(
        tags=["messages"],
        summary="Pause, resume or cancel a send",
        request=None,
        responses={200: None, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        send = queries.get_send_for_account(account, pk)
        control = {
            "pause": actions.pause_send,
            "resume": actions.resume_send,
            "cancel": actions.cancel_send,
        }[self.verb]
        try:
            control(account, send)
        except CampaignError as exc:
            _raise(exc)
        send.refresh_from_db()
        return Response(_send_payload(send))


@extend_schema(tags=["senders"])
class SenderListView(APIView):
    serializer_class = SenderSerializer

    @extend_schema(summary="List sender addresses", responses=SenderSerializer(many=True))
    def get(self, request: Request) -> Response:
        found = queries.senders_of_account(account_of(request)).select_related("account")
        return Response(SenderSerializer(found, many=True).data)

    @extend_schema(
        summary="Add a sender address",
        description=(
            "Adds the sender and emails a verification link to the address. The sender "
            "can be used in messages once someone opens the link and confirms."
        ),
        responses={201: SenderSerializer, 400: VALIDATION_ERROR},
    )
    def post(self, request: Request) -> Response:
        incoming = SenderSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            sender = actions.add_sender(
                account_of(request),
                name=values["name"],
                email=values["email"],
                reply_to=values.get("reply_to", ""),
            )
        except CampaignError as exc:
            errors = exc.errors
            if "email" in errors:
                errors = {**errors, "address": errors.pop("email")}
            raise serializers.ValidationError(errors or {"detail": [str(exc)]}) from exc
        return Response(SenderSerializer(sender).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["senders"], responses={200: SenderSerializer, 404: NOT_FOUND})
class SenderDetailView(APIView):
    serializer_class = SenderSerializer

    def get(self, request: Request, pk: int) -> Response:
        return Response(
            SenderSerializer(queries.get_sender_for_account(account_of(request), pk)).data
        )

    @extend_schema(
        summary="Delete a sender",
        description="Sends of messages that use its address are rejected until another sender is chosen.",
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        actions.delete_sender(account, queries.get_sender_for_account(account, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SenderActionView(APIView):
    verb = ""

    @extend_schema(
        tags=["senders"],
        summary="Resend the verification email, or make the sender the account's default",
        request=None,
        responses={200: SenderSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        account = account_of(request)
        sender = queries.get_sender_for_account(account, pk)
        try:
            if self.verb == "verification":
                actions.send_sender_verification(sender)
            else:
                actions.set_default_sender(account, sender)
        except CampaignError as exc:
            _raise(exc)
        sender.refresh_from_db()
        return Response(SenderSerializer(sender).data)
