"""Marketers' scenarios as flows built through the API, on a real worker, SMTP sink and fake Twilio.

Time moves by running the engine's tick with a later `now`, never by sleeping.
"""

import datetime
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from automation.models import Enrollment, EnrollmentState, StepRecord
from campaigns import actions as campaign_actions
from contacts import actions as contact_actions
from lists import actions as list_actions
from lists import queries as list_queries
from tests.automation.conftest import create_flow, edge, node, run_engine, wait_for
from tests.campaigns.conftest import (
    BROWSER_AGENT,
    as_if_sent_earlier,
    email_message,
    make_contact,
    pixel_path,
)
from tests.forms.conftest import build_form

DAY = datetime.timedelta(days=1)


def sms_message(account, text="פרסומת: מייל מחכה לך בתיבה [[שם פרטי]]", name="SMS"):
    return campaign_actions.save_message(
        account, None, {"name": name, "text": text, "sender_name": "פרחי דנה"}, channel="sms"
    )


def sign_up(form, number, **values):
    """Post the public form as a visitor would, ticking every consent box."""
    response = Client().post(
        reverse("public_forms:form", args=[form.public_token]),
        {"_consent_email": "1", "_consent_sms": "1", **values},
        REMOTE_ADDR=f"198.51.100.{number}",
    )
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_scenario_01_email_not_opened_sms(
    account, sender, api_client, mailbox, twilio, celery_worker
):
    form = build_form(account, name="הרשמה", extra_fields=("mobile",))
    from forms import actions as form_actions

    form_actions.set_consent(account, form, channel="sms", enabled=True, wording="SMS מסכים/ה")
    welcome = email_message(account, name="ברוכים הבאים", subject="פרסומת: ברוכים הבאים")
    reminder = sms_message(account)
    create_flow(
        api_client,
        [
            node("t", "form_submitted", form_id=form.pk),
            node("welcome", "send_message", message_id=welcome.pk),
            node("day", "wait", mode="duration", amount=1, unit="days"),
            node("opened", "email_status", message_id=welcome.pk, status="opened"),
            node("sms", "send_message", message_id=reminder.pk),
            node("done", "exit"),
        ],
        [
            edge("t", "welcome"),
            edge("welcome", "day"),
            edge("day", "opened"),
            edge("opened", "done", "yes"),
            edge("opened", "sms", "no"),
        ],
    )

    sign_up(form, 1, email="opens@example.com", mobile="050-1111111", first_name="רותי")
    sign_up(form, 2, email="ignores@example.com", mobile="050-2222222", first_name="משה")
    start = timezone.now()
    run_engine(start)
    assert wait_for(lambda: len(mailbox.messages) == 2)
    assert {m["To"] for m in mailbox.messages} == {"opens@example.com", "ignores@example.com"}

    # One of them opens the welcome email.
    as_if_sent_earlier()
    opened = next(m for m in mailbox.messages if m["To"] == "opens@example.com")
    Client(HTTP_USER_AGENT=BROWSER_AGENT).get(pixel_path(opened))

    run_engine(start + DAY / 2)
    assert twilio.requests == []
    run_engine(start + DAY + datetime.timedelta(minutes=1))

    assert wait_for(lambda: len(twilio.requests) == 1)
    assert twilio.requests[0]["To"] == "+972502222222"
    assert twilio.requests[0]["Body"].startswith("פרסומת: מייל מחכה לך בתיבה משה")
    states = dict(Enrollment.objects.values_list("contact__email", "state"))
    assert states == {"opens@example.com": "exited", "ignores@example.com": "completed"}

    # Another tick, even much later, sends nothing again.
    run_engine(start + 3 * DAY)
    assert len(mailbox.messages) == 2
    assert len(twilio.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_scenario_02_form_not_filled_reminder(account, sender, api_client, mailbox, celery_worker):
    invited = list_actions.create_list(account, name="הוזמנו לכנס")
    form = build_form(account, name="הרשמה לכנס")
    invitation = email_message(
        account,
        name="הזמנה",
        subject="פרסומת: הירשמו לכנס",
        blocks=[{"id": "t", "type": "text", "text": "[להרשמה](https://example.co.il/register)"}],
    )
    thanks = email_message(account, name="תודה", subject="פרסומת: תודה שנרשמת")
    reminder = email_message(account, name="תזכורת", subject="פרסומת: עוד לא נרשמת? 10% הנחה")
    create_flow(
        api_client,
        [
            node("t", "list_joined", list_id=invited.pk),
            node("invite", "send_message", message_id=invitation.pk),
            node("wait", "wait", mode="duration", amount=3, unit="days"),
            node("filled", "form_status", form_id=form.pk, status="submitted"),
            node("thanks", "send_message", message_id=thanks.pk),
            node("remind", "send_message", message_id=reminder.pk),
        ],
        [
            edge("t", "invite"),
            edge("invite", "wait"),
            edge("wait", "filled"),
            edge("filled", "thanks", "yes"),
            edge("filled", "remind", "no"),
        ],
    )
    keen = make_contact(account, email="keen@example.com")
    late = make_contact(account, email="late@example.com")
    list_actions.add_contacts(account, invited, [keen, late], source="test")
    start = timezone.now()

    run_engine(start)
    assert wait_for(lambda: len(mailbox.messages) == 2)
    sign_up(form, 3, email="keen@example.com")
    run_engine(start + 3 * DAY + datetime.timedelta(seconds=1))

    assert wait_for(lambda: len(mailbox.messages) == 4)
    subjects = {(m["To"], m["Subject"].strip()) for m in mailbox.messages[2:]}
    assert subjects == {
        ("keen@example.com", "פרסומת: תודה שנרשמת"),
        ("late@example.com", "פרסומת: עוד לא נרשמת? 10% הנחה"),
    }


@pytest.mark.django_db(transaction=True)
def test_scenario_03_upsell_not_bought(account, sender, api_client, mailbox, celery_worker):
    offer = email_message(account, name="מוצר B", subject="פרסומת: אולי גם B?")
    create_flow(
        api_client,
        [
            node("t", "purchase_made"),
            node("has_b", "purchase_status", status="not_bought", product="B"),
            node("offer", "send_message", message_id=offer.pk),
            node("done", "exit"),
        ],
        [edge("t", "has_b"), edge("has_b", "offer", "yes"), edge("has_b", "done", "no")],
    )
    make_contact(account, email="a-only@example.com")
    make_contact(account, email="a-and-b@example.com")

    for email, products in (("a-only@example.com", ["A"]), ("a-and-b@example.com", ["A", "B"])):
        posted = api_client.post(
            "/api/v1/events/",
            {
                "email": email,
                "name": "purchase",
                "properties": {"products": [{"id": p, "category": "pots"} for p in products]},
            },
            content_type="application/json",
        )
        assert posted.status_code == 201
    run_engine()

    assert wait_for(lambda: len(mailbox.messages) == 1)
    assert mailbox.messages[0]["To"] == "a-only@example.com"


@pytest.mark.django_db(transaction=True)
def test_scenario_04_payment_reminder_by_date(account, sender, api_client, mailbox, celery_worker):
    contact_actions.create_custom_field(
        account, label="תאריך חשבונית", key="invoice_date", type="date"
    )
    contact_actions.create_custom_field(account, label="שולם", key="paid", type="boolean")
    reminder = email_message(account, name="תזכורת תשלום", subject="פרסומת: תזכורת לתשלום")
    create_flow(
        api_client,
        [
            node("t", "contact_updated", field="invoice_date"),
            node(
                "wait",
                "wait",
                mode="date_field",
                field="invoice_date",
                offset_days=14,
                time="09:00",
            ),
            node(
                "overdue", "date_status", field="invoice_date", operator="more_days_since", days=13
            ),
            node(
                "unpaid",
                "contact_status",
                match="any",
                rules=[
                    {"type": "field", "field": "paid", "op": "empty"},
                    {"type": "field", "field": "paid", "op": "equals", "value": "false"},
                ],
            ),
            node("remind", "send_message", message_id=reminder.pk),
            node("done", "exit"),
        ],
        [
            edge("t", "wait"),
            edge("wait", "overdue"),
            edge("overdue", "unpaid", "yes"),
            edge("overdue", "done", "no"),
            edge("unpaid", "remind", "yes"),
            edge("unpaid", "done", "no"),
        ],
    )
    payer = make_contact(account, email="payer@example.com")
    debtor = make_contact(account, email="debtor@example.com")
    zone = zoneinfo.ZoneInfo("Asia/Jerusalem")
    sent_on = datetime.date(2025, 6, 1)
    for contact in (payer, debtor):
        contact_actions.update_contact(
            account, contact, {"invoice_date": sent_on.isoformat()}, source="test"
        )
    run_engine(datetime.datetime(2025, 6, 1, 12, 0, tzinfo=zone))
    assert Enrollment.objects.filter(state=EnrollmentState.WAITING).count() == 2
    contact_actions.update_contact(account, payer, {"paid": "true"}, source="test")

    run_engine(datetime.datetime(2025, 6, 15, 8, 59, tzinfo=zone))
    assert Enrollment.objects.filter(state=EnrollmentState.WAITING).count() == 2
    run_engine(datetime.datetime(2025, 6, 15, 9, 0, tzinfo=zone))

    assert wait_for(lambda: len(mailbox.messages) == 1)
    assert mailbox.messages[0]["To"] == "debtor@example.com"
    outcomes = dict(
        StepRecord.objects.filter(node_id="unpaid").values_list(
            "enrollment__contact__email", "outcome"
        )
    )
    assert outcomes == {"payer@example.com": "no", "debtor@example.com": "yes"}


@pytest.mark.django_db(transaction=True)
def test_scenario_05_only_residents_of_one_city(
    account, sender, api_client, mailbox, celery_worker
):
    invitation = email_message(account, name="הצגה בחולון", subject="פרסומת: הצגה בחולון")
    create_flow(
        api_client,
        [
            node("t", "date_reached", mode="fixed", date="2025-09-10", time="10:00"),
            node(
                "holon",
                "contact_status",
                rules=[{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
            ),
            node("invite", "send_message", message_id=invitation.pk),
            node("done", "exit"),
        ],
        [edge("t", "holon"), edge("holon", "invite", "yes"), edge("holon", "done", "no")],
    )
    make_contact(account, email="holon1@example.com", city="חולון")
    make_contact(account, email="holon2@example.com", city="חולון")
    make_contact(account, email="bat-yam@example.com", city="בת ים")
    zone = zoneinfo.ZoneInfo("Asia/Jerusalem")

    run_engine(datetime.datetime(2025, 9, 10, 9, 59, tzinfo=zone))
    assert Enrollment.objects.count() == 0
    run_engine(datetime.datetime(2025, 9, 10, 10, 0, tzinfo=zone))
    run_engine(datetime.datetime(2025, 9, 10, 10, 5, tzinfo=zone))

    assert wait_for(lambda: len(mailbox.messages) == 2)
    assert {m["To"] for m in mailbox.messages} == {"holon1@example.com", "holon2@example.com"}
    assert Enrollment.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_scenario_06_where_did_they_sign_up(account, sender, api_client, mailbox, celery_worker):
    contact_actions.create_custom_field(account, label="מקור", key="source", type="text")
    facebook_form = build_form(account, name="טופס פייסבוק", hidden={"source": "Facebook"})
    google_form = build_form(account, name="טופס גוגל", hidden={"source": "Google"})
    for_facebook = email_message(account, name="פייסבוק", subject="פרסומת: הגעתם מפייסבוק")
    for_google = email_message(account, name="גוגל", subject="פרסומת: הגעתם מגוגל")
    create_flow(
        api_client,
        [
            node("t", "contact_updated", field="source"),
            node(
                "fb",
                "contact_status",
                rules=[{"type": "field", "field": "source", "op": "equals", "value": "Facebook"}],
            ),
            node("fb_mail", "send_message", message_id=for_facebook.pk),
            node("g_mail", "send_message", message_id=for_google.pk),
        ],
        [edge("t", "fb"), edge("fb", "fb_mail", "yes"), edge("fb", "g_mail", "no")],
    )
    make_contact(account, email="fb@example.com")
    make_contact(account, email="g@example.com")

    sign_up(facebook_form, 4, email="fb@example.com")
    sign_up(google_form, 5, email="g@example.com")
    run_engine()

    assert wait_for(lambda: len(mailbox.messages) == 2)
    received = {m["To"]: m["Subject"].strip() for m in mailbox.messages}
    assert received == {
        "fb@example.com": "פרסומת: הגעתם מפייסבוק",
        "g@example.com": "פרסומת: הגעתם מגוגל",
    }


@pytest.mark.django_db(transaction=True)
def test_scenario_09_which_channel_works_better(
    account, sender, api_client, mailbox, twilio, celery_worker
):
    by_email = email_message(account, name="קנו במייל", subject="פרסומת: לקנייה")
    by_sms = sms_message(
        account, text="פרסומת: לקנייה https://shop.example.co.il/buy", name="קנו ב-SMS"
    )
    bought_email = list_actions.create_list(account, name="קנו דרך מייל")
    bought_sms = list_actions.create_list(account, name="קנו דרך SMS")
    create_flow(
        api_client,
        [
            node("t", "contact_created"),
            node(
                "split",
                "split",
                branches=[{"key": "email", "percent": 50}, {"key": "sms", "percent": 50}],
            ),
            node("mail", "send_message", message_id=by_email.pk),
            node("text", "send_message", message_id=by_sms.pk),
        ],
        [edge("t", "split"), edge("split", "mail", "email"), edge("split", "text", "sms")],
        name="פיצול ערוצים",
    )
    create_flow(
        api_client,
        [
            node("t", "purchase_made"),
            node("via_email", "email_status", message_id=by_email.pk, status="sent"),
            node("to_email_list", "list_membership", list_id=bought_email.pk, operation="add"),
            node("to_sms_list", "list_membership", list_id=bought_sms.pk, operation="add"),
        ],
        [
            edge("t", "via_email"),
            edge("via_email", "to_email_list", "yes"),
            edge("via_email", "to_sms_list", "no"),
        ],
        name="מי קנה",
        reentry="every_time",
    )
    contacts = [
        make_contact(
            account, email=f"n{i}@example.com", mobile=f"050-00000{i:02d}", consent=("email", "sms")
        )
        for i in range(20)
    ]
    run_engine()
    assert wait_for(lambda: len(mailbox.messages) + len(twilio.requests) == 20)
    emailed = {m["To"] for m in mailbox.messages}
    texted = {r["To"] for r in twilio.requests}
    assert emailed and texted
    counts = StepRecord.objects.filter(node_id="split").values_list("outcome", flat=True)
    assert sorted(set(counts)) == ["email", "sms"]

    buyers = contacts[:6]
    for buyer in buyers:
        api_client.post(
            "/api/v1/events/",
            {"contact_id": buyer.pk, "name": "purchase", "properties": {"total": 100}},
            content_type="application/json",
        )
    run_engine()

    for buyer in buyers:
        in_email_list = list_queries.is_member(bought_email, buyer)
        assert in_email_list == (buyer.email in emailed)
        assert list_queries.is_member(bought_sms, buyer) == (not in_email_list)
