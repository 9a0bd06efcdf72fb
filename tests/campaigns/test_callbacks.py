import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import Client

from campaigns.models import Delivery, DeliveryStatus, InboundEndpoint
from contacts import queries as contact_queries
from contacts.models import ContactEvent, Suppression
from tests.campaigns.conftest import email_message, make_contact

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
SES = REALDATA / "ses"
TWILIO_CASES = json.loads((REALDATA / "twilio" / "twilio-webhooks.json").read_text())
CERT_URL = "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-00000000000000000000000000fake00.pem"
TOPIC = "arn:aws:sns:eu-central-1:123456789012:ses-events-FAKE"
BOUNCED_SES_ID = "0100fake00000000-00000000-0000-4000-8000-000000000001-000000"
COMPLAINED_SES_ID = "0100fake00000000-00000000-0000-4000-8000-000000000006-000000"


@pytest.fixture
def sns_settings(settings):
    settings.SES_SNS_TOPIC_ARNS = [TOPIC]
    settings.SES_SNS_TRUSTED_CERTS = {CERT_URL: str(SES / "sns-test-signing-cert.pem")}


def post_sns(name):
    body = (SES / name).read_bytes()
    return Client().post("/hooks/ses/", body, content_type="text/plain; charset=UTF-8")


def delivery_for(account, email, provider_id):
    contact = make_contact(account, email=email)
    message = email_message(account, name=f"m-{provider_id[-8:]}")
    return Delivery.objects.create(
        account=account,
        message=message,
        contact=contact,
        channel="email",
        address=contact.email,
        status=DeliveryStatus.SENT,
        claim_token="t",
        provider_id=provider_id,
    )


@pytest.mark.django_db
def test_ses_permanent_bounce_sigv1_suppresses(account, sns_settings):
    delivery = delivery_for(account, "no.such.user@example.com", BOUNCED_SES_ID)

    response = post_sns("sns.notification.bounce-permanent.sigv1.json")

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.bounced_at is not None
    suppression = Suppression.objects.get(contact=delivery.contact)
    assert suppression.reason == "bounced"
    assert (
        ContactEvent.objects.filter(contact=delivery.contact, kind="message_bounced").count() == 1
    )


@pytest.mark.django_db
def test_ses_retry_of_same_notification_changes_nothing(account, sns_settings):
    delivery = delivery_for(account, "no.such.user@example.com", BOUNCED_SES_ID)

    post_sns("sns.notification.bounce-permanent.sigv1.json")
    again = post_sns("sns.notification.bounce-permanent.sigv1.json")

    assert again.status_code == 200
    assert (
        ContactEvent.objects.filter(contact=delivery.contact, kind="message_bounced").count() == 1
    )


@pytest.mark.django_db
def test_ses_complaint_sigv2_suppresses_and_revokes_consent(account, sns_settings):
    delivery = delivery_for(account, "annoyed.reader@example.com", COMPLAINED_SES_ID)

    response = post_sns("sns.notification.complaint.sigv2.json")

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.complained_at is not None
    assert contact_queries.is_suppressed(delivery.contact, "email")
    assert contact_queries.current_consent(delivery.contact)["email"].status == "revoked"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["sns.REJECT.cert-url-http.json", "sns.REJECT.message-tampered.json"]
)
def test_ses_forged_notifications_are_rejected(account, sns_settings, name):
    delivery = delivery_for(account, "no.such.user@example.com", BOUNCED_SES_ID)

    response = post_sns(name)

    assert response.status_code == 400
    delivery.refresh_from_db()
    assert delivery.bounced_at is None
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_ses_topic_not_configured_is_rejected(account, sns_settings, settings):
    settings.SES_SNS_TOPIC_ARNS = ["arn:aws:sns:eu-central-1:123456789012:another-topic"]
    delivery_for(account, "no.such.user@example.com", BOUNCED_SES_ID)

    response = post_sns("sns.notification.bounce-permanent.sigv1.json")

    assert response.status_code == 400
    assert not Suppression.objects.exists()


class FakeSns:
    def __init__(self):
        self.paths = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's hook name
                fake.paths.append(self.path)
                body = b"<ConfirmSubscriptionResponse/>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # noqa: A002 - base signature
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.mark.django_db
def test_ses_subscription_is_confirmed_at_the_subscribe_url(sns_settings, settings):
    fake = FakeSns()
    settings.SES_SNS_CONFIRM_BASE_URL = fake.url
    try:
        response = post_sns("sns.subscription-confirmation.sigv1.json")
    finally:
        fake.server.shutdown()

    envelope = json.loads((SES / "sns.subscription-confirmation.sigv1.json").read_text())
    expected = urllib.parse.urlsplit(envelope["SubscribeURL"])
    assert response.status_code == 200
    assert fake.paths == [f"{expected.path}?{expected.query}"]


