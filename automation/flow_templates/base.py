"""The shape every flow template shares, and helpers to write one.

A template is a module of this package defining TEMPLATE, a FlowTemplate.
Its graph names the objects it needs by reference instead of by id:

- "@list:<ref>", "@form:<ref>" and "@message:<ref>" as a whole setting
  value become the id of the list, form or message made for <ref>;
- "@form_url:<ref>" inside a message's text or link becomes the public
  address of that form;
- "@date:+<days>" as a whole value becomes the date that many days after
  the day the flow is created, in the account's zone.

Names, labels and message content are Hebrew data the marketer edits; only
the template's name, description and category are translation strings.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from automation.nodes import REGISTRY, Category

# Canvas coordinates: rows top to bottom, branches side by side.
ROW_HEIGHT = 150
COLUMN_WIDTH = 280

CATEGORIES: dict[str, Promise] = {
    "welcome": _("Welcome and sign-up"),
    "engagement": _("Engagement"),
    "sales": _("Sales"),
    "billing": _("Billing"),
}


@dataclass(frozen=True)
class FieldNeed:
    """A custom field the flow reads or writes, reused when the key exists."""

    key: str
    label: str
    type: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListNeed:
    """A static list, reused when a static list of that name exists."""

    ref: str
    name: str
    is_public: bool = False
    public_description: str = ""


@dataclass(frozen=True)
class HiddenValue:
    key: str
    fixed_value: str
    query_param: str = ""


@dataclass(frozen=True)
class FormNeed:
    """A published form, which always contains the identifying field and the first name."""

    ref: str
    name: str
    title: str
    description: str = ""
    # Visible fields besides the identifying field and the first name.
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    hidden: tuple[HiddenValue, ...] = ()
    offered_lists: tuple[str, ...] = ()
    target_lists: tuple[str, ...] = ()
    # (channel, wording) of each consent checkbox.
    consents: tuple[tuple[str, str], ...] = ()
    submit_label: str = ""
    lists_intro: str = ""
    thank_you_title: str = ""
    thank_you_text: str = ""


@dataclass(frozen=True)
class MessageNeed:
    """An email (subject, preheader, blocks) or an SMS (text), sent as the account's sender."""

    ref: str
    channel: str
    name: str
    subject: str = ""
    preheader: str = ""
    blocks: tuple[dict[str, Any], ...] = ()
    text: str = ""
    is_advertising: bool = True


@dataclass(frozen=True)
class FlowTemplate:
    key: str
    name: Promise
    description: Promise
    category: str
    # The created flow's name: marketer content, so Hebrew data.
    flow_name: str
    graph: dict[str, Any]
    reentry: str = "once"
    reentry_days: int | None = None
    fields: tuple[FieldNeed, ...] = ()
    lists: tuple[ListNeed, ...] = ()
    forms: tuple[FormNeed, ...] = ()
    messages: tuple[MessageNeed, ...] = ()

    @property
    def category_label(self) -> Promise:
        return CATEGORIES[self.category]

    @property
    def channels(self) -> list[str]:
        """Return the channels the template's messages use, email first."""
        order = ("email", "sms", "whatsapp")
        used = {message.channel for message in self.messages}
        return [channel for channel in order if channel in used]

    def steps(self) -> list[dict[str, str]]:
        """Return the nodes top to bottom, each with its label, type and category."""
        nodes = sorted(self.graph["nodes"], key=lambda n: (n["position"]["y"], -n["position"]["x"]))
        return [
            {
                "id": node["id"],
                "type": node["type"],
                "category": REGISTRY[node["type"]].category,
                "label": node.get("label", ""),
            }
            for node in nodes
        ]


def node(node_id: str, type_: str, label: str, **settings: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "label": label, "settings": settings}


def edge(source: str, target: str, branch: str = "next") -> dict[str, str]:
    return {"source": source, "target": target, "branch": branch}


def graph(nodes: list[dict[str, Any]], edges: list[dict[str, str]]) -> dict[str, Any]:
    """Return the graph with each node placed on the canvas, top to bottom.

    1. A node's row is its longest distance from a trigger, so a node two
       branches meet at sits below both.
    2. Within a row, nodes keep the order a depth-first walk from the
       triggers meets them, following edges as listed (yes before no), and
       the row is centred on x = 0. The first sits rightmost, as Hebrew
       reads and as the canvas draws a condition's "yes" handle.
    """
    ways: dict[str, list[str]] = defaultdict(list)
    for item in edges:
        ways[item["source"]].append(item["target"])
    triggers = [n["id"] for n in nodes if REGISTRY[n["type"]].category == Category.TRIGGER]

    row: dict[str, int] = dict.fromkeys(triggers, 0)
    changed = True
    while changed:  # templates are small acyclic graphs; this settles quickly
        changed = False
        for item in edges:
            depth = row.get(item["source"], 0) + 1
            if row.get(item["target"], -1) < depth:
                row[item["target"]] = depth
                changed = True

    order: list[str] = []
    stack = list(reversed(triggers))
    while stack:
        current = stack.pop()
        if current in order:
            continue
        order.append(current)
        stack.extend(reversed(ways.get(current, [])))

    rows: dict[int, list[str]] = defaultdict(list)
    for node_id in order:
        rows[row.get(node_id, 0)].append(node_id)
    position: dict[str, dict[str, int]] = {}
    for depth, members in rows.items():
        for index, node_id in enumerate(members):
            offset = (len(members) - 1) / 2 - index
            position[node_id] = {"x": int(offset * COLUMN_WIDTH), "y": depth * ROW_HEIGHT}
    placed = [{**n, "position": position.get(n["id"], {"x": 0, "y": 0})} for n in nodes]
    return {"nodes": placed, "edges": edges}
