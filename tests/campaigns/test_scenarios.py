"""The marketers' scenarios for campaigns, end to end on a real Celery worker and SMTP sink."""

import datetime
import time

import pytest
from django.utils import timezone

from campaigns import actions, sending, tasks
from campaigns.models import Send, SendStatus
from tests.campaigns.conftest import email_message, make_contact, make_list


def wait_for(condition, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def let_interval_pass(send):
    """Move the next pulse's planned time to now, as if its interval had passed."""
    Send.objects.filter(pk=send.pk).update(next_pulse_at=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_scenario_11_big_newsletter_in_pulses(account, mailbox, celery_worker):
    contacts = [make_contact(account, email=f"reader{i}@example.com") for i in range(50)]
    audience = make_list(account, "מנויים", contacts)
    message = email_message(
        account, sender_name="Yahav – Sales", sender_email="yahav@shop.example.co.il"
    )

    send = actions.create_send(
        account, message, list_ids=[audience.pk], pulse_size=20, pulse_interval_minutes=1
    )
    assert wait_for(lambda: Send.objects.get(pk=send.pk).status == SendStatus.RUNNING)
    send.refresh_from_db()
    # 50 recipients in pulses of 20: the third and last pulse starts 2 minutes in.
    assert sending.eta(send) == send.next_pulse_at + datetime.timedelta(minutes=2)

    tasks.tick()
    assert wait_for(lambda: len(mailbox.messages) == 20)

    actions.pause_send(account, send)
    let_interval_pass(send)
    tasks.tick()
    time.sleep(1)
    assert len(mailbox.messages) == 20

    actions.resume_send(account, send)
    tasks.tick()
    assert wait_for(lambda: len(mailbox.messages) == 40)
    let_interval_pass(send)
    tasks.tick()
    assert wait_for(lambda: len(mailbox.messages) == 50)
    assert wait_for(lambda: Send.objects.get(pk=send.pk).status == SendStatus.DONE)

    senders = {m["From"].addresses[0].display_name for m in mailbox.messages}
    assert senders == {"Yahav – Sales"}
    assert len({m["To"] for m in mailbox.messages}) == 50
    account.refresh_from_db()
    assert account.default_sender_name != "Yahav – Sales"
