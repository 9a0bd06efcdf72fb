"""The canvas pages' entries for the URL registry of tests/test_tenancy.py."""

from typing import Any


def routes(public: Any, account_level: Any, object_bound: Any) -> dict[str, Any]:
    """Return the canvas URL names with their kind."""
    return {}
