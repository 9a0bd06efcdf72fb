import pytest

from campaigns.models import Message, Send, Sender, SendStatus
from tests.campaigns.conftest import email_message, make_contact, make_list, verified_sender
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


@pytest.fixture
def shop_sender(account):
    return verified_sender(account, "news@shop.example", "Shop")


@pytest.mark.django_db
def test_api_creates_reads_and_updates_a_message(api_client, account, shop_sender):
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
def test_api_rejects_unknown_merge_tags_in_english(api_client, account, shop_sender):
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


@pytest.mark.django_db
def test_api_rejects_an_unverified_sender_address(api_client, account, shop_sender):
    body = {**NEWSLETTER, "sender_email": "someone@elsewhere.example"}

    response = api_client.post("/api/v1/messages/", body, content_type="application/json")

    assert response.status_code == 400
    assert "is not a verified sender address" in response.json()["sender_email"][0]
    assert not Message.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_api_rejects_a_sender_waiting_for_verification(api_client, account, mailbox):
    added = api_client.post(
        "/api/v1/senders/",
        {"name": "Shop", "address": "news@shop.example"},
        content_type="application/json",
    )

    created = api_client.post("/api/v1/messages/", NEWSLETTER, content_type="application/json")

    assert added.status_code == 201
    assert added.json()["verified"] is False
    assert created.status_code == 400
    assert "sender_email" in created.json()


@pytest.mark.django_db
def test_api_reply_to_must_belong_to_a_verified_sender(api_client, account):
    verified_sender(account, "news@shop.example", "Shop", reply_to="help@shop.example")
    allowed = {**NEWSLETTER, "reply_to": "help@shop.example"}
    foreign = {**NEWSLETTER, "reply_to": "someone@elsewhere.example"}

    accepted = api_client.post("/api/v1/messages/", allowed, content_type="application/json")
    refused = api_client.post("/api/v1/messages/", foreign, content_type="application/json")

    assert accepted.status_code == 201
    assert refused.status_code == 400
    assert "reply_to" in refused.json()


@pytest.mark.django_db
def test_api_lists_and_adds_senders(api_client, account, mailbox):
    verified_sender(account, "news@shop.example", "Shop", make_default=True)

    added = api_client.post(
        "/api/v1/senders/",
        {"name": "Yahav – Sales", "address": "Yahav@Shop.example", "reply_to": ""},
        content_type="application/json",
    )
    listed = api_client.get("/api/v1/senders/").json()

    assert added.status_code == 201
    assert added.json()["address"] == "yahav@shop.example"
    assert [(s["address"], s["verified"], s["is_default"]) for s in listed] == [
        ("news@shop.example", True, True),
        ("yahav@shop.example", False, False),
    ]
    assert [m["To"] for m in mailbox.messages] == ["yahav@shop.example"]


@pytest.mark.django_db
def test_api_sender_errors_are_in_english(api_client, account, mailbox):
    verified_sender(account, "news@shop.example", "Shop")

    twice = api_client.post(
        "/api/v1/senders/",
        {"name": "Shop", "address": "news@shop.example"},
        content_type="application/json",
    )
    unverified = api_client.post(
        "/api/v1/senders/",
        {"name": "New", "address": "new@shop.example"},
        content_type="application/json",
    )
    default = api_client.post(f"/api/v1/senders/{unverified.json()['id']}/default/")
    resend = api_client.post(f"/api/v1/senders/{unverified.json()['id']}/verification/")

    assert twice.status_code == 400
    assert "already one of the account's senders" in twice.json()["address"][0]
    assert default.status_code == 400
    assert "Only a verified sender" in default.json()["detail"][0]
    assert resend.status_code == 400
    assert "less than a minute ago" in resend.json()["detail"][0]
    assert len(mailbox.messages) == 1


@pytest.mark.django_db
def test_api_sets_default_and_deletes_senders(api_client, account):
    first = verified_sender(account, "news@shop.example", "Shop", make_default=True)
    second = verified_sender(account, "sales@shop.example", "Sales")

    made_default = api_client.post(f"/api/v1/senders/{second.pk}/default/")
    deleted = api_client.delete(f"/api/v1/senders/{second.pk}/")

    assert made_default.json()["is_default"] is True
    assert deleted.status_code == 204
    account.refresh_from_db()
    assert account.default_sender_email == ""
    assert list(Sender.objects.filter(account=account)) == [first]


@pytest.mark.django_db
def test_api_outsider_cannot_reach_senders(outsider_api_client, account):
    sender = verified_sender(account, "news@shop.example", "Shop")

    assert outsider_api_client.get(f"/api/v1/senders/{sender.pk}/").status_code == 404
    assert outsider_api_client.delete(f"/api/v1/senders/{sender.pk}/").status_code == 404
    assert outsider_api_client.get("/api/v1/senders/").json() == []
    assert Sender.objects.filter(pk=sender.pk).exists()
