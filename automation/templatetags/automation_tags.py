"""Template tags other apps use to show automation on their pages."""

from typing import Any

from django import template

from automation import queries
from contacts.models import Contact

register = template.Library()


@register.inclusion_tag("automation/_partials/contact_flows.html")
def contact_flows(contact: Contact) -> dict[str, Any]:
    """Render the flows a contact entered and the steps taken, for the contact card."""
    return {"paths": queries.contact_paths(contact.account, contact)}
