"""The flow templates API: list the gallery, make a flow from a template."""

import pytest
from django.test import Client

from automation.flow_templates import REGISTRY
from automation.models import Flow
from campaigns import actions as campaign_actions
from contacts import actions as contact_actions

pytestmark = pytest.mark.django_db


def test_it_lists_every_template_in_english(api_client: Client) -> None:
    response = api_client.get("/api/v1/flow-templates/")

    assert response.status_code == 200
    listed = {item["key"]: item for item in response.json()}
    assert set(listed) == set(REGISTRY)
    split = listed["channel_split_test"]
    assert split["name"] == "Which channel works better: email or SMS"
    assert split["category"] == "sales"
    assert split["channels"] == ["email", "sms"]
    assert split["steps"][0] == {
        "id": "signed_up",
        "type": "form_submitted",
        "category": "trigger",
        "label": "הרשמה מטופס",
    }
    assert split["creates"]["lists"] == ["קנו דרך מייל", "קנו דרך SMS"]
    assert listed["payment_reminder"]["creates"]["fields"] == ["invoice_date", "paid"]
    # Top to bottom, and right to left within a row, as the canvas shows them.
    steps = [step["id"] for step in listed["email_not_opened_sms"]["steps"]]
    assert steps == ["signed_up", "welcome", "wait", "opened", "done", "nudge"]


def test_it_makes_a_draft_flow_and_returns_it(api_client: Client, account) -> None:
    # Activation checks that the messages can be sent, from a verified sender.
    campaign_actions.add_verified_sender(
        account, name=account.name, email=account.default_sender_email, make_default=True
    )
    response = api_client.post("/api/v1/flow-templates/source_followup/use/")

    assert response.status_code == 201
    body = response.json()
    flow = Flow.objects.get(account=account)
    assert body["id"] == flow.pk
    assert body["state"] == "draft"
    assert body["version"] is None
    assert body["name"] == "מעקב לפי מקור ההרשמה"
    assert body["graph"] == flow.graph
    validated = api_client.post(f"/api/v1/flows/{flow.pk}/validate/")
    assert validated.json()["problems"] == []


def test_unknown_template_is_404(api_client: Client, account) -> None:
    response = api_client.post("/api/v1/flow-templates/nothing_here/use/")

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no flow template “nothing_here”."}
    assert not Flow.objects.filter(account=account).exists()


def test_clash_is_400_and_creates_nothing(api_client: Client, account) -> None:
    contact_actions.create_custom_field(account, label="מקור", key="source", type="date")

    response = api_client.post("/api/v1/flow-templates/source_followup/use/")

    assert response.status_code == 400
    assert "“source” exists with another type" in response.json()["detail"]
    assert not Flow.objects.filter(account=account).exists()


def test_outsider_makes_the_flow_in_their_own_account(
    outsider_api_client: Client, account, outsider_account
) -> None:
    response = outsider_api_client.post("/api/v1/flow-templates/welcome_series/use/")

    assert response.status_code == 201
    assert Flow.objects.get(pk=response.json()["id"]).account_id == outsider_account.pk
    assert not Flow.objects.filter(account=account).exists()


def test_anonymous_gets_401(client: Client, account) -> None:
    assert client.get("/api/v1/flow-templates/").status_code == 401
    assert client.post("/api/v1/flow-templates/welcome_series/use/").status_code == 401
    assert not Flow.objects.exists()
