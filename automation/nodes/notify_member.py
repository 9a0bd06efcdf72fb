from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation import notifications
from automation.nodes import base


class Node(base.NodeType):
    type = "notify_member"
    category = base.Category.ACTION
    label = gettext_lazy("Notify a team member")
    settings_schema = {
        "type": "object",
        "required": ["user_id"],
        "properties": {
            "user_id": {"type": "integer", "title": "Team member"},
            "note": {"type": "string", "title": "Note to include"},
        },
    }

    def validate(self, settings: dict[str, Any], refs: base.References) -> list[str]:
        return base.compact(
            [base.require_reference(settings, "user_id", refs.member_ids, _("team member"))]
        )

    def run(self, step: base.Step) -> base.Outcome:
        user_id = base.int_setting(step.settings, "user_id") or 0
        if not step.dry_run:
            notifications.notify_member_on_commit(step, user_id)
        return base.Outcome(detail={"user_id": user_id})
