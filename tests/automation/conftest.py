"""Fixtures of the automation tests: flows built through the API, the engine run at a chosen time."""

import datetime
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from automation import engine
from automation.models import Flow
from tests.campaigns.fake_twilio import FakeTwilio


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll condition until it holds; the Celery worker delivers in its own thread."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def node(node_id: str, type_: str, **settings: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "settings": settings}


def edge(source: str, target: str, branch: str = "next") -> dict[str, str]:
    return {"source": source, "target": target, "branch": branch}


def create_flow(
    client: Client,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, str]],
    *,
    name: str = "זרימה",
    activate: bool = True,
    **values: Any,
) -> Flow:
    """Create a flow through the API and activate it; fail with the API's problems."""
    created = client.post(
        "/api/v1/flows/",
        {"name": name, "graph": {"nodes": nodes, "edges": edges}, **values},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    flow_id = created.json()["id"]
    if activate:
        activated = client.post(f"/api/v1/flows/{flow_id}/activate/")
        assert activated.status_code == 200, activated.json()
    return Flow.objects.get(pk=flow_id)


def run_engine(at: datetime.datetime | None = None) -> None:
    """Run one engine tick as the beat would, at the given time."""
    engine.run_tick(at or timezone.now())


@pytest.fixture
def twilio(settings: Any) -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    settings.TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000001"
    settings.TWILIO_AUTH_TOKEN = "fake0auth0token00000000000000000"
    settings.TWILIO_API_BASE_URL = fake.url
    settings.TWILIO_SMS_FROM = "+972550000000"
    settings.CAMPAIGNS_TEXT_BACKEND = "twilio"
    yield fake
    fake.stop()


@pytest.fixture
def sender(account: Any) -> Any:
    account.default_sender_name = "חנות הפרחים של דנה"
    account.default_sender_email = "dana@flowers.example.co.il"
    account.save(update_fields=["default_sender_name", "default_sender_email"])
    return account
