"""Flow node types, one module each; every module defines a NodeType subclass named Node."""

from automation.nodes import (
    cart_abandoned,
    contact_created,
    contact_status,
    contact_updated,
    custom_event,
    date_reached,
    date_status,
    email_activity,
    email_status,
    exit,
    form_status,
    form_submitted,
    list_joined,
    list_membership,
    notify_member,
    purchase_made,
    purchase_status,
    send_message,
    split,
    update_field,
    wait,
    webhook,
)
from automation.nodes.base import Category, NodeType

MODULES = (
    list_joined,
    form_submitted,
    contact_created,
    contact_updated,
    date_reached,
    purchase_made,
    cart_abandoned,
    email_activity,
    custom_event,
    send_message,
    wait,
    update_field,
    list_membership,
    split,
    webhook,
    notify_member,
    exit,
    email_status,
    form_status,
    purchase_status,
    date_status,
    contact_status,
)
REGISTRY: dict[str, NodeType] = {module.Node.type: module.Node() for module in MODULES}
TRIGGER_TYPES = frozenset(
    name for name, node in REGISTRY.items() if node.category == Category.TRIGGER
)


def node_type(name: str) -> NodeType | None:
    return REGISTRY.get(name)
