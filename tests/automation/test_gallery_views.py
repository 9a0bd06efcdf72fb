"""The template gallery pages: the card grid and the button that makes a flow."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from automation.flow_templates import REGISTRY
from automation.models import Flow
from campaigns import actions as campaign_actions
from contacts import actions as contact_actions

pytestmark = pytest.mark.django_db

INDEX = reverse("automation:template_index")


def use_url(key: str) -> str:
    return reverse("automation:template_use", kwargs={"key": key})


def test_index_shows_every_template_rtl(owner_client: Client) -> None:
    response = owner_client.get(INDEX)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'dir="rtl"' in page
    for key in REGISTRY:
        assert f'data-testid="template-{key}"' in page
        assert f'action="{use_url(key)}"' in page
    # Node labels are Hebrew content of the templates.
    assert "הרשמה מטופס" in page


def test_cards_name_the_template_its_channels_and_steps(owner_client: Client, english) -> None:
    page = owner_client.get(INDEX).content.decode()

    assert "Email not opened → SMS" in page
    assert "Use this template" in page
    card = page.split('data-testid="template-email_not_opened_sms"')[1].split("</article>")[0]
    assert ">Email<" in card
    assert ">SMS<" in card
    assert "המייל נפתח?" in card
    assert "What it makes" in card
    assert "הרשמה מדף הנחיתה" in card


def test_cards_list_what_the_template_makes(owner_client: Client) -> None:
    page = owner_client.get(INDEX).content.decode()

    card = page.split('data-testid="template-payment_reminder"')[1].split("</article>")[0]
    assert "תאריך חשבונית, שולם" in card
    assert "תזכורת לתשלום חשבונית" in card


def test_index_query_count(owner_client: Client, django_assert_max_num_queries) -> None:
    owner_client.get(INDEX)  # the session and the account are loaded once per request

    with django_assert_max_num_queries(6):
        owner_client.get(INDEX)


def test_use_redirects_to_canvas(owner_client: Client, account) -> None:
    response = owner_client.post(use_url("email_not_opened_sms"))

    flow = Flow.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == reverse("automation:flow_canvas", kwargs={"pk": flow.pk})
    assert flow.name == "מייל שלא נפתח ← SMS"
    assert flow.state == "draft"


def test_teammate_can_use_a_template(teammate_client: Client, account) -> None:
    response = teammate_client.post(use_url("birthday_greeting"))

    assert response.status_code == 302
    assert Flow.objects.filter(account=account, name="ברכת יום הולדת").count() == 1


def test_outsider_makes_flows_only_in_their_own_account(
    outsider_client: Client, account, outsider_account
) -> None:
    response = outsider_client.post(use_url("welcome_series"))

    assert response.status_code == 302
    assert not Flow.objects.filter(account=account).exists()
    assert Flow.objects.filter(account=outsider_account).count() == 1


def test_unknown_template_is_404(owner_client: Client, account) -> None:
    response = owner_client.post(use_url("no_such_template"))

    assert response.status_code == 404
    assert not Flow.objects.filter(account=account).exists()


def test_using_needs_a_post(owner_client: Client, account) -> None:
    response = owner_client.get(use_url("welcome_series"))

    assert response.status_code == 405
    assert not Flow.objects.filter(account=account).exists()


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    for response in (client.get(INDEX), client.post(use_url("welcome_series"))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_clash_shows_error_makes_nothing(owner_client: Client, account, english) -> None:
    contact_actions.create_custom_field(account, label="שולם?", key="paid", type="text")

    response = owner_client.post(use_url("payment_reminder"))

    assert response.status_code == 302
    assert response["Location"] == INDEX
    notices = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("“paid” exists with another type" in text for text in notices)
    assert not Flow.objects.filter(account=account).exists()


def test_use_warns_without_verified_sender(owner_client: Client, account, english) -> None:
    response = owner_client.post(use_url("welcome_series"))

    notices = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert (
        "success",
        "The flow was made from the template. Edit its messages, then activate it.",
    ) in notices
    assert any(tag == "warning" and "not a verified sender" in text for tag, text in notices)


def test_use_quiet_with_verified_sender(owner_client: Client, account) -> None:
    campaign_actions.add_verified_sender(
        account, name="חנות הפרחים של דנה", email="dana@flowers.example.co.il", make_default=True
    )

    response = owner_client.post(use_url("welcome_series"))

    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
