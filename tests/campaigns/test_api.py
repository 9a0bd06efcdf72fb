import pytest

from campaigns.models import Message, Send, SendStatus
from tests.campaigns.conftest import email_message, make_contact, make_list
from tests.campaigns.test_sending import run_send

NEWSLETTER = {
    "channel": "email",
    "name": "API newsletter",
    "subject": "פרסומת: [[first_name|לקוח יקר]], חדש באתר",
    "blocks": [
        {"id": "h", "type": "heading", "text": "שלום [[שם פרטי|חבר]]"},
        {"id": "b", "type": "button", "label": "לחנות", "url": "https://shop.example/"},
    ],
    "sender_name": "Shop",
    "sender_email": "news@shop.example",
}


@pytest.mark.django_db
def test_api_creates_reads_and_updates_a_message(api_client, account):
    created = api_client.post("/api/v1/messages/", NEWSLETTER, content_type="application/json")

    assert created.status_code == 201
    message_id = created.json()["id"]
    read = api_client.get(f"/api/v1/messages/{message_id}/")
    assert read.json()["blocks"][0]["text"] == "שלום [[שם פרטי|חבר]]"

    updated = api_client.patch(
        f"/api/v1/messages/{message_id}/", {"name": "renamed"}, content_type="application/json"
    )
    assert updated.status_code == 200
    assert Message.objects.get(pk=message_id).name == "renamed"


@pytest.mark.django_db
def test_api_rejects_unknown_merge_tags_in_english(api_client, account):
    body = {**NEWSLETTER, "subject": "פרסומת: [[shoe_size]]"}

    response = api_client.post("/api/v1/messages/", body, content_type="application/json")

    assert response.status_code == 400
    assert "Unknown merge tags: [[shoe_size]]" in response.json()["subject"][0]


@pytest.mark.django_db
def test_api_validate_reports_compliance(api_client, account):
    message = email_message(account, subject="מבצע")

    response = api_client.post(f"/api/v1/messages/{message.pk}/validate/")

    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert response.json()["errors"] == {}
    assert "פרסומת" in response.json()["compliance"][0]


@pytest.mark.django_db
def test_api_preview_as_a_contact(api_client, account):
    contact = make_contact(account, email="dana@example.com", first_name="דנה")
    message = email_message(account)

    response = api_client.post(
        f"/api/v1/messages/{message.pk}/preview/",
        {"contact_id": contact.pk},
        content_type="application/json",
    )

    assert response.json()["subject"] == "פרסומת: דנה – ביקשת? קיבלת!"
    assert "שלום דנה" in response.json()["html"]


@pytest.mark.django_db
def test_api_test_send(api_client, account, mailbox):
    message = email_message(account)

    response = api_client.post(
        f"/api/v1/messages/{message.pk}/test/",
        {"to": ["qa@example.com"]},
        content_type="application/json",
    )

    assert response.json() == {"sent": 1}
    assert mailbox.messages[0]["To"] == "qa@example.com"


@pytest.mark.django_db
def test_api_starts_pauses_and_reports_a_send(api_client, account, mailbox):
    contacts = [make_contact(account, email=f"c{i}@example.com") for i in range(3)]
    audience = make_list(account, "כולם", contacts)
    message = email_message(account)

    started = api_client.post(
        f"/api/v1/messages/{message.pk}/sends/",
        {"list_ids": [audience.pk], "pulse_size": 2, "pulse_interval_minutes": 5},
        content_type="application/json",
    )
    assert started.status_code == 201
    send = run_send(Send.objects.get(pk=started.json()["id"]))
    paused = api_client.post(f"/api/v1/sends/{send.pk}/pause/")
    report = api_client.get(f"/api/v1/sends/{send.pk}/")

    assert paused.json()["status"] == SendStatus.PAUSED
    body = report.json()
    assert body["progress"]["sent"] == 2
    assert body["progress"]["waiting"] == 1
    assert body["report"]["sent"] == 2


@pytest.mark.django_db
def test_api_send_needs_lists_of_the_account(api_client, account, outsider_account):
    foreign = make_list(outsider_account, "זרה")
    message = email_message(account)

    response = api_client.post(
        f"/api/v1/messages/{message.pk}/sends/",
        {"list_ids": [foreign.pk]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "list_ids" in response.json()
    assert not Send.objects.exists()


@pytest.mark.django_db
def test_api_outsider_gets_404(outsider_api_client, account):
    message = email_message(account)

    assert outsider_api_client.get(f"/api/v1/messages/{message.pk}/").status_code == 404
    assert (
        outsider_api_client.patch(
            f"/api/v1/messages/{message.pk}/", {"name": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert outsider_api_client.get("/api/v1/messages/").json()["results"] == []
