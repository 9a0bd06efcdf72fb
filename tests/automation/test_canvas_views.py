"""The flow list, the canvas page and published versions, for owner, teammate and outsider."""

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from automation import actions
from automation.models import Flow, FlowVersion
from campaigns import actions as campaign_actions
from contacts import actions as contact_actions
from lists import actions as list_actions
from tests.automation.conftest import create_flow, edge, node, run_engine

pytestmark = pytest.mark.django_db


def canvas_config(response: Any) -> dict[str, Any]:
    """Return the JSON the canvas page hands the React app."""
    html = response.content.decode()
    start = html.index('<script id="canvas-config" type="application/json">')
    start = html.index(">", start) + 1
    end = html.index("</script>", start)
    return json.loads(html[start:end])


def test_index_lists_flows_with_state_and_entered(owner_client: Client, account: Any) -> None:
    actions.create_flow(account, {"name": "ברוכים הבאים"})

    response = owner_client.get(reverse("automation:flow_index"))

    assert response.status_code == 200
    assert "ברוכים הבאים" in response.content.decode()
    assert response.context["flows"][0].entered == 0
    assert reverse("automation:template_index") in response.content.decode()


def test_index_post_creates_flow_and_opens_canvas(owner_client: Client, account: Any) -> None:
    response = owner_client.post(reverse("automation:flow_index"), {"name": "תזכורת"})

    flow = Flow.objects.get(account=account)
    assert flow.name == "תזכורת"
    assert response.status_code == 302
    assert response["Location"] == reverse("automation:flow_canvas", kwargs={"pk": flow.pk})


def test_teammate_sees_and_opens_flow(teammate_client: Client, account: Any) -> None:
    flow = actions.create_flow(account, {"name": "זרימת צוות"})

    listed = teammate_client.get(reverse("automation:flow_index"))
    opened = teammate_client.get(reverse("automation:flow_canvas", kwargs={"pk": flow.pk}))

    assert "זרימת צוות" in listed.content.decode()
    assert opened.status_code == 200


def test_outsider_gets_404_and_changes_nothing(outsider_client: Client, account: Any) -> None:
    flow = actions.create_flow(account, {"name": "פרטי"})
    FlowVersion.objects.create(account=account, flow=flow, number=1, graph=flow.graph)

    urls = [
        reverse("automation:flow_canvas", kwargs={"pk": flow.pk}),
        reverse("automation:flow_versions", kwargs={"pk": flow.pk}),
        reverse("automation:flow_check", kwargs={"pk": flow.pk}),
        reverse("automation:flow_version", kwargs={"pk": flow.pk, "number": 1}),
        reverse("api_flow_versions", kwargs={"pk": flow.pk}),
    ]
    listed = outsider_client.get(reverse("automation:flow_index"))

    for url in urls:
        assert outsider_client.get(url).status_code in (404, 405), url
        assert outsider_client.post(url).status_code in (404, 405), url
    assert "פרטי" not in listed.content.decode()
    flow.refresh_from_db()
    assert flow.name == "פרטי"


def test_canvas_hands_app_flow_pickers_and_strings(owner_client: Client, account: Any) -> None:
    newsletter = list_actions.create_list(account, name="ניוזלטר")
    welcome = campaign_actions.save_message(
        account, None, {"name": "ברוכים", "text": "פרסומת: שלום"}, channel="sms"
    )
    flow = actions.create_flow(account, {"name": "קנבס"})

    response = owner_client.get(reverse("automation:flow_canvas", kwargs={"pk": flow.pk}))
    config = canvas_config(response)

    assert config["flow"]["id"] == flow.pk
    assert config["read_only"] is False
    assert {"id": newsletter.pk, "label": "ניוזלטר", "static": True} in config["choices"]["lists"]
    assert {"id": welcome.pk, "label": "ברוכים", "channel": "sms"} in config["choices"]["messages"]
    assert config["choices"]["members"][0]["label"] == "dana@example.com"
    types = {item["type"]: item for item in config["node_types"]}
    assert types["email_status"]["branches"] == ["yes", "no"]
    assert types["email_status"]["label"] == "סטטוס מייל"
    assert config["strings"]["branches"]["yes"] == "כן"
    widgets = {field["name"]: field["widget"] for field in types["send_message"]["fields"]}
    assert widgets == {"message_id": "message"}
    wait_fields = {field["name"]: field for field in types["wait"]["fields"]}
    assert wait_fields["amount"]["widget"] == "number"
    assert wait_fields["amount"]["shown_when"] == {"mode": ["duration"]}
    assert [option["value"] for option in wait_fields["unit"]["options"]] == [
        "minutes",
        "hours",
        "days",
    ]
    assert config["urls"]["flow"] == f"/api/v1/flows/{flow.pk}/"


