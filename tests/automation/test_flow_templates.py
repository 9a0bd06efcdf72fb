"""Every gallery template, made in a fresh account, activated and walked by real contacts.

Contacts enter the way they would in production: the public form, a list
join, a purchase posted to the API, a field set by the API, the date
trigger. The engine's tick runs in-process; deliveries go through a real
Celery worker to the SMTP sink and the fake Twilio. Waits end by moving
their wake_at to now, or by running the tick on the day a date condition
needs.
"""

import datetime
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from automation import actions
from automation import graph as graphs
from automation.flow_templates import REGISTRY, get_template
from automation.gallery import TemplateError, UnknownTemplate, create_flow_from_template
from automation.models import Enrollment, EnrollmentState, Flow, FlowState, StepRecord
from campaigns import actions as campaign_actions
from campaigns import queries as campaign_queries
from contacts import actions as contact_actions
from contacts import queries as contact_queries
from contacts.models import Contact
from forms import queries as form_queries
from lists import actions as list_actions
from lists import queries as list_queries
from tests.automation.conftest import run_engine, wait_for
from tests.campaigns.conftest import (
    BROWSER_AGENT,
    as_if_sent_earlier,
    html_of,
    make_contact,
    pixel_path,
    tracked_links,
)
from tests.smtp_sink import body_text

ZONE = zoneinfo.ZoneInfo("Asia/Jerusalem")


@dataclass
class Run:
    """A template's flow, activated, with what a scenario needs to drive it."""

    account: Any
    flow: Flow
    api_client: Client
    mailbox: Any
    twilio: Any

    def setting(self, node_id: str, name: str) -> Any:
        return graphs.nodes_by_id(self.flow.graph)[node_id]["settings"][name]

    def form(self, node_id: str) -> Any:
        return form_queries.get_form_for_account(self.account, self.setting(node_id, "form_id"))

    def contact(self, email: str) -> Contact:
        found = contact_queries.contacts_of_account(self.account).filter(email=email).first()
        assert found is not None, email
        return found

    def path(self, email: str) -> list[tuple[str, str]]:
        """Return the (node, outcome) steps the contact took, in order, over all its entries."""
        return list(
            StepRecord.objects.filter(flow=self.flow, enrollment__contact__email=email)
            .order_by("enrollment_id", "executed_at", "pk")
            .values_list("node_id", "outcome")
        )

    def received(self, email: str) -> list[Any]:
        return [m for m in self.mailbox.messages if m["To"] == email]

    def subjects(self, email: str) -> list[str]:
        return [m["Subject"].strip() for m in self.received(email)]

    def end_waits(self) -> int:
        """End every wait of the flow now, as if its time had come; return how many."""
        return Enrollment.objects.filter(flow=self.flow, state=EnrollmentState.WAITING).update(
            wake_at=timezone.now()
        )

    def waiting(self) -> int:
        return Enrollment.objects.filter(flow=self.flow, state=EnrollmentState.WAITING).count()


@pytest.fixture
def verified_sender(account: Any) -> Any:
    """Let the account send as its verified default sender, as a set-up account does."""
    campaign_actions.add_verified_sender(
        account, name="חנות הפרחים של דנה", email="dana@flowers.example.co.il", make_default=True
    )
    account.refresh_from_db()
    return account


def sign_up(
    form: Any, number: int, query: str = "", lists: tuple[int, ...] = (), **values: str
) -> None:
    """Post the public form as a visitor from their own address, ticking every consent."""
    data: dict[str, Any] = {"_consent_email": "1", "_consent_sms": "1", **values}
    if lists:
        data["_lists"] = [str(pk) for pk in lists]
    url = reverse("public_forms:form", args=[form.public_token]) + query
    response = Client().post(url, data, REMOTE_ADDR=f"198.51.100.{number}")
    assert response.status_code == 200, response.content[:500]


def post_purchase(api_client: Client, email: str, *products: str) -> None:
    posted = api_client.post(
        "/api/v1/events/",
        {
            "email": email,
            "name": "purchase",
            "properties": {"products": [{"id": p, "name": p} for p in products], "total": 100},
        },
        content_type="application/json",
    )
    assert posted.status_code == 201, posted.content


SCENARIOS: dict[str, Callable[[Run], None]] = {}


def scenario(key: str) -> Callable[[Callable[[Run], None]], Callable[[Run], None]]:
    def register(function: Callable[[Run], None]) -> Callable[[Run], None]:
        SCENARIOS[key] = function
        return function

    return register


