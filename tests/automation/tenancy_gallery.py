"""The gallery pages' entries for the URL registry of tests/test_tenancy.py."""

from typing import Any


def template_key(world: Any) -> dict[str, Any]:
    return {"key": "welcome_series"}


def routes(public: Any, account_level: Any, object_bound: Any) -> dict[str, Any]:
    """Return the gallery URL names with their kind.

    A template's key names no account's object: every account uses the same
    gallery. The "use" URLs are listed as object-bound so that the registry
    checks another account's POST: it makes a flow in that account only, and
    nothing of account A changes.
    """
    return {
        "automation:template_index": account_level(),
        "automation:template_use": object_bound(
            template_key, also_allowed={302: "makes a flow in the caller's own account"}
        ),
        "api_flow_templates": account_level(),
        "api_flow_template_use": object_bound(
            template_key, also_allowed={201: "makes a flow in the caller's own account"}
        ),
    }
