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


def run_to_the_end(send):
    assert wait_for(lambda: Send.objects.get(pk=send.pk).status == SendStatus.RUNNING)
    tasks.tick()
    assert wait_for(lambda: Send.objects.get(pk=send.pk).status == SendStatus.DONE)


@pytest.mark.django_db(transaction=True)
def test_scenario_07_let_contacts_choose(account, mailbox, celery_worker):
    from contacts import actions as contact_actions

    contact_actions.create_custom_field(
        account, label="מוצרים", key="products", type="multi_choice", choices=["X", "Y"]
    )
    make_contact(account, email="x@example.com", first_name="אורי", products=["X"])
    make_contact(account, email="y@example.com", first_name="יעל", products=["Y"])
    make_contact(account, email="xy@example.com", first_name="נועה", products=["X", "Y"])
    make_contact(account, email="none@example.com")
    from lists import actions as list_actions

    everyone = list_actions.create_list(
        account, name="כולם", kind="dynamic", conditions={"match": "all", "rules": []}
    )

    def about(product):
        return {
            "match": "all",
            "rules": [{"type": "field", "field": "products", "op": "contains", "value": product}],
        }

    message = email_message(
        account,
        subject="פרסומת: [[שם פרטי|לקוח יקר]] – ביקשת? קיבלת!",
        blocks=[
            {"id": "all", "type": "text", "text": "חדשות החודש לכולם."},
            {"id": "x", "type": "text", "text": "פסקה על מוצר X", "rule": about("X")},
            {"id": "y", "type": "text", "text": "פסקה על מוצר Y", "rule": about("Y")},
        ],
    )

    run_to_the_end(actions.create_send(account, message, list_ids=[everyone.pk]))

    received = {m["To"]: m for m in mailbox.messages}
    assert sorted(received) == [
        "none@example.com",
        "x@example.com",
        "xy@example.com",
        "y@example.com",
    ]

    def body(address):
        return received[address].get_body(preferencelist=("html",)).get_content()

    assert received["x@example.com"]["Subject"].strip() == "פרסומת: אורי – ביקשת? קיבלת!"
    assert received["none@example.com"]["Subject"].strip() == "פרסומת: לקוח יקר – ביקשת? קיבלת!"
    assert "פסקה על מוצר X" in body("x@example.com")
    assert "פסקה על מוצר Y" not in body("x@example.com")
    assert "פסקה על מוצר Y" in body("y@example.com")
    assert "פסקה על מוצר X" not in body("y@example.com")
    assert "פסקה על מוצר X" in body("xy@example.com")
    assert "פסקה על מוצר Y" in body("xy@example.com")
    assert "פסקה על מוצר" not in body("none@example.com")
    assert "חדשות החודש לכולם." in body("none@example.com")


@pytest.mark.django_db(transaction=True)
def test_scenario_08_answer_from_the_email(account, mailbox, celery_worker):
    from django.test import Client

    from lists import queries as list_queries
    from tests.campaigns.conftest import BROWSER_AGENT, as_if_sent_earlier, tracked_links

    guests = [make_contact(account, email=f"guest{i}@example.com") for i in range(2)]
    coming = make_list(account, "מגיעים לאירוע")
    not_coming = make_list(account, "לא מגיעים")
    message = email_message(
        account,
        blocks=[
            {"id": "q", "type": "text", "text": "האם תגיעו לאירוע ההשקה?"},
            {
                "id": "yes",
                "type": "button",
                "label": "מגיע/ה",
                "action": {"kind": "add_to_list", "list_id": coming.pk},
                "thanks": "נרשמת לאירוע",
            },
            {
                "id": "no",
                "type": "button",
                "label": "לא מגיע/ה",
                "action": {"kind": "add_to_list", "list_id": not_coming.pk},
                "thanks": "לא תגיע/י לאירוע",
            },
        ],
    )

    run_to_the_end(
        actions.create_send(account, message, list_ids=[make_list(account, "מוזמנים", guests).pk])
    )
    as_if_sent_earlier()
    received = {m["To"]: m for m in mailbox.messages}
    person = Client(HTTP_USER_AGENT=BROWSER_AGENT)

    yes_page = person.get(tracked_links(received["guest0@example.com"])[0])
    no_page = person.get(tracked_links(received["guest1@example.com"])[1])

    assert yes_page.status_code == 200
    assert "נרשמת לאירוע" in yes_page.content.decode()
    assert "לא תגיע/י לאירוע" in no_page.content.decode()
    assert list_queries.is_member(coming, guests[0])
    assert not list_queries.is_member(coming, guests[1])
    assert list_queries.is_member(not_coming, guests[1])
    from contacts.models import ContactEvent

    assert ContactEvent.objects.filter(contact=guests[0], kind="message_clicked").count() == 1
    joined = ContactEvent.objects.filter(
        contact=guests[0], kind="list_joined", data__list_id=coming.pk
    )
    assert joined.count() == 1


@pytest.mark.django_db(transaction=True)
def test_scenario_14_ab_newsletter(account, mailbox, celery_worker):
    from django.test import Client

    from tests.campaigns.conftest import BROWSER_AGENT, as_if_sent_earlier, pixel_path

    contacts = [make_contact(account, email=f"reader{i:02d}@example.com") for i in range(50)]
    message = email_message(account, subject="פרסומת: נושא ברירת מחדל")
    subject_a = "פרסומת: מבצע סוף העונה"
    subject_b = "פרסומת: רק היום – 30% הנחה"

    send = actions.create_send(
        account,
        message,
        list_ids=[make_list(account, "מנויים", contacts).pk],
        variants=[{"subject": subject_a}, {"subject": subject_b}],
        test_percent=20,
        winner_metric="opens",
        test_hours=4,
    )
    assert wait_for(lambda: Send.objects.get(pk=send.pk).status == SendStatus.RUNNING)
    send.refresh_from_db()
    assert send.decide_at is not None
    tasks.tick()

    # 20% of 50 get the test, half each subject; the rest wait.
    assert wait_for(lambda: len(mailbox.messages) == 10)
    time.sleep(0.5)
    by_subject: dict[str, list] = {}
    for received in mailbox.messages:
        by_subject.setdefault(received["Subject"].strip(), []).append(received)
    assert sorted(len(group) for group in by_subject.values()) == [5, 5]

    # Three readers open subject B, one opens subject A.
    as_if_sent_earlier()
    person = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    for received in by_subject[subject_b][:3] + by_subject[subject_a][:1]:
        person.get(pixel_path(received))

    # Four hours pass.
    Send.objects.filter(pk=send.pk).update(decide_at=timezone.now())
    tasks.tick()

    assert wait_for(lambda: len(mailbox.messages) == 50)
    assert wait_for(lambda: Send.objects.get(pk=send.pk).status == SendStatus.DONE)
    send.refresh_from_db()
    assert send.winner_variant == 1
    rest = mailbox.messages[10:]
    assert {m["Subject"].strip() for m in rest} == {subject_b}
    assert len({m["To"] for m in mailbox.messages}) == 50