@scenario("welcome_series")
def _welcome_series(run: Run) -> None:
    form = form_queries.forms_of_account(run.account).get(name="הרשמה לניוזלטר")
    sign_up(form, 1, email="ruti@example.com", first_name="רותי")
    sign_up(form, 2, email="moshe@example.com", first_name="משה")
    run_engine()
    assert wait_for(lambda: len(run.mailbox.messages) == 2)
    assert run.subjects("ruti@example.com") == ["פרסומת: ברוכים הבאים, רותי!"]

    assert run.end_waits() == 2
    run_engine()
    assert wait_for(lambda: len(run.mailbox.messages) == 4)
    assert run.subjects("moshe@example.com")[1] == "פרסומת: משה, נעים להכיר"

    post_purchase(run.api_client, "moshe@example.com", "עציץ")
    run_engine()
    assert run.end_waits() == 2
    run_engine()
    assert wait_for(lambda: len(run.mailbox.messages) == 5)

    assert run.subjects("ruti@example.com")[2] == "פרסומת: מתנה לקנייה הראשונה שלך"
    assert len(run.received("moshe@example.com")) == 2
    start = [("welcome", "next"), ("wait1", "next"), ("story", "next"), ("wait2", "next")]
    assert run.path("ruti@example.com") == [*start, ("bought", "yes"), ("offer", "next")]
    assert run.path("moshe@example.com") == [*start, ("bought", "no"), ("done", "exit")]


@scenario("email_not_opened_sms")
def _email_not_opened_sms(run: Run) -> None:
    form = run.form("signed_up")
    sign_up(form, 3, email="opens@example.com", first_name="רותי", mobile="050-1111111")
    sign_up(form, 4, email="ignores@example.com", first_name="משה", mobile="050-2222222")
    run_engine()
    assert wait_for(lambda: len(run.mailbox.messages) == 2)

    as_if_sent_earlier()
    opened = run.received("opens@example.com")[0]
    Client(HTTP_USER_AGENT=BROWSER_AGENT).get(pixel_path(opened))
    run_engine()
    assert run.twilio.requests == []
    assert run.end_waits() == 2
    run_engine()

    assert wait_for(lambda: len(run.twilio.requests) == 1)
    assert run.twilio.requests[0]["To"] == "+972502222222"
    assert run.twilio.requests[0]["Body"].startswith("פרסומת: משה, שלחנו לך מייל")
    start = [("welcome", "next"), ("wait", "next")]
    assert run.path("opens@example.com") == [*start, ("opened", "yes"), ("done", "exit")]
    assert run.path("ignores@example.com") == [*start, ("opened", "no"), ("nudge", "next")]


@scenario("form_not_filled_reminder")
def _form_not_filled_reminder(run: Run) -> None:
    invited = list_queries.get_list_for_account(run.account, run.setting("invited", "list_id"))
    keen = make_contact(run.account, email="keen@example.com", first_name="נועה")
    late = make_contact(run.account, email="late@example.com", first_name="אבי")
    list_actions.add_contacts(run.account, invited, [keen, late], source="test")
    run_engine()
    assert wait_for(lambda: len(run.mailbox.messages) == 2)

    # Noa follows the invitation's button to the form and fills it in.
    as_if_sent_earlier()
    button = tracked_links(run.received("keen@example.com")[0])[0]
    landed = Client(HTTP_USER_AGENT=BROWSER_AGENT).get(button)
    form = run.form("filled")
    form_path = reverse("public_forms:form", args=[form.public_token])
    assert landed.status_code == 302
    assert landed["Location"].endswith(form_path)
    sign_up(form, 5, email="keen@example.com", first_name="נועה")
    assert run.end_waits() == 2
    run_engine()

    assert wait_for(lambda: len(run.mailbox.messages) == 4)
    assert run.subjects("keen@example.com")[1] == "פרסומת: תודה שנרשמת, נועה!"
    assert run.subjects("late@example.com")[1] == "פרסומת: עוד לא נרשמת? יש לנו הפתעה בשבילך"
    start = [("invite", "next"), ("wait", "next")]
    assert run.path("keen@example.com") == [*start, ("filled", "yes"), ("thanks", "next")]
    assert run.path("late@example.com") == [*start, ("filled", "no"), ("remind", "next")]


