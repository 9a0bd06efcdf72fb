"""The automation app's entries for the URL registry of tests/test_tenancy.py."""

from typing import Any

from automation import actions
from automation.models import Flow
from tests.automation import tenancy_canvas, tenancy_gallery

MARKER_FLOW = "זרימה-של-חשבון-א"


def _flow(world: Any) -> Flow:
    found = Flow.objects.filter(account=world.account, name=MARKER_FLOW).first()
    return found or actions.create_flow(world.account, {"name": MARKER_FLOW})


def flow_pk(world: Any) -> dict[str, Any]:
    return {"pk": _flow(world).pk}


def contact_pk(world: Any) -> dict[str, Any]:
    return {"pk": world.contact.pk}


def routes(public: Any, account_level: Any, object_bound: Any) -> dict[str, Any]:
    """Return the automation URL names with their kind, built from test_tenancy's classes."""
    found = {
        "api_flows": account_level(),
        "api_flow_node_types": account_level(),
        "api_flow": object_bound(flow_pk),
        "api_flow_validate": object_bound(flow_pk),
        "api_flow_activate": object_bound(flow_pk),
        "api_flow_pause": object_bound(flow_pk),
        "api_flow_archive": object_bound(flow_pk),
        "api_flow_retry_parked": object_bound(flow_pk),
        "api_flow_counts": object_bound(flow_pk),
        "api_flow_dry_run": object_bound(flow_pk),
        "api_contact_flows": object_bound(contact_pk),
    }
    found.update(tenancy_canvas.routes(public, account_level, object_bound))
    found.update(tenancy_gallery.routes(public, account_level, object_bound))
    return found