def test_canvas_strings_follow_language(owner_client: Client, account: Any, english: Any) -> None:
    flow = actions.create_flow(account, {"name": "English"})

    config = canvas_config(
        owner_client.get(reverse("automation:flow_canvas", kwargs={"pk": flow.pk}))
    )

    assert config["strings"]["save"] == "Save draft"
    assert config["strings"]["branches"]["no"] == "No"


def test_version_page_shows_published_graph_read_only(
    owner_client: Client, api_client: Client, account: Any
) -> None:
    flow = create_flow(
        api_client,
        [node("t", "contact_created"), node("done", "exit")],
        [edge("t", "done")],
    )
    actions.update_flow(account, flow, {"graph": {"nodes": [], "edges": []}})

    page = owner_client.get(reverse("automation:flow_version", kwargs={"pk": flow.pk, "number": 1}))
    versions = owner_client.get(reverse("automation:flow_versions", kwargs={"pk": flow.pk}))
    listed = owner_client.get(reverse("api_flow_versions", kwargs={"pk": flow.pk}))

    config = canvas_config(page)
    assert config["read_only"] is True
    assert config["viewing_version"] == 1
    assert [n["id"] for n in config["flow"]["graph"]["nodes"]] == ["t", "done"]
    assert reverse("automation:flow_version", kwargs={"pk": flow.pk, "number": 1}) in (
        versions.content.decode()
    )
    assert listed.json()["results"][0]["number"] == 1


def test_missing_version_is_404(owner_client: Client, account: Any) -> None:
    flow = actions.create_flow(account, {"name": "בלי גרסה"})

    response = owner_client.get(
        reverse("automation:flow_version", kwargs={"pk": flow.pk, "number": 3})
    )

    assert response.status_code == 404


def test_nav_links_to_automations(owner_client: Client) -> None:
    response = owner_client.get(reverse("home"))

    assert reverse("automation:flow_index") in response.content.decode()


def test_counts_give_triggers_their_entries(api_client: Client, account: Any) -> None:
    flow = create_flow(
        api_client,
        [node("t", "contact_created"), node("done", "exit")],
        [edge("t", "done")],
    )
    contact_actions.upsert_contact(account, {"email": "new@example.com"}, source="test")
    run_engine()

    counts = api_client.get(reverse("api_flow_counts", kwargs={"pk": flow.pk})).json()["nodes"]

    assert counts["t"]["entered"] == 1
    assert counts["t"]["branches"] == {"next": 1}
    assert counts["done"]["entered"] == 1


def test_check_returns_problems_in_marketers_language(owner_client: Client, account: Any) -> None:
    flow = actions.create_flow(
        account,
        {
            "name": "חסר ענף",
            "graph": {
                "nodes": [
                    {"id": "t", "type": "contact_created"},
                    {"id": "c", "type": "form_status", "settings": {"status": "submitted"}},
                    {"id": "done", "type": "exit"},
                ],
                "edges": [
                    {"source": "t", "target": "c", "branch": "next"},
                    {"source": "c", "target": "done", "branch": "no"},
                ],
            },
        },
    )

    response = owner_client.post(reverse("automation:flow_check", kwargs={"pk": flow.pk}))

    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    assert body["problems"] == [{"node": "c", "message": "הענף “yes” לא מחובר לצעד הבא."}]


def test_check_of_valid_draft(owner_client: Client, account: Any) -> None:
    flow = actions.create_flow(
        account,
        {
            "name": "תקין",
            "graph": {
                "nodes": [{"id": "t", "type": "contact_created"}, {"id": "x", "type": "exit"}],
                "edges": [{"source": "t", "target": "x", "branch": "next"}],
            },
        },
    )

    response = owner_client.post(reverse("automation:flow_check", kwargs={"pk": flow.pk}))

    assert response.json() == {"valid": True, "problems": []}


def test_index_queries_do_not_grow_with_flows(
    owner_client: Client, account: Any, django_assert_num_queries: Any
) -> None:
    actions.create_flow(account, {"name": "ראשונה"})
    owner_client.get(reverse("automation:flow_index"))

    with CaptureQueriesContext(connection) as one_flow:
        owner_client.get(reverse("automation:flow_index"))
    for number in range(3):
        actions.create_flow(account, {"name": f"עוד {number}"})

    with django_assert_num_queries(len(one_flow.captured_queries)):
        response = owner_client.get(reverse("automation:flow_index"))

    assert len(response.context["flows"]) == 4


