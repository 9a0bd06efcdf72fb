import pytest

from campaigns import actions
from tests.campaigns.conftest import email_message


@pytest.mark.django_db
def test_advertising_email_subject_must_start_with_the_word(account):
    message = email_message(account, subject="מבצע חורף")

    problems = actions.compliance_problems(account, message)

    assert any("פרסומת" in problem for problem in problems)


@pytest.mark.django_db
def test_non_advertising_email_needs_no_word(account):
    message = email_message(account, subject="עדכון מדיניות פרטיות", is_advertising=False)

    assert actions.compliance_problems(account, message) == []


@pytest.mark.django_db
def test_advertising_sms_must_start_with_the_word(account):
    message = actions.save_message(
        account, None, {"name": "s", "text": "מבצע היום", "sender_name": "x"}, channel="sms"
    )

    assert actions.compliance_problems(account, message)


@pytest.mark.django_db
def test_email_needs_a_sender_address(account, english):
    account.default_sender_email = ""
    account.save(update_fields=["default_sender_email"])
    message = email_message(account, sender_email="")

    problems = actions.compliance_problems(account, message)

    assert any("sender address" in problem for problem in problems)
