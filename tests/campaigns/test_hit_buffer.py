"""Open and click hits buffered in Redis and drained in batches, with the same outcomes."""

import datetime

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from campaigns import hit_buffer, tasks, tracking
from campaigns.models import Delivery, TrackingHit
from contacts.models import ContactEvent
from lists import queries as list_queries
from smoove.celery import app
from tests.campaigns.conftest import (
    BROWSER_AGENT,
    as_if_sent_earlier,
    make_contact,
    make_list,
    pixel_path,
    tracked_links,
)
from tests.campaigns.test_tracking import send_to
from tests.conftest import needs_redis

pytestmark = [pytest.mark.django_db, needs_redis]
SCANNER_AGENT = "Mozilla/5.0 (compatible; Barracuda Sentinel)"


@pytest.fixture
def person():
    return Client(HTTP_USER_AGENT=BROWSER_AGENT)


@pytest.fixture
def buffering():
    """Run one drain, as the beat would, so requests start buffering."""
    hit_buffer.drain()
    assert hit_buffer.is_buffering()


def buffered():
    return hit_buffer._redis().xlen(hit_buffer.STREAM_KEY)


def test_open_waits_in_redis_until_the_drain(account, mailbox, person, buffering):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    pixel = pixel_path(mailbox.messages[0])

    responses = [person.get(pixel), person.get(pixel)]
    waiting = buffered()
    before = TrackingHit.objects.count()
    result = hit_buffer.drain()

    assert [r["Content-Type"] for r in responses] == ["image/gif", "image/gif"]
    assert waiting == 2
    assert before == 0
    assert (result.read, result.written) == (2, 2)
    delivery = Delivery.objects.get(contact=contact)
    assert delivery.open_count == 2
    assert delivery.opened_at is not None
    assert ContactEvent.objects.filter(contact=contact, kind="message_opened").count() == 2
    assert buffered() == 0


def test_drained_open_keeps_the_time_of_the_request(account, mailbox, person, buffering):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    person.get(pixel_path(mailbox.messages[0]))
    opened = timezone.now()

    hit_buffer.drain()

    hit = TrackingHit.objects.get()
    assert abs(hit.occurred_at - opened) < datetime.timedelta(seconds=2)
    assert Delivery.objects.get(contact=contact).opened_at == hit.occurred_at


def test_drained_event_keeps_the_time_of_the_hit(account, mailbox, person, buffering):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    person.get(pixel_path(mailbox.messages[0]))
    # The drain runs late, as after a crashed drain's entries are claimed.
    late = timezone.now() + datetime.timedelta(minutes=5)

    hit_buffer.drain()

    hit = TrackingHit.objects.get()
    event = ContactEvent.objects.get(contact=contact, kind="message_opened")
    assert event.occurred_at == hit.occurred_at
    assert event.occurred_at < late


def test_redis_down_writes_hits_in_request(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com", first_name="דנה")
    blocks = [{"id": "b", "type": "button", "label": "לחנות", "url": "https://shop.example/"}]
    send_to(account, [contact], blocks=blocks)
    as_if_sent_earlier()
    link = tracked_links(mailbox.messages[0])[0]
    # Nothing listens on port 1, so every Redis call fails to connect.
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        click = person.get(link)
        pixel = person.get(pixel_path(mailbox.messages[0]))

    assert click.status_code == 302
    assert click["Location"] == "https://shop.example/"
    assert pixel.status_code == 200
    delivery = Delivery.objects.get(contact=contact)
    assert delivery.click_count == 1
    assert delivery.open_count >= 1


def test_scanner_open_is_recorded_but_not_counted(account, mailbox, buffering):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])

    Client(HTTP_USER_AGENT=SCANNER_AGENT).get(pixel_path(mailbox.messages[0]))
    hit_buffer.drain()

    delivery = Delivery.objects.get(contact=contact)
    assert delivery.open_count == 0
    assert delivery.opened_at is None
    assert TrackingHit.objects.get().bot_reason == "scanner_user_agent"
    assert ContactEvent.objects.filter(contact=contact, kind="message_scanned").count() == 1


