"""WhatsApp approved templates with several numbered variables, through the twilio SDK."""

import json

import pytest
from django.urls import reverse

from campaigns import actions
from campaigns.models import Message
from tests.campaigns.conftest import make_contact, make_list
from tests.campaigns.test_sending import run_send, twilio  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
SID = "HX0123456789abcdef0123456789abcdef"


def template_message(account, variables, **values):
    return actions.save_message(
        account,
        None,
        {
            "name": "WA",
            "text": "פרסומת: שלום {{1}}, הקוד שלך {{2}} בתוקף עד {{3}}",
            "sender_name": "פרחי דנה",
            "whatsapp_content_sid": SID,
            "whatsapp_variables": variables,
            **values,
        },
        channel="whatsapp",
    )


def test_variables_go_to_twilio_as_content_variables(account, twilio, settings):  # noqa: F811
    from contacts import actions as contact_actions

    settings.TWILIO_WHATSAPP_FROM = "+14155238886"
    contact_actions.create_custom_field(account, label="קוד קופון", key="coupon", type="text")
    named = make_contact(
        account,
        email="n@example.com",
        mobile="050-7654321",
        first_name="נועה",
        coupon="SPRING10",
        consent=("whatsapp",),
    )
    nameless = make_contact(
        account, email="x@example.com", mobile="050-1234567", consent=("whatsapp",)
    )
    message = template_message(
        account,
        {
            "1": {"value": "[[שם פרטי]]", "fallback": "לקוח/ה יקר/ה"},
            "2": {"value": "[[קוד קופון|ללא קוד]]", "fallback": ""},
            "3": {"value": "31/12\n2026", "fallback": ""},
        },
    )

    run_send(
        actions.create_send(
            account, message, list_ids=[make_list(account, "א", [named, nameless]).pk]
        )
    )

    sent = {request["To"]: request for request in twilio.requests}
    assert set(sent) == {"whatsapp:+972507654321", "whatsapp:+972501234567"}
    for request in sent.values():
        assert request["ContentSid"] == SID
        assert "Body" not in request
    assert json.loads(sent["whatsapp:+972507654321"]["ContentVariables"]) == {
        "1": "נועה",
        "2": "SPRING10",
        "3": "31/12 2026",
    }
    assert json.loads(sent["whatsapp:+972501234567"]["ContentVariables"]) == {
        "1": "לקוח/ה יקר/ה",
        "2": "ללא קוד",
        "3": "31/12 2026",
    }


def test_plain_string_variables_are_accepted(account):
    message = template_message(account, {"1": "[[first_name|חבר]]", "2": "קבוע"})

    assert message.whatsapp_variables == {
        "1": {"value": "[[first_name|חבר]]", "fallback": ""},
        "2": {"value": "קבוע", "fallback": ""},
    }


@pytest.mark.parametrize(
    ("variables", "values", "where"),
    [
        ({"1": {"value": "[[first_name]]"}}, {}, "whatsapp_variables.1"),
        ({"1": {"value": "[[shoe_size]]", "fallback": "x"}}, {}, "whatsapp_variables.1"),
        ({"1": {"value": "x", "fallback": "[[first_name]]"}}, {}, "whatsapp_variables.1"),
        ({"1": {"value": "", "fallback": "x"}}, {}, "whatsapp_variables.1"),
        ({"1": "a", "3": "c"}, {}, "whatsapp_variables"),
        ({"first": "a"}, {}, "whatsapp_variables"),
        ({"1": "a"}, {"whatsapp_content_sid": ""}, "whatsapp_variables"),
        ({}, {"whatsapp_content_sid": "HX12"}, "whatsapp_content_sid"),
    ],
)
def test_invalid_variables_are_rejected_on_save(account, variables, values, where):
    with pytest.raises(actions.CampaignError) as caught:
        template_message(account, variables, **values)

    assert where in caught.value.errors
    assert not Message.objects.filter(account=account).exists()


def test_editor_saves_variable_rows(owner_client, account):
    message = template_message(account, {"1": "[[first_name|חבר]]"})

    response = owner_client.post(
        reverse("campaigns:edit", args=[message.pk]),
        {
            "name": "WA",
            "text": message.text,
            "sender_name": "פרחי דנה",
            "whatsapp_content_sid": SID,
            "wa_value_1": "[[first_name]]",
            "wa_fallback_1": "חבר",
            "wa_value_2": "קבוע",
            "wa_fallback_2": "",
            "wa_value_3": "",
            "wa_fallback_3": "",
            "is_advertising": "on",
        },
    )
    page = owner_client.get(reverse("campaigns:edit", args=[message.pk])).content.decode()

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.whatsapp_variables == {
        "1": {"value": "[[first_name]]", "fallback": "חבר"},
        "2": {"value": "קבוע", "fallback": ""},
    }
    assert 'data-testid="wa-value-3"' in page
    assert 'data-testid="wa-value-4"' in page


def test_api_takes_whatsapp_variables(api_client, account):
    response = api_client.post(
        "/api/v1/messages/",
        {
            "channel": "whatsapp",
            "name": "WA",
            "text": "שלום {{1}}",
            "is_advertising": False,
            "whatsapp_content_sid": SID,
            "whatsapp_variables": {"1": {"value": "[[first_name]]"}},
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "add a fallback" in response.json()["whatsapp_variables.1"][0]