@scenario("upsell_not_bought")
def _upsell_not_bought(run: Run) -> None:
    product = run.setting("has_it", "product")
    make_contact(run.account, email="one@example.com", first_name="דנה")
    make_contact(run.account, email="both@example.com", first_name="יוסי")
    post_purchase(run.api_client, "one@example.com", "עציץ")
    post_purchase(run.api_client, "both@example.com", "עציץ", product)
    run_engine()
    assert run.waiting() == 2
    assert run.end_waits() == 2
    run_engine()

    assert wait_for(lambda: len(run.mailbox.messages) == 1)
    assert run.subjects("one@example.com") == ["פרסומת: דנה, זה ישלים לך את ההזמנה"]
    assert run.path("one@example.com") == [("wait", "next"), ("has_it", "yes"), ("offer", "next")]
    assert run.path("both@example.com") == [("wait", "next"), ("has_it", "no"), ("done", "exit")]


@scenario("payment_reminder")
def _payment_reminder(run: Run) -> None:
    payer = make_contact(run.account, email="payer@example.com", first_name="שרה")
    debtor = make_contact(run.account, email="debtor@example.com", first_name="דוד")
    invoiced = timezone.now().astimezone(ZONE).date()
    for contact in (payer, debtor):
        patched = run.api_client.patch(
            f"/api/v1/contacts/{contact.pk}/",
            {"fields": {"invoice_date": invoiced.isoformat()}},
            content_type="application/json",
        )
        assert patched.status_code == 200, patched.content
    run_engine()
    assert run.waiting() == 2
    paid = run.api_client.patch(
        f"/api/v1/contacts/{payer.pk}/", {"fields": {"paid": True}}, content_type="application/json"
    )
    assert paid.status_code == 200, paid.content

    due = datetime.datetime.combine(invoiced + datetime.timedelta(days=14), datetime.time(9, 0))
    run_engine(due.replace(tzinfo=ZONE) - datetime.timedelta(minutes=1))
    assert run.waiting() == 2
    run_engine(due.replace(tzinfo=ZONE))

    assert wait_for(lambda: len(run.mailbox.messages) == 1)
    assert run.subjects("debtor@example.com") == ["תזכורת: חשבונית פתוחה לתשלום"]
    assert invoiced.isoformat() in body_text(run.received("debtor@example.com")[0])
    start = [("wait", "next"), ("overdue", "yes")]
    assert run.path("debtor@example.com") == [*start, ("unpaid", "yes"), ("remind", "next")]
    assert run.path("payer@example.com") == [*start, ("unpaid", "no"), ("done", "exit")]


@scenario("event_invitation_by_city")
def _event_invitation_by_city(run: Run) -> None:
    make_contact(run.account, email="holon1@example.com", city="חולון", first_name="גלית")
    make_contact(run.account, email="holon2@example.com", city="חולון")
    make_contact(run.account, email="bat-yam@example.com", city="בת ים")
    day = datetime.date.fromisoformat(run.setting("on_date", "date"))
    assert day == timezone.now().astimezone(ZONE).date() + datetime.timedelta(days=14)
    at_ten = datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=ZONE)

    run_engine(at_ten - datetime.timedelta(minutes=1))
    assert Enrollment.objects.filter(flow=run.flow).count() == 0
    run_engine(at_ten)

    assert wait_for(lambda: len(run.mailbox.messages) == 2)
    assert run.subjects("holon1@example.com") == ["פרסומת: גלית, מופע מיוחד בחולון"]
    assert run.subjects("holon2@example.com") == ["פרסומת: שכנים יקרים, מופע מיוחד בחולון"]
    assert run.path("holon1@example.com") == [("in_city", "yes"), ("invite", "next")]
    assert run.path("bat-yam@example.com") == [("in_city", "no"), ("done", "exit")]


@scenario("source_followup")
def _source_followup(run: Run) -> None:
    form = run.form("signed_up")
    sign_up(form, 6, query="?utm_source=Facebook", email="fb@example.com")
    sign_up(form, 7, query="?utm_source=Google", email="g@example.com")
    sign_up(form, 8, email="site@example.com")
    run_engine()

    assert wait_for(lambda: len(run.mailbox.messages) == 3)
    assert run.contact("site@example.com").fields["source"] == "אתר"
    assert run.subjects("fb@example.com") == ["פרסומת: היי, נעים לפגוש אותך גם מחוץ לפייסבוק"]
    assert run.subjects("g@example.com") == ["פרסומת: היי, מצאת אותנו – והנה מה שחיפשת"]
    assert run.subjects("site@example.com") == ["פרסומת: היי, תודה שנרשמת"]
    assert run.path("fb@example.com") == [("from_facebook", "yes"), ("facebook", "next")]
    assert run.path("site@example.com") == [
        ("from_facebook", "no"),
        ("from_google", "no"),
        ("general", "next"),
    ]


