"""A worker killed with SIGKILL in the middle of a send leaves no duplicate and no silent loss."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from campaigns import actions, sending, tasks
from campaigns.models import Delivery, DeliveryStatus, Send, SendStatus
from contacts.models import ConsentRecord, Contact
from lists.models import ListMembership
from smoove import queues
from tests.campaigns.conftest import email_message, make_list

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 2_000
LEASE_SECONDS = 5


def start_worker(smtp_port: int) -> subprocess.Popen[bytes]:
    database = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
                f"{database['PORT'] or 5432}/{database['NAME']}"
            ),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "CAMPAIGNS_EMAIL_BACKEND": "smtp",
            "CAMPAIGNS_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
            "CAMPAIGNS_EMAIL_PER_MINUTE": "0",
        }
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "smoove",
            "worker",
            "-P",
            "solo",
            "-Q",
            ",".join(queues.ALL),
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


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
