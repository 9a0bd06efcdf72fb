from typing import Any

from django.http import HttpRequest


def account(request: HttpRequest) -> dict[str, Any]:
    """Add the current account and, on a limited plan, how many contacts are over it."""
    from contacts import queries as contact_queries

    current = getattr(request, "account", None)
    over_plan = 0
    if current is not None and current.is_limited:
        over_plan = contact_queries.over_plan_count(current)
    return {
        "account": current,
        "membership": getattr(request, "membership", None),
        "over_plan_count": over_plan,
    }