@scenario("preference_newsletter")
def _preference_newsletter(run: Run) -> None:
    deals = run.setting("joined_deals", "list_id")
    tips = run.setting("joined_tips", "list_id")
    form = form_queries.forms_of_account(run.account).get()
    sign_up(form, 9, lists=(deals,), email="deals@example.com", first_name="מיכל")
    sign_up(form, 10, lists=(deals, tips), email="both@example.com", first_name="עמית")
    run_engine()
    # Ticking two lists joins both at once; the contact enters once.
    assert Enrollment.objects.filter(flow=run.flow).count() == 2
    assert run.mailbox.messages == []

    assert run.end_waits() == 2
    run_engine()
    assert run.contact("deals@example.com").fields["interests"] == ["מבצעים"]
    assert run.contact("both@example.com").fields["interests"] == ["מבצעים", "טיפים"]
    assert wait_for(lambda: len(run.mailbox.messages) == 2)
    only_deals = html_of(run.received("deals@example.com")[0])
    both = html_of(run.received("both@example.com")[0])
    assert "המבצעים של השבוע" in only_deals
    assert "הטיפ של השבוע" not in only_deals
    assert "המבצעים של השבוע" in both
    assert "הטיפ של השבוע" in both
    assert run.subjects("both@example.com") == ["פרסומת: עמית – ביקשת? קיבלת!"]
    assert run.path("deals@example.com") == [
        ("settle", "next"),
        ("chose_deals", "yes"),
        ("add_deals", "next"),
        ("chose_tips", "no"),
        ("newsletter", "next"),
    ]
    assert run.path("both@example.com")[3:] == [
        ("chose_tips", "yes"),
        ("add_tips", "next"),
        ("newsletter", "next"),
    ]


@scenario("channel_split_test")
def _channel_split_test(run: Run) -> None:
    form = run.form("signed_up")
    people = [f"p{i}@example.com" for i in range(10)]
    for i, email in enumerate(people):
        sign_up(form, 20 + i, email=email, first_name="לקוח", mobile=f"050-00000{i:02d}")
    run_engine()
    assert wait_for(lambda: len(run.mailbox.messages) + len(run.twilio.requests) == 10)

    branch = {email: run.path(email)[0][1] for email in people}
    emailed = {m["To"] for m in run.mailbox.messages}
    texted = {r["To"] for r in run.twilio.requests}
    assert emailed == {email for email in people if branch[email] == "email"}
    assert len(texted) == sum(1 for email in people if branch[email] == "sms")
    assert all(r["Body"].startswith("פרסומת: לקוח, לכבוד ההרשמה") for r in run.twilio.requests)

    # One contact of each branch buys; the purchase ends their wait at once.
    buyers = {next(e for e in people if branch[e] == way) for way in set(branch.values())}
    for email in buyers:
        post_purchase(run.api_client, email, "שמלה")
    run_engine()
    by_email = list_queries.get_list_for_account(run.account, run.setting("list_mail", "list_id"))
    by_sms = list_queries.get_list_for_account(run.account, run.setting("list_text", "list_id"))
    for email in buyers:
        contact = run.contact(email)
        assert list_queries.is_member(by_email, contact) == (branch[email] == "email")
        assert list_queries.is_member(by_sms, contact) == (branch[email] == "sms")
    assert run.waiting() == 10 - len(buyers)

    assert run.end_waits() == 10 - len(buyers)
    run_engine()
    others = [email for email in people if email not in buyers]
    exit_of = {"email": "done_mail", "sms": "done_text"}
    for email in others:
        assert run.path(email)[-1] == (exit_of[branch[email]], "exit")
    assert list_queries.member_count(by_email) + list_queries.member_count(by_sms) == len(buyers)


