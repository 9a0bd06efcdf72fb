"""Request helpers shared by the API tests."""

from typing import Any

from django.test import Client


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    """Send body as JSON with the given method and return the response."""
    call = getattr(client, method.lower())
    if body is None:
        return call(url)
    return call(url, body, content_type="application/json")
