from django.utils.translation import gettext_lazy

from automation.nodes import base


class Node(base.NodeType):
    type = "exit"
    category = base.Category.EXIT
    label = gettext_lazy("Exit the flow")

    def run(self, step: base.Step) -> base.Outcome:
        return base.Outcome(exit=True)
