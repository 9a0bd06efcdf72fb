"""The tick shares each claim batch between accounts, flows and just-due contacts.

A backlog of more than one batch in one flow must not keep another flow,
another account, or a contact who enrolled in the same flow a moment ago
from being stepped in the next batch.
"""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from automation import engine
from automation.models import Enrollment, EnrollmentState, Flow, StepRecord
from contacts import actions as contact_actions
from contacts.models import Contact
from smoove.models import Account
from tests.automation.conftest import create_flow, edge, node

# More due enrollments than one claim batch takes.
BACKLOG = engine.CLAIM_BATCH_SIZE + 200
MINUTE = datetime.timedelta(minutes=1)


def tag_flow(client, event_name: str, value: str) -> Flow:
    """Create a flow that sets the contact's city when the custom event comes."""
    return create_flow(
        client,
        [
            node("t", "custom_event", name=event_name),
            node("tag", "update_field", field="city", operation="set", value=value),
        ],
        [edge("t", "tag")],
        name=f"זרימה {value}",
    )


def contacts_with_event(
    account: Account, prefix: str, count: int, event_name: str
) -> list[Contact]:
    contacts = Contact.objects.bulk_create(
        Contact(
            account=account, identity=f"{prefix}{n}@example.com", email=f"{prefix}{n}@example.com"
        )
        for n in range(count)
    )
    contact_actions.record_events(account, [(c, "custom", {"name": event_name}) for c in contacts])
    return contacts


def stepped(flow: Flow, contact: Contact) -> bool:
    return StepRecord.objects.filter(flow=flow, enrollment__contact=contact).exists()


@pytest.fixture
def backlog(api_client, account):
    """Flow A of the account with BACKLOG contacts enrolled a minute ago, none stepped yet."""
    flow = tag_flow(api_client, "bulk", "A")
    contacts_with_event(account, "bulk", BACKLOG, "bulk")
    engine.match_events(timezone.now() - MINUTE)
    assert Enrollment.objects.filter(flow=flow, state=EnrollmentState.ACTIVE).count() == BACKLOG
    return flow


@pytest.mark.django_db
def test_flow_backlog_spares_other_flows(backlog, api_client, account):
    # Given a second flow of the same account with a contact enrolled now,
    other = tag_flow(api_client, "signup", "B")
    (newcomer,) = contacts_with_event(account, "new", 1, "signup")

    # when the next tick runs a single batch,
    engine.run_tick(timezone.now(), max_batches=1)

    # then the newcomer was stepped, and the batch was full of the backlog.
    assert stepped(other, newcomer)
    assert StepRecord.objects.filter(flow=backlog).count() == engine.CLAIM_BATCH_SIZE - 1


@pytest.mark.django_db
def test_account_backlog_spares_other_accounts(backlog, outsider_account, outsider_api_client):
    other = tag_flow(outsider_api_client, "signup", "Y")
    (newcomer,) = contacts_with_event(outsider_account, "new", 1, "signup")

    engine.run_tick(timezone.now(), max_batches=1)

    assert stepped(other, newcomer)


@pytest.mark.django_db
def test_new_contact_overtakes_own_backlog(backlog, account):
    (newcomer,) = contacts_with_event(account, "late", 1, "bulk")

    engine.run_tick(timezone.now(), max_batches=1)

    assert stepped(backlog, newcomer)
    # The backlog still goes oldest first with the rest of the batch.
    assert StepRecord.objects.filter(flow=backlog).count() == engine.CLAIM_BATCH_SIZE


def test_shares_split_by_account_then_flow():
    due = [(1, 10), (2, 10), (3, 20)]  # (flow, account), longest wait first

    assert engine.split_shares(due, 500) == {1: 125, 2: 125, 3: 250}


def test_shares_keep_minimum_oldest_first():
    due = [(flow, flow) for flow in range(1, 101)]  # 100 accounts of one flow each

    shares = engine.split_shares(due, 500)

    assert set(shares) == set(range(1, 51))
    assert set(shares.values()) == {engine.MIN_FLOW_SHARE}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_claim_disjoint_enrollments(api_client, account):
    # Given a backlog of more than one batch,
    tag_flow(api_client, "bulk", "A")
    contacts_with_event(account, "bulk", BACKLOG, "bulk")
    engine.match_events(timezone.now() - MINUTE)
    now = timezone.now()
    held = threading.Event()
    release = threading.Event()
    first: list[int] = []

    def claim_and_hold() -> None:
        try:
            with transaction.atomic():
                first.extend(e.pk for e in engine.claim_due(now, engine.CLAIM_BATCH_SIZE))
                held.set()
                release.wait(timeout=30)
        finally:
            held.set()
            connection.close()

    # when one worker holds its claim while another claims,
    other = threading.Thread(target=claim_and_hold)
    other.start()
    try:
        assert held.wait(timeout=30)
        with transaction.atomic():
            second = [e.pk for e in engine.claim_due(now, engine.CLAIM_BATCH_SIZE)]
    finally:
        release.set()
        other.join(timeout=30)

    # then both got work and no enrollment went to both.
    assert len(first) == engine.CLAIM_BATCH_SIZE
    assert len(second) == BACKLOG - engine.CLAIM_BATCH_SIZE
    assert not set(first) & set(second)