def test_check_names_unsendable_message_in_hebrew(owner_client: Client, account: Any) -> None:
    campaign_actions.add_verified_sender(
        account, name="חנות הפרחים", email="dana@flowers.example.co.il", make_default=True
    )
    message = campaign_actions.save_message(
        account,
        None,
        {"name": "תודה", "subject": "תודה שנרשמת!", "is_advertising": True},
        channel="email",
    )
    flow = actions.create_flow(
        account,
        {
            "name": "הרשמה",
            "graph": {
                "nodes": [
                    {"id": "t", "type": "form_submitted"},
                    {"id": "mail", "type": "send_message", "settings": {"message_id": message.pk}},
                ],
                "edges": [{"source": "t", "target": "mail", "branch": "next"}],
            },
        },
    )

    response = owner_client.post(reverse("automation:flow_check", kwargs={"pk": flow.pk}))

    problems = response.json()["problems"]
    assert [problem["node"] for problem in problems] == ["mail"]
    assert problems[0]["message"] == "הנושא של מייל פרסומת חייב להתחיל במילה “פרסומת”."


def test_canvas_counts_days_in_hebrew_plural_forms(owner_client: Client, account: Any) -> None:
    flow = actions.create_flow(account, {"name": "המתנה"})

    config = canvas_config(
        owner_client.get(reverse("automation:flow_canvas", kwargs={"pk": flow.pk}))
    )

    days = config["strings"]["counted"]["days"]
    assert days["one"] == "יום אחד"
    assert days["two"] == "%(count)s ימים"
    assert days["other"] == "%(count)s ימים"
    assert config["strings"]["counted"]["hours"]["one"] == "שעה אחת"


def test_canvas_hands_react_flow_translated_aria_labels(owner_client: Client, account: Any) -> None:
    flow = actions.create_flow(account, {"name": "נגישות"})

    config = canvas_config(
        owner_client.get(reverse("automation:flow_canvas", kwargs={"pk": flow.pk}))
    )

    aria = config["strings"]["aria"]
    assert aria["controls.zoomIn.ariaLabel"] == "הגדלה"
    assert aria["controls.zoomOut.ariaLabel"] == "הקטנה"
    assert aria["controls.fitView.ariaLabel"] == "התאמה למסך"
    assert aria["edge"] == "חיבור מ־%(source)s אל %(target)s"


def test_canvas_knows_unpublished_changes_and_resume_url(
    owner_client: Client, api_client: Client, account: Any
) -> None:
    flow = create_flow(
        api_client,
        [node("t", "contact_created"), node("done", "exit")],
        [edge("t", "done")],
    )
    url = reverse("automation:flow_canvas", kwargs={"pk": flow.pk})

    before = canvas_config(owner_client.get(url))
    actions.update_flow(account, flow, {"graph": {"nodes": [], "edges": []}})
    after = canvas_config(owner_client.get(url))

    assert before["flow"]["unpublished_changes"] is False
    assert after["flow"]["unpublished_changes"] is True
    assert after["urls"]["resume"] == f"/api/v1/flows/{flow.pk}/resume/"
    assert after["urls"]["retry_parked"] == f"/api/v1/flows/{flow.pk}/retry-parked/"


def test_check_calls_a_node_a_step_in_hebrew(owner_client: Client, account: Any) -> None:
    flow = actions.create_flow(
        account,
        {
            "name": "צעד מנותק",
            "graph": {
                "nodes": [
                    {"id": "t", "type": "contact_created"},
                    {"id": "x", "type": "exit"},
                    {"id": "lost", "type": "exit"},
                ],
                "edges": [{"source": "t", "target": "x", "branch": "next"}],
            },
        },
    )

    response = owner_client.post(reverse("automation:flow_check", kwargs={"pk": flow.pk}))

    assert response.json()["problems"] == [
        {"node": "lost", "message": "אף טריגר לא מוביל לצעד הזה."}
    ]


def test_canvas_counts_days_in_english(owner_client: Client, account: Any, english: Any) -> None:
    flow = actions.create_flow(account, {"name": "Wait"})

    config = canvas_config(
        owner_client.get(reverse("automation:flow_canvas", kwargs={"pk": flow.pk}))
    )

    days = config["strings"]["counted"]["days"]
    assert days["one"] == "%(count)s day"
    assert days["other"] == "%(count)s days"
    assert config["strings"]["aria"]["controls.zoomIn.ariaLabel"] == "Zoom in"
