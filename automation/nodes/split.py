import hashlib
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.nodes import base

MIN_BRANCHES = 2
MAX_BRANCHES = 5


class Node(base.NodeType):
    """Send each contact down one branch by percentage (a flow split).

    The branch comes from a hash of the flow, the node and the contact, so
    a contact who enters again takes the same branch, and over many
    contacts each branch gets its share.
    """

    type = "split"
    category = base.Category.SPLIT
    label = gettext_lazy("Split by percentage")
    settings_schema = {
        "type": "object",
        "required": ["branches"],
        "properties": {
            "branches": {
                "type": "array",
                "minItems": MIN_BRANCHES,
                "maxItems": MAX_BRANCHES,
                "items": {
                    "type": "object",
                    "required": ["key", "percent"],
                    "properties": {
                        "key": {"type": "string"},
                        "percent": {"type": "integer", "minimum": 1, "maximum": 99},
                    },
                },
            }
        },
    }

    def branches(self, settings: dict[str, Any]) -> list[str]:
        items = settings.get("branches")
        if not isinstance(items, list):
            return []
        return [str(item.get("key")) for item in items if isinstance(item, dict)]

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        items = settings.get("branches")
        if not isinstance(items, list) or not MIN_BRANCHES <= len(items) <= MAX_BRANCHES:
            return [
                _("A split needs %(min)d to %(max)d branches.")
                % {"min": MIN_BRANCHES, "max": MAX_BRANCHES}
            ]
        problems = []
        total = 0
        keys = set()
        for item in items:
            if not isinstance(item, dict) or not str(item.get("key") or "").strip():
                problems.append(_("Every branch of a split needs a key."))
                continue
            percent = base.int_setting(item, "percent")
            if percent is None or not 1 <= percent <= 99:
                problems.append(
                    _("The branch “%(key)s” needs a percentage from 1 to 99.")
                    % {"key": item["key"]}
                )
                continue
            if item["key"] in keys:
                problems.append(_("Two branches are named “%(key)s”.") % {"key": item["key"]})
            keys.add(item["key"])
            total += percent
        if not problems and total != 100:
            problems.append(
                _("The split's percentages add up to %(total)d; they must add up to 100.")
                % {"total": total}
            )
        return problems

    def run(self, step: base.Step) -> base.Outcome:
        seed = f"{step.flow_id}:{step.node_id}:{step.contact.pk}".encode()
        point = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") % 10_000
        upper = 0
        items = step.settings["branches"]
        for item in items:
            upper += int(item["percent"]) * 100
            if point < upper:
                return base.Outcome(branch=str(item["key"]))
        return base.Outcome(branch=str(items[-1]["key"]))
