"""A recorded event kicks a tick after commit, so a flow reacts without waiting for the beat."""

import pytest
from django.db import transaction

from automation import tasks
from automation.models import Enrollment, EnrollmentState
from contacts import actions as contact_actions
from tests.automation.conftest import create_flow, edge, node, wait_for
from tests.conftest import needs_redis


@pytest.fixture
def kicks(settings):
    """Turn kicks on, with no kicked tick marked as waiting by an earlier test."""
    settings.AUTOMATION_KICK_TICKS = True
    client = tasks._redis()
    if client is not None:
        client.delete(tasks.KICK_PENDING_KEY)
    yield client
    if client is not None:
        client.delete(tasks.KICK_PENDING_KEY)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_event_stepped_without_beat(kicks, api_client, account, celery_worker):
    # Given an active flow and no beat, only the test's Celery worker,
    flow = create_flow(
        api_client,
        [
            node("t", "custom_event", name="visit"),
            node("tag", "update_field", field="city", operation="set", value="חיפה"),
        ],
        [edge("t", "tag")],
    )
    contact = contact_actions.upsert_contact(
        account, {"email": "visitor@example.com"}, source="test"
    ).contact

    # when an event is recorded and committed,
    with transaction.atomic():
        contact_actions.record_event(account, contact, "custom", {"name": "visit"})
        assert not Enrollment.objects.exists()

    # then the kicked tick walks the contact through the flow.
    assert wait_for(
        lambda: Enrollment.objects.filter(
            flow=flow, contact=contact, state=EnrollmentState.COMPLETED
        ).exists(),
        timeout=30,
    )


@needs_redis
@pytest.mark.django_db
def test_kick_while_tick_waits_queues_none(kicks):
    assert tasks._claim_kick()
    assert not tasks._claim_kick()
    assert 0 < kicks.pttl(tasks.KICK_PENDING_KEY) <= tasks.KICK_PENDING_MS

    # Once the waiting tick has run, the next event queues a new one.
    tasks.kicked_tick()
    assert tasks._claim_kick()


def test_no_kick_when_switched_off(settings, django_capture_on_commit_callbacks, db):
    settings.AUTOMATION_KICK_TICKS = False

    with django_capture_on_commit_callbacks() as callbacks:
        tasks.kick_tick()

    assert callbacks == []