# --- Twilio ----------------------------------------------------------------


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TWILIO_CASES["auth_token_used_for_signatures"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "app.example.com"]


def post_twilio(index):
    case = TWILIO_CASES["cases"][index]
    url = urllib.parse.urlsplit(case["url"])
    return Client().post(
        f"{url.path}?{url.query}",
        case["body"],
        content_type="application/x-www-form-urlencoded",
        HTTP_HOST=url.netloc,
        HTTP_X_TWILIO_SIGNATURE=case["headers"]["X-Twilio-Signature"],
        secure=url.scheme == "https",
    )


def sms_delivery(account, sid, mobile="+972500000001", channel="sms"):
    contact = make_contact(account, email=f"{sid}@example.com", mobile=mobile, consent=(channel,))
    message = email_message(account, name=f"m-{sid}")
    return Delivery.objects.create(
        account=account,
        message=message,
        contact=contact,
        channel=channel,
        address=mobile,
        status=DeliveryStatus.SENT,
        claim_token="t",
        provider_id=sid,
    )


@pytest.mark.django_db
def test_twilio_status_never_moves_back(account, twilio_settings):
    delivery = sms_delivery(account, "SM000000000000000000000000000000a1")

    responses = [post_twilio(0), post_twilio(2), post_twilio(1)]

    assert [r.status_code for r in responses] == [204, 204, 204]
    delivery.refresh_from_db()
    assert delivery.provider_status == "delivered"
    assert delivery.delivered_at is not None
    assert (
        ContactEvent.objects.filter(contact=delivery.contact, kind="message_delivered").count() == 1
    )


@pytest.mark.django_db
def test_twilio_undelivered_is_recorded_with_its_code(account, twilio_settings):
    delivery = sms_delivery(account, "SM000000000000000000000000000000b0")

    post_twilio(3)

    delivery.refresh_from_db()
    assert delivery.provider_status == "undelivered"
    assert "30003" in delivery.error


@pytest.mark.django_db
def test_twilio_forged_signature_is_rejected(account, twilio_settings):
    delivery = sms_delivery(account, "SM000000000000000000000000000000a1")

    response = post_twilio(13)

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.provider_status == ""


@pytest.mark.django_db
def test_twilio_whatsapp_status(account, twilio_settings):
    delivery = sms_delivery(
        account, "SM000000000000000000000000000000f1", "+972500000003", "whatsapp"
    )

    post_twilio(11)
    post_twilio(12)

    delivery.refresh_from_db()
    assert delivery.provider_status == "delivered"


@pytest.fixture
def replier(account):
    InboundEndpoint.objects.create(account=account, token="t_fake01")
    return make_contact(account, email="r@example.com", mobile="+972500000002", consent=("sms",))


@pytest.mark.django_db
@pytest.mark.parametrize("index", [6, 7])
def test_twilio_opt_out_words_suppress_sms(account, twilio_settings, replier, index):
    response = post_twilio(index)

    assert response.status_code == 200
    assert contact_queries.is_suppressed(replier, "sms")
    assert not contact_queries.is_suppressed(replier, "email")
    assert contact_queries.current_consent(replier)["sms"].status == "revoked"


@pytest.mark.django_db
def test_twilio_start_after_stop_opts_back_in(account, twilio_settings, replier):
    post_twilio(6)
    post_twilio(8)

    assert not contact_queries.is_suppressed(replier, "sms")
    assert contact_queries.current_consent(replier)["sms"].status == "granted"


@pytest.mark.django_db
def test_twilio_hebrew_reply_is_an_event(account, twilio_settings, replier):
    post_twilio(5)

    event = ContactEvent.objects.get(contact=replier, kind="sms_received")
    assert event.data["body"].startswith("שלום, אשמח לפרטים")
    assert not contact_queries.is_suppressed(replier, "sms")


@pytest.mark.django_db
def test_twilio_whatsapp_button_reply_opens_the_session(account, twilio_settings):
    InboundEndpoint.objects.create(account=account, token="t_fake01")
    contact = make_contact(account, email="w@example.com", mobile="+972500000003")

    post_twilio(10)

    event = ContactEvent.objects.get(contact=contact, kind="whatsapp_received")
    assert event.data["button_payload"] == "YES_INTERESTED"


@pytest.mark.django_db
def test_twilio_inbound_for_unknown_tenant_is_not_found(account, twilio_settings):
    make_contact(account, email="r@example.com", mobile="+972500000002")

    response = post_twilio(6)

    assert response.status_code == 404
    assert not Suppression.objects.exists()
