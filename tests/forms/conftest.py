"""Fixtures of the forms tests: a published form with hidden fields, lists and consent."""

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.utils import translation

from contacts import actions as contact_actions
from forms import actions, intake
from forms.models import Form
from lists import actions as list_actions
from lists.models import ContactList
from smoove.models import Account, Membership, User

CONSENT_WORDING = "אני מסכים/ה לקבל דיוור פרסומי במייל"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Check messages in English, the source language, whatever the default."""
    with translation.override("en"):
        yield


@pytest.fixture
def account(owner_membership: Membership) -> Account:
    """Return the paid account, with English pages, so messages read as in the source."""
    account = owner_membership.account
    account.language = "en"
    account.save(update_fields=["language"])
    return account


@pytest.fixture
def owner(owner_membership: Membership) -> User:
    """Return the account's owner, who reads the marketer's screens in English."""
    user = owner_membership.user
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Forget submission counters of earlier tests, which share 127.0.0.1."""
    cache.clear()
    if not settings.REDIS_URL:
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter("forms:rate:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def source_field(account: Account) -> str:
    contact_actions.create_custom_field(account, label="מקור", key="source", type="text")
    return "source"


@pytest.fixture
def public_lists(account: Account) -> dict[str, ContactList]:
    return {
        "shoes": list_actions.create_list(account, name="נעליים", is_public=True),
        "bags": list_actions.create_list(account, name="תיקים", is_public=True),
    }


@pytest.fixture
def target_list(account: Account) -> ContactList:
    return list_actions.create_list(account, name="נרשמו מהאתר")


def build_form(
    account: Account,
    *,
    name: str = "הרשמה לניוזלטר",
    hidden: dict[str, str] | None = None,
    query_param: str = "",
    offered: list[ContactList] = (),  # type: ignore[assignment]
    targets: list[ContactList] = (),  # type: ignore[assignment]
    consent: bool = True,
    double_opt_in: bool = False,
    extra_fields: tuple[str, ...] = ("mobile",),
    publish: bool = True,
) -> Form:
    """Create a form asking for email, first name and extra_fields, with hidden values."""
    form = actions.create_form(account, name=name)
    for key in extra_fields:
        actions.add_field(account, form, key)
    for key, value in (hidden or {}).items():
        actions.add_field(
            account, form, key, is_hidden=True, fixed_value=value, query_param=query_param
        )
    if offered or targets:
        actions.set_lists(
            account,
            form,
            offered_ids=[item.pk for item in offered],
            target_ids=[item.pk for item in targets],
        )
    if consent:
        actions.set_consent(account, form, channel="email", enabled=True, wording=CONSENT_WORDING)
    if double_opt_in:
        actions.update_form(account, form, {"double_opt_in": True})
    if publish:
        actions.publish_form(account, form)
    form.refresh_from_db()
    return form


def post_data(**values: Any) -> QueryDict:
    """Return a QueryDict as a browser would POST it; list values repeat the input."""
    data = QueryDict(mutable=True)
    for key, value in values.items():
        if isinstance(value, list):
            data.setlist(key, [str(item) for item in value])
        else:
            data[key] = str(value)
    return data


def submit(form: Form, query: dict[str, str] | None = None, **values: Any) -> intake.Received:
    return intake.receive_submission(
        form, post_data(**values), query=query or {}, ip_address="203.0.113.7", user_agent="tests"
    )
