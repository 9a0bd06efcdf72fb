"""Release limits per provider account and per smoove account, in a real Redis."""

import datetime

import pytest
from django.utils import timezone

from campaigns import actions, ratelimit, sending
from campaigns.models import Recipient
from tests.campaigns.conftest import email_message, make_contact, make_list
from tests.conftest import make_account, needs_redis

pytestmark = pytest.mark.django_db


def queued_send(account, count, prefix):
    contacts = [make_contact(account, email=f"{prefix}{i}@example.com") for i in range(count)]
    message = email_message(account, name=prefix)
    send = actions.create_send(account, message, list_ids=[make_list(account, prefix, contacts).pk])
    actions.prepare_send(send)
    return send


def released(account):
    return Recipient.objects.filter(account=account, state="released").count()


@needs_redis
def test_accounts_on_one_provider_account_share_its_limit(account, settings):
    settings.CAMPAIGNS_MAX_PER_MINUTE = {"email": 4}
    other = make_account("חנות אחרת", "other@example.com", paid=True).account
    queued_send(account, 3, "a")
    queued_send(other, 3, "b")
    now = timezone.now()

    sending.release_due_pulses(now)
    first = released(account) + released(other)
    sending.release_due_pulses(now + datetime.timedelta(seconds=30))
    still = released(account) + released(other)
    sending.release_due_pulses(now + datetime.timedelta(seconds=61))

    assert first == 4
    assert still == 4
    assert released(account) + released(other) == 6


@needs_redis
def test_each_account_keeps_its_own_cap(account, settings):
    settings.CAMPAIGNS_MAX_PER_MINUTE = {"email": 10}
    settings.CAMPAIGNS_ACCOUNT_MAX_PER_MINUTE = {"email": 3}
    other = make_account("חנות אחרת", "other@example.com", paid=True).account
    queued_send(account, 5, "a")
    queued_send(other, 5, "b")

    sending.release_due_pulses(timezone.now())

    assert released(account) == 3
    assert released(other) == 3


@needs_redis
def test_other_credentials_have_their_own_window(account, settings):
    settings.CAMPAIGNS_EMAIL_BACKEND = "smtp"
    settings.CAMPAIGNS_MAX_PER_MINUTE = {"email": 5}
    settings.CAMPAIGNS_ACCOUNT_MAX_PER_MINUTE = {"email": 0}
    now = timezone.now()

    settings.EMAIL_HOST_USER = "first-customer-of-the-relay"
    first = [ratelimit.reserve("email", account.pk, 4, now) for _ in range(2)]
    settings.EMAIL_HOST_USER = "second-customer-of-the-relay"
    second = ratelimit.reserve("email", account.pk, 4, now)

    assert first == [4, 1]
    assert second == 4


@needs_redis
def test_channels_have_separate_windows(account, settings):
    settings.CAMPAIGNS_MAX_PER_MINUTE = {"email": 2, "sms": 2}
    now = timezone.now()

    email = ratelimit.reserve("email", account.pk, 5, now)
    sms = ratelimit.reserve("sms", account.pk, 5, now)

    assert (email, sms) == (2, 2)


@needs_redis
def test_window_slides_over_the_last_minute(account, settings):
    settings.CAMPAIGNS_MAX_PER_MINUTE = {"email": 10}
    now = timezone.now()

    taken = [
        ratelimit.reserve("email", account.pk, 6, now),
        ratelimit.reserve("email", account.pk, 6, now + datetime.timedelta(seconds=40)),
        ratelimit.reserve("email", account.pk, 6, now + datetime.timedelta(seconds=61)),
        ratelimit.reserve("email", account.pk, 6, now + datetime.timedelta(seconds=101)),
    ]

    assert taken == [6, 4, 6, 4]


@needs_redis
def test_window_keys_hold_no_credentials(account, settings):
    settings.CAMPAIGNS_TEXT_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC0000000000000000000000000000abcd"
    settings.TWILIO_SMS_FROM = "+972550000000"

    provider_key, account_key = ratelimit.window_keys("sms", account.pk)

    assert "AC0000" not in provider_key
    assert "972550000000" not in provider_key
    assert account_key.endswith(f":account:{account.pk}")


def test_embedded_mode_counts_released_recipients(account, settings):
    settings.REDIS_URL = ""
    settings.CAMPAIGNS_MAX_PER_MINUTE = {"email": 3}
    other = make_account("חנות אחרת", "other@example.com", paid=True).account
    queued_send(account, 2, "a")
    queued_send(other, 2, "b")
    now = timezone.now()

    sending.release_due_pulses(now)
    first = released(account) + released(other)
    sending.release_due_pulses(now + datetime.timedelta(seconds=61))

    assert first == 3
    assert released(account) + released(other) == 4
