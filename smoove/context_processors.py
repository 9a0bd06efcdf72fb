from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def account(request: HttpRequest) -> dict[str, Any]:
    """Add the current account and, for limited plans, how many contacts are over it."""
    from contacts import queries as contact_queries

    current = getattr(request, "account", None)

    def count_over_plan() -> int:
        if current is None or not current.is_limited:
            return 0
        return contact_queries.over_plan_count(current)

    return {
        "account": current,
        "membership": getattr(request, "membership", None),
        "over_plan_count": SimpleLazyObject(count_over_plan),
    }
