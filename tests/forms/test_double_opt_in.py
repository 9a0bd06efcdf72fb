"""Double opt-in end to end: submission, email over SMTP through a real worker, confirmation."""

import datetime
import re
import time
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import ConsentRecord, Contact, ContactEvent
from forms import intake
from forms.models import Submission, SubmissionStatus
from lists.models import ListMembership
from tests.forms.conftest import build_form
from tests.smtp_sink import body_text

LINK = re.compile(r"https?://\S+/f/confirm/\S+/")


def wait_for_messages(mailbox, count: int, timeout: float = 20.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(mailbox.messages) >= count:
            return mailbox.messages
        time.sleep(0.1)
    raise AssertionError(f"expected {count} emails, got {len(mailbox.messages)}")


@pytest.mark.django_db(transaction=True)
def test_double_opt_in_joins_lists_only_after_confirmation(
    account, public_lists, celery_worker, mailbox
):
    account.default_sender_name = "חנות הפרחים"
    account.default_sender_email = "shop@flowers.example"
    account.save(update_fields=["default_sender_name", "default_sender_email"])
    form = build_form(account, offered=[public_lists["shoes"]], double_opt_in=True)
    visitor = Client()

    response = visitor.post(
        reverse("public_forms:form", args=[form.public_token]),
        {
            "email": "noa@example.com",
            "first_name": "נועה",
            "_lists": [public_lists["shoes"].pk],
            "_consent_email": "1",
        },
    )

    assert response.status_code == 200
    assert "confirm your subscription" in response.content.decode()
    submission = Submission.objects.get(form=form)
    assert submission.status == SubmissionStatus.AWAITING_CONFIRMATION
    assert not Contact.objects.filter(account=account).exists()

    message = wait_for_messages(mailbox, 1)[0]
    assert message["To"] == "noa@example.com"
    assert "shop@flowers.example" in message["From"]
    text = body_text(message)
    assert "נועה" in text
    link = LINK.search(text).group(0)

    # Opening the link, as a mail scanner would, shows a button and applies nothing.
    opened = visitor.get(urlparse(link).path)
    assert 'data-testid="confirm"' in opened.content.decode()
    assert not Contact.objects.filter(account=account).exists()

    confirmed = visitor.post(urlparse(link).path)
    again = visitor.post(urlparse(link).path)
    reopened = visitor.get(urlparse(link).path)

    assert confirmed.status_code == 200
    assert 'data-testid="confirmed"' in confirmed.content.decode()
    assert again.status_code == 200
    assert 'data-testid="confirmed"' in reopened.content.decode()
    contact = Contact.objects.get(account=account, email="noa@example.com")
    assert contact.first_name == "נועה"
    assert (
        ListMembership.objects.filter(contact=contact, contact_list=public_lists["shoes"]).count()
        == 1
    )
    assert ConsentRecord.objects.filter(contact=contact, channel="email").count() == 1
    assert ContactEvent.objects.filter(contact=contact, kind="form_submitted").count() == 1
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.APPLIED
    assert submission.confirmed_at is not None


@pytest.mark.django_db(transaction=True)
def test_unconfirmed_submission_can_be_reminded(account, celery_worker, mailbox, owner_client):
    form = build_form(account, double_opt_in=True)
    received = intake.receive_submission(
        form, {"email": ["late@example.com"]}, query={}, ip_address="203.0.113.9"
    )
    wait_for_messages(mailbox, 1)
    # A day passes without a click.
    Submission.objects.filter(pk=received.submission.pk).update(
        confirmation_sent_at=received.submission.created_at - datetime.timedelta(days=2)
    )

    listed = owner_client.get(reverse("forms:submissions", args=[form.pk]) + "?status=awaiting")
    owner_client.post(reverse("forms:remind", args=[form.pk]))
    owner_client.post(reverse("forms:remind", args=[form.pk]))

    assert "late@example.com" in listed.content.decode()
    messages = wait_for_messages(mailbox, 2)
    time.sleep(1)
    assert len(mailbox.messages) == 2
    assert all(message["To"] == "late@example.com" for message in messages)
    submission = Submission.objects.get(pk=received.submission.pk)
    assert submission.confirmations_sent == 2


@pytest.mark.django_db
def test_confirmation_send_runs_once_per_number(account, mailbox):
    form = build_form(account, double_opt_in=True)
    received = intake.receive_submission(
        form, {"email": ["once@example.com"]}, query={}, ip_address=None
    )

    first = intake.send_confirmation(received.submission, 1)
    second = intake.send_confirmation(received.submission, 1)

    assert first is True
    assert second is False
    assert len(mailbox.messages) == 1


@pytest.mark.django_db
def test_double_opt_in_needs_required_email_field(account):
    from forms import actions
    from forms.actions import FormError

    form = build_form(account, publish=False)
    actions.update_field(account, form.fields.get(field_key="email"), {"required": False})

    with pytest.raises(FormError, match="required email field"):
        actions.update_form(account, form, {"double_opt_in": True})
