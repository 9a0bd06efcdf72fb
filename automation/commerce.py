"""Purchase and cart events as the engine reads them.

The stores app will record `purchase` and `cart_abandoned` events. Until it
does, a store posts a custom event named `purchase` or `cart_abandoned` to
/api/v1/events/ with properties of the same shape:

    {"order_id": "1001", "total": 120.0,
     "products": [{"id": "B", "name": "...", "category": "shoes"}]}
"""

from typing import Any

PURCHASE = "purchase"
CART_ABANDONED = "cart_abandoned"
CUSTOM = "custom"


def commerce_payload(kind: str, data: dict[str, Any], wanted: str) -> dict[str, Any] | None:
    """Return the properties of a purchase or cart event of the wanted kind, else None."""
    if kind == wanted:
        return data
    if kind == CUSTOM and data.get("name") == wanted:
        properties = data.get("properties")
        return properties if isinstance(properties, dict) else {}
    return None


def has_product(payload: dict[str, Any], product: str, category: str) -> bool:
    """Return whether the payload lists the product (by id or name) or category; blank is any."""
    if not product and not category:
        return True
    products = payload.get("products")
    if not isinstance(products, list):
        return False
    for item in products:
        if not isinstance(item, dict):
            continue
        if product and product in (str(item.get("id", "")), str(item.get("name", ""))):
            return True
        if category and str(item.get("category", "")) == category:
            return True
    return False
