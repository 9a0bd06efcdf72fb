"""The flows API: validation messages, activation, counts, paths and the node catalogue."""

import pytest
from django.utils import translation

from automation.models import Enrollment, EnrollmentState, Flow, FlowState
from contacts import actions as contact_actions
from lists import actions as list_actions
from tests.automation.conftest import create_flow, edge, node, run_engine

pytestmark = pytest.mark.django_db


def problems_of(api_client, nodes, edges):
    created = api_client.post(
        "/api/v1/flows/",
        {"name": "בדיקה", "graph": {"nodes": nodes, "edges": edges}},
        content_type="application/json",
    )
    flow_id = created.json()["id"]
    checked = api_client.post(f"/api/v1/flows/{flow_id}/validate/").json()
    activated = api_client.post(f"/api/v1/flows/{flow_id}/activate/")
    assert activated.status_code == (200 if checked["valid"] else 400)
    return {(p["node"], p["message"]) for p in checked["problems"]}


def test_flow_without_trigger_is_invalid(api_client):
    found = problems_of(api_client, [node("x", "exit")], [])

    assert (None, "Add at least one trigger, so that contacts can enter the flow.") in found
    assert ("x", "No trigger leads to this node.") in found


def test_condition_needs_both_branches(api_client, account):
    contact_list = list_actions.create_list(account, name="רשימה")
    found = problems_of(
        api_client,
        [
            node("t", "list_joined", list_id=contact_list.pk),
            node("c", "contact_status", rules=[{"type": "field", "field": "city", "op": "empty"}]),
            node("x", "exit"),
        ],
        [edge("t", "c"), edge("c", "x", "yes")],
    )

    assert found == {("c", "The branch “no” is not connected to a next step.")}


def test_split_percentages_must_add_up(api_client):
    found = problems_of(
        api_client,
        [
            node("t", "contact_created"),
            node("s", "split", branches=[{"key": "a", "percent": 50}, {"key": "b", "percent": 40}]),
            node("x", "exit"),
        ],
        [edge("t", "s"), edge("s", "x", "a"), edge("s", "x", "b")],
    )

    assert found == {("s", "The split's percentages add up to 90; they must add up to 100.")}


def test_references_of_another_account_are_refused(api_client, outsider_account):
    foreign = list_actions.create_list(outsider_account, name="של אחרים")
    found = problems_of(
        api_client,
        [node("t", "list_joined", list_id=foreign.pk), node("x", "exit")],
        [edge("t", "x")],
    )

    assert found == {("t", f"The list {foreign.pk} in “list_id” does not exist in this account.")}


def test_unknown_field_and_missing_setting_are_named(api_client):
    found = problems_of(
        api_client,
        [
            node("t", "contact_updated", field="shoe_size"),
            node("u", "update_field", field="city", operation="set"),
        ],
        [edge("t", "u")],
    )

    assert found == {
        ("t", "The field “shoe_size” in “field” does not exist in this account."),
        ("u", "The setting “value” is missing."),
    }


def test_loop_without_wait_is_refused_and_with_wait_allowed(api_client):
    looping = [
        node("t", "contact_created"),
        node("a", "update_field", field="city", operation="set", value="חיפה"),
        node("b", "update_field", field="city", operation="set", value="עכו"),
    ]
    assert ("a", "This node is on a loop without a wait.") in problems_of(
        api_client, looping, [edge("t", "a"), edge("a", "b"), edge("b", "a")]
    )

    waiting = [*looping, node("w", "wait", mode="duration", amount=1, unit="days")]
    assert (
        problems_of(
            api_client, waiting, [edge("t", "a"), edge("a", "b"), edge("b", "w"), edge("w", "a")]
        )
        == set()
    )


def test_node_catalogue_lists_every_type_with_schema(api_client):
    catalogue = api_client.get("/api/v1/flow-node-types/").json()

    types = {entry["type"]: entry for entry in catalogue}
    assert {"form_submitted", "send_message", "wait", "split", "email_status", "webhook"} <= set(
        types
    )
    assert types["email_status"]["branches"] == ["yes", "no"]
    assert "message_id" in types["send_message"]["settings_schema"]["properties"]


