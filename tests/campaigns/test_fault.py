"""A worker killed with SIGKILL in the middle of a send leaves no duplicate and no silent loss."""

import os
import signal
from collections import Counter

import pytest

from campaigns import actions, sending, tasks
from campaigns.models import Delivery, DeliveryStatus, Send, SendStatus
from contacts.models import ConsentRecord, Contact
from lists.models import ListMembership
from tests.campaigns.conftest import email_message, make_list
from tests.worker_process import LEASE_SECONDS, start_worker, wait_for

RECIPIENTS = 2_000


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_send_leaves_no_duplicate(account, mailbox, settings):
    if os.environ.get("SMOOVE_TESTS_WITHOUT_REDIS"):
        pytest.skip("Redis is not running; make test says so at the start.")
    from smoove.celery import app

    app.conf.task_always_eager = False
    app.control.purge()
    settings.CAMPAIGNS_CLAIM_LEASE_SECONDS = LEASE_SECONDS
    settings.CAMPAIGNS_MAX_PER_MINUTE = {"email": 0}
    audience = make_list(account, "מנויים")
    contacts = Contact.objects.bulk_create(
        Contact(account=account, identity=f"r{n}@example.com", email=f"r{n}@example.com")
        for n in range(RECIPIENTS)
    )
    ConsentRecord.objects.bulk_create(
        ConsentRecord(account=account, contact=c, channel="email", status="granted", source="test")
        for c in contacts
    )
    ListMembership.objects.bulk_create(
        ListMembership(account=account, contact_list=audience, contact=c) for c in contacts
    )
    send = actions.create_send(account, email_message(account), list_ids=[audience.pk])
    actions.prepare_send(send)

    worker = start_worker(mailbox.port)
    try:
        tasks.tick()
        assert wait_for(lambda: len(mailbox.messages) >= RECIPIENTS // 3)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        received_at_kill = len(mailbox.messages)
        assert received_at_kill < RECIPIENTS

        worker = start_worker(mailbox.port)

        def finished() -> bool:
            tasks.tick()
            return Send.objects.get(pk=send.pk).status == SendStatus.DONE

        assert wait_for(finished, timeout=180)
    finally:
        worker.kill()
        worker.wait(timeout=10)

    received = Counter(m["To"] for m in mailbox.messages)
    statuses = Counter(Delivery.objects.filter(send=send).values_list("status", flat=True))
    ambiguous = set(
        Delivery.objects.filter(send=send, status=DeliveryStatus.AMBIGUOUS).values_list(
            "address", flat=True
        )
    )
    missing = {c.email for c in contacts} - set(received)

    assert max(received.values()) == 1
    assert statuses[DeliveryStatus.SENT] + statuses[DeliveryStatus.AMBIGUOUS] == RECIPIENTS
    assert missing <= ambiguous
    assert len(ambiguous) <= 1
    assert sending.progress(send).ambiguous == len(ambiguous)
