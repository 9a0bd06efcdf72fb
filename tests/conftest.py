"""Shared fixtures: standing personas (owner, teammate, outsider) and clients."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from smoove import actions
from smoove.models import Account, Membership, Plan, Role, User
from tests.browser.support import browser, page  # noqa: F401 - fixtures for every package
from tests.smtp_sink import SmtpSink

needs_redis = pytest.mark.skipif(
    bool(os.environ.get("SMOOVE_TESTS_WITHOUT_REDIS")),
    reason="Redis is not running; make test says so at the start.",
)
PASSWORD = "a-Long-and-Unusual-pass-42"  # noqa: S105 - a test user's password


def make_account(name: str, owner_email: str, *, paid: bool = False) -> Membership:
    membership = actions.sign_up(business_name=name, email=owner_email, password=PASSWORD)
    if paid:
        actions.set_plan(membership.account, Plan.PAID, None)
    return membership


@pytest.fixture
def owner_membership(db: Any) -> Membership:
    return make_account("חנות הפרחים של דנה", "dana@example.com", paid=True)


@pytest.fixture
def account(owner_membership: Membership) -> Account:
    return owner_membership.account


@pytest.fixture
def owner(owner_membership: Membership) -> User:
    return owner_membership.user


@pytest.fixture
def teammate(account: Account) -> User:
    user = User.objects.create_user(email="yossi@example.com", password=PASSWORD)
    Membership.objects.create(account=account, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def outsider_membership(db: Any) -> Membership:
    return make_account("Other Business", "outsider@example.org", paid=True)


@pytest.fixture
def outsider_account(outsider_membership: Membership) -> Account:
    return outsider_membership.account


@pytest.fixture
def outsider(outsider_membership: Membership) -> User:
    return outsider_membership.user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner: User) -> Client:
    return client_for(owner)


@pytest.fixture
def teammate_client(teammate: User) -> Client:
    return client_for(teammate)


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    return client_for(outsider)


@pytest.fixture
def api_key(account: Account) -> str:
    _key, raw = actions.create_api_key(account, "tests")
    return raw


@pytest.fixture
def api_client(api_key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {api_key}")


@pytest.fixture
def outsider_api_client(outsider_account: Account) -> Client:
    _key, raw = actions.create_api_key(outsider_account, "tests")
    return Client(HTTP_AUTHORIZATION=f"Token {raw}")


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def _isolated_media_and_smtp(settings: Any, tmp_path: Any, smtp_sink: SmtpSink) -> Iterator[None]:
    """Keep uploads in a temporary folder and send email over SMTP to the sink."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real password hashing costs about 0.3 s per user on this machine, and
    # nearly every test creates several users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = False
    # Tests move the engine's clock with their own ticks; a tick kicked by
    # an event on the test worker would run at the real time instead.
    settings.AUTOMATION_KICK_TICKS = False
    smtp_sink.clear()
    yield


@pytest.fixture
def english(settings: Any, monkeypatch: Any, db: Any) -> Iterator[None]:
    """Show pages and messages in English, for tests that assert English text.

    Users' own language choice outranks the site default, and background
    work writes in the account's language, so the users and accounts of the
    test (made before or after this fixture) choose English too.
    """
    settings.LANGUAGE_CODE = "en"
    for model in (User, Account):
        monkeypatch.setattr(model._meta.get_field("language"), "default", "en")
        model.objects.update(language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def mailbox(smtp_sink: SmtpSink) -> SmtpSink:
    """Return the SMTP sink; its messages are those sent during this test."""
    return smtp_sink


@pytest.fixture
def celery_worker(transactional_db: Any) -> Iterator[Any]:
    """Run a real Celery worker in a thread, consuming every queue from Redis.

    Tests that use it need the transactional database, because the worker
    reads rows through its own connection.
    """
    if os.environ.get("SMOOVE_TESTS_WITHOUT_REDIS"):
        pytest.skip("Redis is not running; make test says so at the start.")
    from celery.contrib.testing.worker import start_worker

    from smoove import queues
    from smoove.celery import app

    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        queues=list(queues.ALL),
        shutdown_timeout=30,
    ) as worker:
        yield worker