def test_click_redirects_before_the_drain(account, mailbox, person, buffering):
    contact = make_contact(account, email="dana@example.com", first_name="דנה")
    blocks = [{"id": "b", "type": "button", "label": "לחנות", "url": "https://shop.example/"}]
    send_to(account, [contact], blocks=blocks)
    as_if_sent_earlier()
    link = tracked_links(mailbox.messages[0])[0]

    response = person.get(link)
    clicked_before_drain = Delivery.objects.get(contact=contact).clicked_at
    hit_buffer.drain()

    assert response.status_code == 302
    assert response["Location"] == "https://shop.example/"
    assert clicked_before_drain is None
    delivery = Delivery.objects.get(contact=contact)
    assert delivery.click_count == 1
    assert delivery.clicked_at is not None
    assert delivery.opened_at is not None
    event = ContactEvent.objects.get(contact=contact, kind="message_clicked")
    assert event.data["url"] == "https://shop.example/"


def test_forged_click_is_refused_without_buffering(account, mailbox, person, buffering):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    delivery = Delivery.objects.get(contact=contact)
    foreign = tracking.make_token("click", delivery.pk, 999_999)

    response = person.get(f"/t/c/{foreign}/")

    assert response.status_code == 404
    assert buffered() == 0


def test_smart_button_acts_in_the_request(account, mailbox, person, buffering):
    contact = make_contact(account, email="dana@example.com")
    coming = make_list(account, "מגיעים")
    blocks = [
        {
            "id": "b",
            "type": "button",
            "label": "מגיע/ה",
            "action": {"kind": "add_to_list", "list_id": coming.pk},
            "thanks": "נרשמת",
        }
    ]
    send_to(account, [contact], blocks=blocks)
    as_if_sent_earlier()

    response = person.get(tracked_links(mailbox.messages[0])[0])

    assert response.status_code == 200
    assert list_queries.members_of_list(coming).filter(pk=contact.pk).exists()
    assert Delivery.objects.get(contact=contact).click_count == 1
    assert buffered() == 0


def test_clicks_after_the_trap_are_a_scanners(account, mailbox, buffering):
    contact = make_contact(account, email="dana@example.com")
    blocks = [{"id": "b", "type": "button", "label": "לחנות", "url": "https://shop.example/"}]
    send_to(account, [contact], blocks=blocks)
    as_if_sent_earlier()
    button, trap = tracked_links(mailbox.messages[0])
    scanner = Client(HTTP_USER_AGENT=BROWSER_AGENT)

    scanner.get(trap)
    scanner.get(button)
    hit_buffer.drain()

    delivery = Delivery.objects.get(contact=contact)
    assert delivery.scanner_seen_at is not None
    assert delivery.click_count == 0
    assert set(TrackingHit.objects.values_list("bot_reason", flat=True)) == {"trap_followed"}


def test_dead_drain_entries_written_once(account, mailbox, person, buffering, monkeypatch):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    person.get(pixel_path(mailbox.messages[0]))
    client = hit_buffer._redis()
    # A drain read the entry, wrote it, and died before acknowledging it.
    entries = hit_buffer._read_new(client, "dead-worker")
    hit_buffer.write_batch(entries)
    monkeypatch.setattr(hit_buffer, "CLAIM_IDLE", datetime.timedelta(0))

    result = hit_buffer.drain()

    assert result.read == 1
    assert result.written == 0
    assert TrackingHit.objects.count() == 1
    assert Delivery.objects.get(contact=contact).open_count == 1
    assert client.xpending(hit_buffer.STREAM_KEY, hit_buffer.GROUP)["pending"] == 0


def test_no_drain_writes_hits_in_request(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])

    person.get(pixel_path(mailbox.messages[0]))

    assert not hit_buffer.is_buffering()
    assert Delivery.objects.get(contact=contact).open_count == 1
    assert buffered() == 0


def test_drain_task_runs_on_the_tracking_queue():
    options = tasks.drain_tracking._get_exec_options()

    route = app.amqp.router.route(dict(options), tasks.drain_tracking.name)

    assert route["queue"].name == "tracking"
    assert app.conf.beat_schedule["campaigns-drain-tracking"]["task"] == tasks.drain_tracking.name


@pytest.mark.django_db(transaction=True)
def test_worker_drains_the_buffer(account, mailbox, person, celery_worker):
    from tests.campaigns.test_scenarios import wait_for

    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    hit_buffer.drain()
    person.get(pixel_path(mailbox.messages[0]))

    tasks.drain_tracking.delay()

    assert wait_for(lambda: Delivery.objects.get(contact=contact).open_count == 1)
    assert buffered() == 0