@scenario("birthday_greeting")
def _birthday_greeting(run: Run) -> None:
    today = timezone.now().astimezone(ZONE).date()
    make_contact(
        run.account, email="bday@example.com", first_name="דנה", birthday=f"1990-{today:%m-%d}"
    )
    other = today + datetime.timedelta(days=1)
    make_contact(run.account, email="later@example.com", birthday=f"1985-{other:%m-%d}")
    at_nine = datetime.datetime.combine(today, datetime.time(9, 0), tzinfo=ZONE)

    run_engine(at_nine - datetime.timedelta(minutes=1))
    assert Enrollment.objects.filter(flow=run.flow).count() == 0
    run_engine(at_nine)

    assert wait_for(lambda: len(run.mailbox.messages) == 1)
    assert run.subjects("bday@example.com") == ["פרסומת: מזל טוב, דנה! 🎂"]
    assert run.path("bday@example.com") == [("greet", "next")]
    assert run.path("later@example.com") == []


@scenario("double_optin_sms_reminder")
def _double_optin_sms_reminder(run: Run) -> None:
    form = run.form("signed_up")
    sign_up(form, 11, email="yes@example.com", first_name="רותם", mobile="050-3333333")
    sign_up(form, 12, email="later@example.com", first_name="אורי", mobile="050-4444444")
    run_engine()
    assert wait_for(lambda: len(run.mailbox.messages) == 2)
    assert run.subjects("yes@example.com") == ["נא לאשר את ההרשמה שלך"]

    as_if_sent_earlier()
    button = tracked_links(run.received("yes@example.com")[0])[0]
    clicked = Client(HTTP_USER_AGENT=BROWSER_AGENT).get(button)
    assert clicked.status_code == 200
    confirmed = list_queries.get_list_for_account(
        run.account, run.setting("confirmed", "rules")[0]["list_id"]
    )
    assert list_queries.is_member(confirmed, run.contact("yes@example.com"))
    assert run.end_waits() == 2
    run_engine()

    assert wait_for(lambda: len(run.twilio.requests) == 1)
    assert run.twilio.requests[0]["To"] == "+972504444444"
    assert run.twilio.requests[0]["Body"].startswith("אורי, שלחנו לך מייל לאישור ההרשמה")
    start = [("confirm", "next"), ("wait", "next")]
    assert run.path("yes@example.com") == [*start, ("confirmed", "yes"), ("done", "exit")]
    assert run.path("later@example.com") == [*start, ("confirmed", "no"), ("remind", "next")]


def test_every_template_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(REGISTRY)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", list(REGISTRY))
def test_template_runs_end_to_end(
    key, account, verified_sender, api_client, mailbox, twilio, celery_worker
) -> None:
    flow = actions.create_flow_from_template(account, key)
    assert flow.state == FlowState.DRAFT
    assert graphs.validate_graph(account, flow.graph) == []

    flow = actions.activate_flow(account, flow)

    SCENARIOS[key](Run(account, flow, api_client, mailbox, twilio))
    assert not Enrollment.objects.filter(flow=flow, state=EnrollmentState.PARKED).exists()


# Making a flow from a template.


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(REGISTRY))
def test_it_makes_what_the_template_needs(key, account) -> None:
    template = get_template(key)
    assert template is not None

    flow = create_flow_from_template(account, key)

    assert flow.name == template.flow_name
    assert flow.reentry == template.reentry
    specs = {spec.key: spec for spec in contact_queries.field_catalog(account)}
    assert all(specs[need.key].type == need.type for need in template.fields)
    names = set(list_queries.lists_of_account(account).values_list("name", flat=True))
    assert {need.name for need in template.lists} <= names
    forms = form_queries.forms_of_account(account)
    assert sorted(forms.values_list("name", flat=True)) == sorted(f.name for f in template.forms)
    assert all(form.is_published for form in forms)
    messages = campaign_queries.messages_of_account(account)
    assert sorted(messages.values_list("name", "channel")) == sorted(
        (m.name, m.channel) for m in template.messages
    )
    # No reference is left for the engine to trip on.
    assert "@" not in str(flow.graph)
    assert all("@" not in str(m.blocks) + m.text for m in messages)


@pytest.mark.django_db
@pytest.mark.parametrize("policy", ["mobile", "external_id"])
def test_templates_work_for_any_identifier(account, policy) -> None:
    account.identifier_policy = policy
    account.save(update_fields=["identifier_policy"])

    for key in REGISTRY:
        flow = create_flow_from_template(account, key)
        assert graphs.validate_graph(account, flow.graph) == [], key

    for form in form_queries.forms_of_account(account):
        visible = form_queries.load_definition(form).visible
        keys = [form_field.field_key for form_field, _spec in visible]
        assert keys[0] == policy, form.name
        assert "email" in keys, form.name


