"""Ready-made flows, one module each; every module defines a FlowTemplate named TEMPLATE.

A new template starts as a copy of a sibling and is listed in MODULES, in
the order the gallery shows them.
"""

from automation.flow_templates import (
    birthday_greeting,
    channel_split_test,
    double_optin_sms_reminder,
    email_not_opened_sms,
    event_invitation_by_city,
    form_not_filled_reminder,
    payment_reminder,
    preference_newsletter,
    source_followup,
    upsell_not_bought,
    welcome_series,
)
from automation.flow_templates.base import CATEGORIES, FlowTemplate

MODULES = (
    welcome_series,
    email_not_opened_sms,
    form_not_filled_reminder,
    upsell_not_bought,
    payment_reminder,
    event_invitation_by_city,
    source_followup,
    preference_newsletter,
    channel_split_test,
    birthday_greeting,
    double_optin_sms_reminder,
)
REGISTRY: dict[str, FlowTemplate] = {module.TEMPLATE.key: module.TEMPLATE for module in MODULES}

__all__ = ["CATEGORIES", "REGISTRY", "FlowTemplate", "all_templates", "get_template"]


def all_templates() -> list[FlowTemplate]:
    return list(REGISTRY.values())


def get_template(key: str) -> FlowTemplate | None:
    return REGISTRY.get(key)
