"""Provider callback endpoints: verify the signature, then hand over to campaigns.callbacks."""

import json
import logging

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from campaigns import callbacks, sns

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def ses_notification(request: HttpRequest) -> HttpResponse:
    """Take an SNS POST: confirm the subscription or apply the SES event.

    SNS sends JSON as text/plain, so the content type is not checked.
    """
    try:
        envelope = json.loads(request.body.decode("utf-8"))
        if not isinstance(envelope, dict):
            raise ValueError("not an object")
        sns.verify(envelope)
    except (ValueError, sns.SnsError) as exc:
        logger.warning("sns message rejected", extra={"error": str(exc)})
        return HttpResponseBadRequest("Invalid SNS message.")
    kind = envelope.get("Type")
    if kind == "SubscriptionConfirmation":
        try:
            sns.confirm_subscription(envelope)
        except (sns.SnsError, requests.RequestException) as exc:
            logger.warning("sns subscription not confirmed", extra={"error": str(exc)})
            return HttpResponse(status=502)
        return HttpResponse("Subscription confirmed.")
    if kind == "Notification":
        callbacks.apply_ses_event(
            str(envelope.get("MessageId", "")), callbacks.parse_ses_message(envelope)
        )
    return HttpResponse("OK")


def _twilio_signature_valid(request: HttpRequest) -> bool:
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    url = request.build_absolute_uri()
    params = {key: request.POST.getlist(key) for key in request.POST}
    flat = {key: values[0] if len(values) == 1 else values for key, values in params.items()}
    return bool(validator.validate(url, flat, request.headers.get("X-Twilio-Signature", "")))


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not settings.TWILIO_AUTH_TOKEN or not _twilio_signature_valid(request):
        return HttpResponseForbidden("Invalid signature.")
    callbacks.apply_twilio_status(request.POST.dict())
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not settings.TWILIO_AUTH_TOKEN or not _twilio_signature_valid(request):
        return HttpResponseForbidden("Invalid signature.")
    account_id = callbacks.endpoint_account_id(request.GET.get("tenant", ""))
    if account_id is None:
        return HttpResponse(status=404)
    callbacks.apply_twilio_inbound(account_id, request.POST.dict())
    # An empty TwiML response: no automatic reply.
    return HttpResponse("<Response></Response>", content_type="application/xml")
