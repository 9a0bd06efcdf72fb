from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base


class Node(base.NodeType):
    """Send an email, SMS or WhatsApp message; the engine sends for many contacts at once."""

    type = "send_message"
    category = base.Category.ACTION
    label = gettext_lazy("Send a message")
    description = gettext_lazy("Sends an email, SMS or WhatsApp message, personalised.")
    settings_schema = {
        "type": "object",
        "required": ["message_id"],
        "properties": {"message_id": {"type": "integer", "title": "Message"}},
    }

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        return base.compact(
            [base.require_reference(settings, "message_id", refs.message_channels, _("message"))]
        )

    def run(self, step: base.Step) -> base.Outcome:
        message_id = base.int_setting(step.settings, "message_id")
        return base.Outcome(send_message_id=message_id, detail={"message_id": message_id})
