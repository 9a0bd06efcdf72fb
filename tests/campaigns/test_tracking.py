import pytest
from django.test import Client

from campaigns import actions, tracking
from campaigns.models import Delivery, MessageLink, TrackingHit
from contacts import queries as contact_queries
from contacts.models import ContactEvent, Suppression
from lists import queries as list_queries
from tests.campaigns.conftest import (
    BROWSER_AGENT,
    as_if_sent_earlier,
    email_message,
    make_contact,
    make_list,
    pixel_path,
    tracked_links,
)
from tests.campaigns.test_sending import run_send


@pytest.fixture
def person():
    return Client(HTTP_USER_AGENT=BROWSER_AGENT)


def send_to(account, contacts, **message_values):
    message = email_message(account, **message_values)
    audience = make_list(account, f"קהל {message.pk}", contacts)
    send = actions.create_send(account, message, list_ids=[audience.pk])
    return run_send(send)


@pytest.mark.django_db
def test_open_pixel_counts_unique_and_total(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    pixel = pixel_path(mailbox.messages[0])

    first = person.get(pixel)
    person.get(pixel)

    assert first.status_code == 200
    assert first["Content-Type"] == "image/gif"
    delivery = Delivery.objects.get(contact=contact)
    assert delivery.opened_at is not None
    assert delivery.open_count == 2
    assert ContactEvent.objects.filter(contact=contact, kind="message_opened").count() == 2


@pytest.mark.django_db
def test_forged_pixel_returns_the_image_and_records_nothing(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    delivery = Delivery.objects.get(contact=contact)

    response = person.get(f"/t/o/{tracking.make_token('open', delivery.pk)[:-2]}xx/")

    assert response.status_code == 200
    assert TrackingHit.objects.count() == 0


@pytest.mark.django_db
def test_click_redirects_with_merge_values(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com", first_name="דנה")
    blocks = [
        {
            "id": "b",
            "type": "button",
            "label": "לחנות",
            "url": "https://shop.example/?n=[[first_name]]",
        }
    ]
    send_to(account, [contact], blocks=blocks)
    as_if_sent_earlier()
    link = tracked_links(mailbox.messages[0])[0]

    response = person.get(link)

    assert response.status_code == 302
    assert response["Location"] == "https://shop.example/?n=%D7%93%D7%A0%D7%94"
    delivery = Delivery.objects.get(contact=contact)
    assert delivery.clicked_at is not None
    assert delivery.opened_at is not None  # a click implies an open
    event = ContactEvent.objects.get(contact=contact, kind="message_clicked")
    assert event.data["url"] == "https://shop.example/?n=%D7%93%D7%A0%D7%94"


@pytest.mark.django_db
def test_click_on_foreign_link_not_found(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    other = email_message(
        account,
        name="אחר",
        blocks=[{"id": "b", "type": "button", "label": "רע", "url": "https://evil.example/"}],
    )
    evil_link = MessageLink.objects.create(
        account=account, message=other, url="https://evil.example/", digest="x"
    )
    delivery = Delivery.objects.get(contact=contact)

    response = person.get(f"/t/c/{tracking.make_token('click', delivery.pk, evil_link.pk)}/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_forged_click_token_is_not_found(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    link = tracked_links(mailbox.messages[0])[0]

    response = person.get(link[:-3] + "AA/")

    assert response.status_code == 404
    assert TrackingHit.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "agent",
    ["Mimecast URL Protection", "python-requests/2.31", "", "Mozilla/5.0 (compatible; Barracuda)"],
)
def test_scanner_click_is_kept_out_of_counts(account, mailbox, agent):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    as_if_sent_earlier()
    link = tracked_links(mailbox.messages[0])[0]

    Client(HTTP_USER_AGENT=agent).get(link)

    delivery = Delivery.objects.get(contact=contact)
    assert delivery.clicked_at is None
    assert delivery.click_count == 0
    hit = TrackingHit.objects.get(delivery=delivery)
    assert hit.is_bot
    assert ContactEvent.objects.filter(contact=contact, kind="message_scanned").count() == 1
    assert not ContactEvent.objects.filter(contact=contact, kind="message_clicked").exists()


@pytest.mark.django_db
def test_click_seconds_after_sending_is_a_scanner(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    link = tracked_links(mailbox.messages[0])[0]

    person.get(link)

    assert TrackingHit.objects.get().bot_reason == "too_fast"
    assert Delivery.objects.get(contact=contact).clicked_at is None


@pytest.mark.django_db
def test_hidden_trap_marks_the_sweep_as_a_scanner(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    as_if_sent_earlier()
    links = tracked_links(mailbox.messages[0])
    trap = links[-1]

    person.get(trap)
    person.get(links[0])

    reasons = list(TrackingHit.objects.order_by("id").values_list("bot_reason", flat=True))
    assert reasons == ["trap_followed", "trap_followed"]
    assert Delivery.objects.get(contact=contact).clicked_at is None


@pytest.mark.django_db
def test_unsubscribe_get_changes_nothing_and_post_unsubscribes(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    url = mailbox.messages[0]["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")

    shown = person.get(url)

    assert shown.status_code == 200
    assert "<form" in shown.content.decode()
    assert not Suppression.objects.filter(contact=contact).exists()

    done = person.post(url)

    assert done.status_code == 200
    assert contact_queries.is_suppressed(contact, "email")
    assert contact_queries.current_consent(contact)["email"].status == "revoked"
    assert ContactEvent.objects.filter(contact=contact, kind="message_unsubscribed").count() == 1
    assert Delivery.objects.get(contact=contact).unsubscribed_at is not None


@pytest.mark.django_db
def test_one_click_unsubscribe_post_from_a_mail_client(account, mailbox):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    url = mailbox.messages[0]["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")

    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    event = ContactEvent.objects.get(contact=contact, kind="message_unsubscribed")
    assert event.data["one_click"] is True


@pytest.mark.django_db
def test_unsubscribed_contact_is_skipped_next_time(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    send_to(account, [contact])
    url = mailbox.messages[0]["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")
    person.post(url)

    again = send_to(account, [contact], name="שני")

    assert again.skipped == {"suppressed": 1}
    assert len(mailbox.messages) == 1


@pytest.mark.django_db
def test_forged_unsubscribe_token_is_not_found(account, person):
    assert person.get("/u/1.AAAAAAAAAAAAAA/").status_code == 404
    assert person.post("/u/1.AAAAAAAAAAAAAA/").status_code == 404


@pytest.mark.django_db
def test_smart_button_scanner_does_not_answer(account, mailbox):
    contact = make_contact(account, email="dana@example.com")
    coming = make_list(account, "מגיעים")
    blocks = [
        {
            "id": "y",
            "type": "button",
            "label": "מגיע",
            "action": {"kind": "add_to_list", "list_id": coming.pk},
            "thanks": "מגיע לאירוע",
        }
    ]
    send_to(account, [contact], blocks=blocks)
    as_if_sent_earlier()

    Client(HTTP_USER_AGENT="Proofpoint URL Defense").get(tracked_links(mailbox.messages[0])[0])

    assert not list_queries.is_member(coming, contact)


@pytest.mark.django_db
def test_smart_button_sets_a_field(account, mailbox, person):
    from contacts import actions as contact_actions

    contact_actions.create_custom_field(account, label="דירוג", key="rating", type="number")
    contact = make_contact(account, email="dana@example.com")
    blocks = [
        {
            "id": f"r{n}",
            "type": "button",
            "label": str(n),
            "action": {"kind": "set_field", "field": "rating", "value": str(n)},
            "thanks": f"דירוג {n}",
        }
        for n in range(1, 6)
    ]
    send_to(account, [contact], blocks=blocks)
    as_if_sent_earlier()

    response = person.get(tracked_links(mailbox.messages[0])[3])

    contact.refresh_from_db()
    assert contact.fields["rating"] == 4
    assert "דירוג 4" in response.content.decode()


@pytest.mark.django_db
def test_report_counts_people_not_scanners(account, mailbox, person):
    first = make_contact(account, email="a@example.com")
    second = make_contact(account, email="b@example.com")
    send = send_to(account, [first, second])
    as_if_sent_earlier()
    by_address = {m["To"]: m for m in mailbox.messages}
    person.get(pixel_path(by_address["a@example.com"]))
    person.get(pixel_path(by_address["a@example.com"]))
    Client(HTTP_USER_AGENT="Mimecast").get(pixel_path(by_address["b@example.com"]))

    from campaigns import queries

    numbers = queries.report(send)

    assert numbers["sent"] == 2
    assert numbers["unique_opens"] == 1
    assert numbers["total_opens"] == 2
    assert numbers["scanner_hits"] == 1
    not_opened = [d.contact_id for d in queries.deliveries_in_segment(send, "not_opened")]
    assert not_opened == [second.pk]


@pytest.mark.django_db
def test_mailto_link_redirects(account, mailbox, person):
    contact = make_contact(account, email="dana@example.com")
    blocks = [{"id": "b", "type": "button", "label": "כתבו לנו", "url": "mailto:shop@example.com"}]
    send_to(account, [contact], blocks=blocks)
    as_if_sent_earlier()

    response = person.get(tracked_links(mailbox.messages[0])[0])

    assert response.status_code == 302
    assert response["Location"] == "mailto:shop@example.com"


@pytest.mark.django_db
def test_field_holding_a_script_url_is_not_redirected(account, mailbox, person):
    from contacts import actions as contact_actions

    contact_actions.create_custom_field(account, label="אתר", key="website", type="text")
    contact = make_contact(account, email="dana@example.com", website="javascript:alert(1)")
    blocks = [{"id": "b", "type": "button", "label": "האתר שלך", "url": "[[website]]"}]
    send_to(account, [contact], blocks=blocks)
    as_if_sent_earlier()

    response = person.get(tracked_links(mailbox.messages[0])[0])

    assert response.status_code == 404
