"""Amazon SNS message verification (signature versions 1 and 2).

1. The signing certificate must come from https://sns.<region>.amazonaws.com
   (or .amazonaws.com.cn) under /SimpleNotificationService-<hex>.pem; a
   suffix check on the host would accept anyone's S3 bucket.
2. The signed string is "key\\nvalue\\n" for the type's keys, in order.
3. Version 1 is RSA PKCS#1 v1.5 over SHA-1, version 2 over SHA-256.
Certificates are cached by URL. SES_SNS_TRUSTED_CERTS maps a certificate
URL to a local PEM file used instead of a download (tests only).
"""

import base64
import logging
import re
import threading
from typing import Any

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

logger = logging.getLogger(__name__)

CERT_URL_RE = re.compile(
    r"^https://sns\.[a-z0-9\-]+\.amazonaws\.com(\.cn)?/SimpleNotificationService-[a-z0-9]+\.pem$",
    re.IGNORECASE,
)
SUBSCRIBE_URL_RE = re.compile(r"^https://sns\.[a-z0-9\-]+\.amazonaws\.com(\.cn)?/", re.IGNORECASE)
SIGNED_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}  # noqa: S303 - SNS version 1 is SHA-1 by spec
# AWS serves certificates quickly; a slow one must not hold a web worker.
CERT_TIMEOUT_SECONDS = 5

_certificates: dict[str, x509.Certificate] = {}
_lock = threading.Lock()


class SnsError(ValueError):
    """An SNS message that fails verification; the view returns 400."""


def string_to_sign(envelope: dict[str, Any]) -> bytes:
    keys = SIGNED_KEYS.get(str(envelope.get("Type")))
    if keys is None:
        raise SnsError(f"Unknown SNS message type {envelope.get('Type')!r}.")
    parts = []
    for key in keys:
        if key in envelope and envelope[key] is not None:
            parts.append(f"{key}\n{envelope[key]}\n")
        elif key != "Subject":
            raise SnsError(f"The SNS message lacks {key}.")
    return "".join(parts).encode()


def _certificate(url: str) -> x509.Certificate:
    if not CERT_URL_RE.match(url):
        raise SnsError(f"The signing certificate URL {url!r} is not an Amazon SNS one.")
    with _lock:
        cached = _certificates.get(url)
    if cached is not None:
        return cached
    trusted = settings.SES_SNS_TRUSTED_CERTS.get(url)
    if trusted:
        with open(trusted, "rb") as handle:
            pem = handle.read()
    else:
        response = requests.get(url, timeout=CERT_TIMEOUT_SECONDS)
        response.raise_for_status()
        pem = response.content
    certificate = x509.load_pem_x509_certificate(pem)
    with _lock:
        _certificates[url] = certificate
    return certificate


def verify(envelope: dict[str, Any]) -> None:
    """Raise SnsError unless the envelope is signed by its SNS certificate and topic is ours."""
    version = str(envelope.get("SignatureVersion", ""))
    algorithm = HASHES.get(version)
    if algorithm is None:
        raise SnsError(f"Unsupported SNS signature version {version!r}.")
    topic = str(envelope.get("TopicArn", ""))
    if topic not in settings.SES_SNS_TOPIC_ARNS:
        raise SnsError(f"The topic {topic!r} is not configured in SES_SNS_TOPIC_ARNS.")
    certificate = _certificate(str(envelope.get("SigningCertURL", "")))
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SnsError("The SNS certificate does not hold an RSA key.")
    try:
        signature = base64.b64decode(str(envelope.get("Signature", "")), validate=True)
        public_key.verify(signature, string_to_sign(envelope), padding.PKCS1v15(), algorithm())
    except (InvalidSignature, ValueError) as exc:
        raise SnsError("The SNS signature does not match the message.") from exc


def confirm_subscription(envelope: dict[str, Any]) -> None:
    """Confirm a verified subscription by visiting its SubscribeURL on Amazon's host."""
    url = str(envelope.get("SubscribeURL", ""))
    if not SUBSCRIBE_URL_RE.match(url):
        raise SnsError(f"The SubscribeURL {url!r} is not an Amazon SNS one.")
    if settings.SES_SNS_CONFIRM_BASE_URL:
        # Tests send the confirmation to a local fake SNS server instead.
        url = settings.SES_SNS_CONFIRM_BASE_URL + url[SUBSCRIBE_URL_RE.match(url).end() - 1 :]  # type: ignore[union-attr]
    response = requests.get(url, timeout=CERT_TIMEOUT_SECONDS)
    response.raise_for_status()
    logger.info("sns subscription confirmed", extra={"topic": envelope.get("TopicArn")})
