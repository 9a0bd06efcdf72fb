"""The canvas pages' entries for the URL registry of tests/test_tenancy.py."""

from typing import Any

from automation.models import Flow, FlowVersion


def _flow(world: Any) -> Flow:
    from tests.automation.tenancy import _flow as flow_of_world

    return flow_of_world(world)


def flow_pk(world: Any) -> dict[str, Any]:
    return {"pk": _flow(world).pk}


def version_kwargs(world: Any) -> dict[str, Any]:
    """Publish a version of account A's flow, so that its read-only page exists."""
    flow = _flow(world)
    version, _created = FlowVersion.objects.get_or_create(
        account=world.account, flow=flow, number=1, defaults={"graph": flow.graph}
    )
    return {"pk": flow.pk, "number": version.number}


def routes(public: Any, account_level: Any, object_bound: Any) -> dict[str, Any]:
    """Return the canvas URL names with their kind."""
    return {
        "automation:flow_index": account_level(),
        "automation:flow_canvas": object_bound(flow_pk),
        "automation:flow_check": object_bound(flow_pk),
        "automation:flow_versions": object_bound(flow_pk),
        "automation:flow_version": object_bound(version_kwargs),
        "api_flow_versions": object_bound(flow_pk),
        "api_flow_resume": object_bound(flow_pk),
    }