@pytest.mark.django_db
def test_reuse_shares_fields_and_lists(account) -> None:
    first = create_flow_from_template(account, "preference_newsletter")
    second = create_flow_from_template(account, "preference_newsletter")

    assert first.graph["nodes"][0]["settings"] == second.graph["nodes"][0]["settings"]
    assert contact_queries.custom_fields_of_account(account).count() == 1
    assert list_queries.lists_of_account(account).count() == 2
    assert form_queries.forms_of_account(account).count() == 2
    assert campaign_queries.messages_of_account(account).count() == 2


@pytest.mark.django_db
def test_it_adds_missing_choices_to_an_existing_field(account) -> None:
    contact_actions.create_custom_field(
        account, label="תחומי עניין", key="interests", type="multi_choice", choices=["ספורט"]
    )

    create_flow_from_template(account, "preference_newsletter")

    field = contact_queries.custom_fields_of_account(account).get(key="interests")
    assert field.choices == ["ספורט", "מבצעים", "טיפים"]


@pytest.mark.django_db
def test_field_type_clash_makes_nothing(account) -> None:
    contact_actions.create_custom_field(account, label="תאריך", key="invoice_date", type="text")

    with pytest.raises(TemplateError, match="invoice_date"):
        create_flow_from_template(account, "payment_reminder")

    assert not Flow.objects.filter(account=account).exists()
    assert campaign_queries.messages_of_account(account).count() == 0
    assert contact_queries.custom_fields_of_account(account).count() == 1


@pytest.mark.django_db
def test_dynamic_list_clash_is_rejected(account) -> None:
    list_actions.create_list(
        account, name="אישרו הרשמה", kind="dynamic", conditions={"match": "all", "rules": []}
    )

    with pytest.raises(TemplateError):
        create_flow_from_template(account, "double_optin_sms_reminder")

    assert form_queries.forms_of_account(account).count() == 0


@pytest.mark.django_db
def test_it_refuses_an_unknown_template(account) -> None:
    with pytest.raises(UnknownTemplate):
        create_flow_from_template(account, "no_such_template")


@pytest.mark.django_db
def test_missing_sender_stops_activation(account) -> None:
    account.default_sender_email = ""
    account.save(update_fields=["default_sender_email"])
    flow = create_flow_from_template(account, "email_not_opened_sms")

    with pytest.raises(actions.FlowError) as caught:
        actions.activate_flow(account, flow)

    assert {problem.node for problem in caught.value.problems} == {"welcome"}


@pytest.mark.django_db
def test_sender_removed_after_activation_parks_send_step(account, verified_sender) -> None:
    flow = create_flow_from_template(account, "email_not_opened_sms")
    actions.activate_flow(account, flow)
    account.default_sender_email = ""
    account.save(update_fields=["default_sender_email"])
    form = form_queries.get_form_for_account(
        account, graphs.nodes_by_id(flow.graph)["signed_up"]["settings"]["form_id"]
    )
    sign_up(form, 40, email="someone@example.com", mobile="050-5555555")
    run_engine()

    parked = Enrollment.objects.get(flow=flow)
    assert parked.state == EnrollmentState.PARKED
    assert parked.node_id == "welcome"
    assert parked.parked_reason


def test_nodes_are_laid_out_top_to_bottom() -> None:
    for template in REGISTRY.values():
        nodes = graphs.nodes_by_id(template.graph)
        for edge in template.graph["edges"]:
            above = nodes[edge["source"]]["position"]["y"]
            below = nodes[edge["target"]]["position"]["y"]
            assert above < below, (template.key, edge)
        places = [(n["position"]["x"], n["position"]["y"]) for n in nodes.values()]
        assert len(set(places)) == len(places), template.key
        assert all(node.get("label") for node in nodes.values()), template.key
        # A condition's "yes" sits right of its "no", where the canvas puts
        # the handles.
        ways = graphs.outgoing(template.graph)
        for node_id, branches in ways.items():
            if {"yes", "no"} <= set(branches):
                yes_x = nodes[branches["yes"]]["position"]["x"]
                no_x = nodes[branches["no"]]["position"]["x"]
                assert yes_x >= no_x, (template.key, node_id)
