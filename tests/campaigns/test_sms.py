import pytest

from campaigns import actions
from campaigns.sms import measure
from tests.campaigns.conftest import make_contact


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters count twice
        ("€" * 81, "GSM-7", 2),
        ("ש" * 70, "UCS-2", 1),
        ("ש" * 71, "UCS-2", 2),
        ("ש" * 134, "UCS-2", 2),
        ("ש" * 135, "UCS-2", 3),
        ("hello שלום", "UCS-2", 1),
    ],
)
def test_sms_segments(text, encoding, segments):
    length = measure(text)

    assert length.encoding == encoding
    assert length.segments == segments


@pytest.mark.django_db
def test_advertising_sms_gets_sender_and_refusal_link(account):
    contact = make_contact(
        account, email="d@example.com", mobile="050-1234567", first_name="דנה", consent=("sms",)
    )
    message = actions.save_message(
        account,
        None,
        {
            "name": "SMS",
            "text": "פרסומת: [[שם פרטי]], מבצע היום https://shop.example/sale",
            "sender_name": "פרחי דנה",
        },
        channel="sms",
    )

    rendered = actions.render_for_contact(account, message, contact)

    assert rendered.text.startswith("פרסומת: דנה, מבצע היום https://shop.example/sale")
    assert "פרחי דנה" in rendered.text.splitlines()[-1]
