"""Events that commit out of id order are matched exactly once.

A second, real PostgreSQL connection takes an event id in a transaction it
keeps open, while the test's own connection writes a later event and
commits; the tick runs in between, as it would during a long import.
"""

import datetime
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from automation import engine
from automation.models import Enrollment, TriggerCursor
from contacts import actions as contact_actions
from contacts.models import Contact, ContactEvent
from smoove.models import Account
from tests.automation.conftest import create_flow, edge, node, run_engine

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # SQLite commits one writer at a time in id order, so ids never arrive late.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]
CLOSE_SECONDS = 60.0


@pytest.fixture
def flow(api_client: Any) -> Any:
    return create_flow(
        api_client,
        [
            node("t", "custom_event", name="visit"),
            node("tag", "update_field", field="city", operation="set", value="חיפה"),
        ],
        [edge("t", "tag")],
    )


@pytest.fixture
def other_connection() -> Iterator[psycopg.Connection[Any]]:
    """Open a second connection to the test database, in a transaction of its own."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"] or None,
    ) as other:
        yield other


def new_contact(account: Account, email: str) -> Contact:
    contact = contact_actions.upsert_contact(account, {"email": email}, source="test").contact
    assert contact is not None
    return contact


def insert_visit(other: psycopg.Connection[Any], contact: Contact) -> int:
    """Insert a visit event on the other connection without committing; return its id."""
    row = other.execute(
        "INSERT INTO contacts_contactevent (account_id, contact_id, kind, data, occurred_at)"
        " VALUES (%s, %s, 'custom', %s::jsonb, %s) RETURNING id",
        (contact.account_id, contact.pk, '{"name": "visit"}', timezone.now()),
    ).fetchone()
    assert row is not None
    return int(row[0])


def visit(account: Account, contact: Contact) -> ContactEvent:
    return contact_actions.record_event(account, contact, "custom", {"name": "visit"})


def gaps() -> list[dict[str, Any]]:
    return TriggerCursor.objects.get(name=engine.EVENTS_CURSOR).gaps


def in_a_gap(event_id: int) -> bool:
    return any(gap["lo"] <= event_id <= gap["hi"] for gap in gaps())


def until_gaps_close() -> bool:
    deadline = time.monotonic() + CLOSE_SECONDS
    while time.monotonic() < deadline:
        run_engine()
        if not gaps():
            return True
        time.sleep(0.2)
    return False


def test_late_committed_event_matched_once(flow, account, other_connection, monkeypatch):
    monkeypatch.setattr(engine, "GAP_GRACE", datetime.timedelta(0))
    early, late = (
        new_contact(account, "early@example.com"),
        new_contact(account, "late@example.com"),
    )

    # Given an event whose transaction is still open, and a later event committed,
    early_id = insert_visit(other_connection, early)
    late_id = visit(account, late).pk
    assert early_id < late_id

    # when the tick reads past both ids,
    run_engine()
    assert Enrollment.objects.filter(flow=flow, contact=late).count() == 1
    assert not Enrollment.objects.filter(flow=flow, contact=early).exists()
    assert in_a_gap(early_id)

    # and the open transaction commits before the next ticks,
    other_connection.commit()
    run_engine()
    run_engine()

    # then the early event is matched once, walked once, and its gap closes.
    enrollment = Enrollment.objects.get(flow=flow, contact=early)
    assert enrollment.trigger_key == f"event:{early_id}"
    assert enrollment.steps.count() == 1
    assert until_gaps_close()
    assert Enrollment.objects.filter(flow=flow, contact=early).count() == 1


def test_rolled_back_gap_closes_unmatched(flow, account, other_connection, monkeypatch):
    monkeypatch.setattr(engine, "GAP_GRACE", datetime.timedelta(0))
    early, late = (
        new_contact(account, "early@example.com"),
        new_contact(account, "late@example.com"),
    )
    insert_visit(other_connection, early)
    visit(account, late)
    run_engine()

    other_connection.rollback()

    assert until_gaps_close()
    assert not Enrollment.objects.filter(flow=flow, contact=early).exists()


def test_gap_stays_while_transaction_open(flow, account, other_connection, monkeypatch):
    monkeypatch.setattr(engine, "GAP_GRACE", datetime.timedelta(0))
    early, late = (
        new_contact(account, "early@example.com"),
        new_contact(account, "late@example.com"),
    )
    early_id = insert_visit(other_connection, early)
    late_id = visit(account, late).pk

    for _tick in range(3):
        run_engine()

    assert in_a_gap(early_id)
    assert not in_a_gap(late_id)
    assert not Enrollment.objects.filter(flow=flow, contact=early).exists()
    other_connection.rollback()