def test_counts_and_contact_path(api_client, account):
    contact_actions.create_custom_field(account, label="נקודות", key="points", type="number")
    flow = create_flow(
        api_client,
        [
            node("t", "custom_event", name="webinar"),
            node(
                "c",
                "contact_status",
                rules=[{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
            ),
            node("add", "update_field", field="points", operation="increment", value=5),
            node("x", "exit"),
        ],
        [edge("t", "c"), edge("c", "add", "yes"), edge("c", "x", "no")],
    )
    holon = contact_actions.upsert_contact(
        account, {"email": "h@example.com", "city": "חולון"}, source="t"
    ).contact
    other = contact_actions.upsert_contact(account, {"email": "o@example.com"}, source="t").contact
    for contact in (holon, other):
        api_client.post(
            "/api/v1/events/",
            {"contact_id": contact.pk, "name": "webinar"},
            content_type="application/json",
        )
    run_engine()

    counts = api_client.get(f"/api/v1/flows/{flow.pk}/counts/").json()["nodes"]
    assert counts["c"]["entered"] == 2
    assert counts["c"]["branches"] == {"yes": 1, "no": 1}
    assert counts["add"]["entered"] == 1
    holon.refresh_from_db()
    assert holon.fields["points"] == 5
    path = api_client.get(f"/api/v1/contacts/{holon.pk}/flows/").json()["flows"][0]
    assert [step["node_id"] for step in path["steps"]] == ["c", "add"]
    assert path["state"] == "completed"


def test_dry_run_changes_nothing(api_client, account):
    contact_actions.create_custom_field(account, label="נקודות", key="points", type="number")
    flow = create_flow(
        api_client,
        [
            node("t", "contact_created"),
            node("w", "wait", mode="duration", amount=2, unit="hours"),
            node("add", "update_field", field="points", operation="set", value=7),
        ],
        [edge("t", "w"), edge("w", "add")],
        activate=False,
    )
    contact = contact_actions.upsert_contact(
        account, {"email": "d@example.com"}, source="t"
    ).contact

    path = api_client.post(
        f"/api/v1/flows/{flow.pk}/dry-run/",
        {"contact_id": contact.pk},
        content_type="application/json",
    ).json()["path"]

    assert [step["node_id"] for step in path] == ["t", "w", "add"]
    assert "wait_until" in path[1]["detail"]
    contact.refresh_from_db()
    assert "points" not in contact.fields


def test_pause_and_archive(api_client, account):
    flow = create_flow(
        api_client, [node("t", "contact_created"), node("x", "exit")], [edge("t", "x")]
    )

    paused = api_client.post(f"/api/v1/flows/{flow.pk}/pause/")
    again = api_client.post(f"/api/v1/flows/{flow.pk}/pause/")
    archived = api_client.delete(f"/api/v1/flows/{flow.pk}/")

    assert paused.json()["state"] == "paused"
    assert again.status_code == 400
    assert again.json()["detail"] == "Only an active flow can be paused."
    assert archived.status_code == 204
    assert Flow.objects.get(pk=flow.pk).state == FlowState.ARCHIVED


def test_outsider_cannot_read_or_activate_flow(api_client, outsider_api_client):
    flow = create_flow(
        api_client, [node("t", "contact_created"), node("x", "exit")], [edge("t", "x")]
    )
    Flow.objects.filter(pk=flow.pk).update(state=FlowState.PAUSED)

    read = outsider_api_client.get(f"/api/v1/flows/{flow.pk}/")
    activated = outsider_api_client.post(f"/api/v1/flows/{flow.pk}/activate/")

    assert read.status_code == 404
    assert activated.status_code == 404
    assert Flow.objects.get(pk=flow.pk).state == FlowState.PAUSED


def test_contact_card_include_shows_path(api_client, account):
    from django.template import Context, Template
    from django.utils import translation

    flow = create_flow(
        api_client,
        [node("t", "custom_event", name="webinar"), node("x", "exit")],
        [edge("t", "x")],
        name="וובינר",
    )
    contact = contact_actions.upsert_contact(
        account, {"email": "c@example.com"}, source="t"
    ).contact
    contact_actions.record_event(account, contact, "custom", {"name": "webinar", "properties": {}})
    run_engine()

    with translation.override("en"):
        html = Template("{% load automation_tags %}{% contact_flows contact %}").render(
            Context({"contact": contact})
        )

    assert flow.name in html
    assert "Exited" in html
    assert html.count("<li>") == 1


def advertising_email(account, subject):
    from campaigns import actions as campaign_actions

    campaign_actions.add_verified_sender(
        account, name="חנות הפרחים", email="dana@flowers.example.co.il", make_default=True
    )
    return campaign_actions.save_message(
        account,
        None,
        {
            "name": "תודה",
            "subject": subject,
            "is_advertising": True,
            "blocks": [{"id": "t1", "type": "text", "text": "שלום"}],
        },
        channel="email",
    )


def test_unsendable_message_is_a_problem_of_its_step(api_client, account):
    message = advertising_email(account, "תודה שנרשמת!")

    found = problems_of(
        api_client,
        [node("t", "form_submitted"), node("mail", "send_message", message_id=message.pk)],
        [edge("t", "mail")],
    )

    assert found == {("mail", "An advertising email's subject must begin with the word “פרסומת”.")}


def test_sendable_message_passes_validation(api_client, account):
    message = advertising_email(account, "פרסומת: תודה שנרשמת!")

    found = problems_of(
        api_client,
        [node("t", "form_submitted"), node("mail", "send_message", message_id=message.pk)],
        [edge("t", "mail")],
    )

    assert found == set()


def test_parked_send_gives_reason_without_error_keys(api_client, account):
    message = advertising_email(account, "פרסומת: תודה")
    flow = create_flow(
        api_client,
        [node("t", "contact_created"), node("mail", "send_message", message_id=message.pk)],
        [edge("t", "mail")],
    )
    message.subject = "תודה"
    message.save(update_fields=["subject"])
    contact_actions.upsert_contact(account, {"email": "c@example.com"}, source="test")

    with translation.override("en"):
        run_engine()

    enrollment = Enrollment.objects.get(flow=flow)
    assert enrollment.state == EnrollmentState.PARKED
    assert enrollment.parked_reason == (
        "The message cannot be sent. "
        "An advertising email's subject must begin with the word “פרסומת”."
    )


def test_resume_keeps_published_version_and_draft(api_client, account):
    flow = create_flow(
        api_client, [node("t", "contact_created"), node("x", "exit")], [edge("t", "x")]
    )
    api_client.post(f"/api/v1/flows/{flow.pk}/pause/")
    edited = {"nodes": [node("t", "contact_created")], "edges": []}
    api_client.patch(
        f"/api/v1/flows/{flow.pk}/", {"graph": edited}, content_type="application/json"
    )

    resumed = api_client.post(f"/api/v1/flows/{flow.pk}/resume/")

    assert resumed.status_code == 200
    assert resumed.json()["state"] == "active"
    assert resumed.json()["version"] == 1
    assert resumed.json()["unpublished_changes"] is True
    flow.refresh_from_db()
    assert flow.versions.count() == 1
    assert flow.graph == edited


def test_resume_of_active_flow_is_refused(api_client, account):
    flow = create_flow(
        api_client, [node("t", "contact_created"), node("x", "exit")], [edge("t", "x")]
    )

    resumed = api_client.post(f"/api/v1/flows/{flow.pk}/resume/")

    assert resumed.status_code == 400
    assert resumed.json()["detail"] == "Only a paused flow can be resumed."


def test_outsider_cannot_resume_flow(api_client, outsider_api_client):
    flow = create_flow(
        api_client, [node("t", "contact_created"), node("x", "exit")], [edge("t", "x")]
    )
    api_client.post(f"/api/v1/flows/{flow.pk}/pause/")

    resumed = outsider_api_client.post(f"/api/v1/flows/{flow.pk}/resume/")

    assert resumed.status_code == 404
    assert Flow.objects.get(pk=flow.pk).state == FlowState.PAUSED


def test_counts_give_parked_reasons_and_retry_clears_them(api_client, account):
    message = advertising_email(account, "פרסומת: תודה")
    flow = create_flow(
        api_client,
        [node("t", "contact_created"), node("mail", "send_message", message_id=message.pk)],
        [edge("t", "mail")],
    )
    message.subject = "תודה"
    message.save(update_fields=["subject"])
    for email in ("a@example.com", "b@example.com"):
        contact_actions.upsert_contact(account, {"email": email}, source="test")
    with translation.override("en"):
        run_engine()

    counts = api_client.get(f"/api/v1/flows/{flow.pk}/counts/").json()["nodes"]
    message.subject = "פרסומת: תודה"
    message.save(update_fields=["subject"])
    retried = api_client.post(f"/api/v1/flows/{flow.pk}/retry-parked/")
    after = api_client.get(f"/api/v1/flows/{flow.pk}/counts/").json()["nodes"]

    assert counts["mail"]["failed"] == 2
    assert counts["mail"]["reasons"] == [
        {
            "reason": "The message cannot be sent. "
            "An advertising email's subject must begin with the word “פרסומת”.",
            "count": 2,
        }
    ]
    assert retried.status_code == 200
    assert "mail" not in after
