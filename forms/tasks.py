"""Celery tasks of forms: the double opt-in confirmation email."""

import smtplib

from celery import shared_task

from forms import intake
from forms.models import Submission
from smoove import queues


@shared_task(
    queue=queues.DEFAULT,
    autoretry_for=(
        smtplib.SMTPServerDisconnected,
        smtplib.SMTPConnectError,
        TimeoutError,
        ConnectionError,
    ),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_confirmation_email(account_id: int, submission_id: int, sequence: int) -> None:
    """Send confirmation email number sequence of a submission, once."""
    submission = Submission.objects.filter(account_id=account_id, pk=submission_id).first()
    if submission is None:
        return
    intake.send_confirmation(submission, sequence)
