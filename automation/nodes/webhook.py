from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation import webhooks
from automation.nodes import base


class Node(base.NodeType):
    """POST the contact and the triggering event as JSON to a public address."""

    type = "webhook"
    category = base.Category.ACTION
    label = gettext_lazy("Call a webhook")
    settings_schema = {
        "type": "object",
        "required": ["url"],
        "properties": {"url": {"type": "string", "format": "uri", "title": "Address (https)"}},
    }

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        url = str(settings.get("url") or "")
        if not url:
            return [base.missing("url")]
        problem = webhooks.url_problem(url)
        return [_("The setting “url”: %(problem)s") % {"problem": problem}] if problem else []

    def run(self, step: base.Step) -> base.Outcome:
        url = str(step.settings["url"])
        if step.dry_run:
            return base.Outcome(detail={"url": url})
        status = webhooks.deliver(step, url)
        return base.Outcome(detail={"url": url, "status": status})
