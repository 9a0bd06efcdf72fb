"""The flow graph: its JSON shape, the references it may hold, and its validation.

    {"nodes": [{"id": "n1", "type": "form_submitted", "settings": {...},
                "label": "optional caption", "position": {"x": 0, "y": 0}}],
     "edges": [{"source": "n1", "target": "n2", "branch": "next"}]}

A node's type is one of automation.nodes.REGISTRY. Edges leave a node by a
branch: "next" for triggers, actions and waits; "yes" and "no" for
conditions; the branch keys of a split. An exit node has no way out, and
an action or wait without a "next" edge ends the flow there.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from automation.nodes import REGISTRY, Category, base
from automation.nodes.base import NEXT, References
from campaigns import actions as campaign_actions
from campaigns import queries as campaign_queries
from contacts import queries as contact_queries
from forms import queries as form_queries
from lists import queries as list_queries
from lists.models import ListKind
from smoove import queries as account_queries
from smoove.models import Account

MAX_NODES = 200


@dataclass(frozen=True)
class Problem:
    """One reason a graph cannot be published; node is None for the graph as a whole."""

    message: str
    node: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "message": self.message}


def load_references(account: Account) -> References:
    lists = list(list_queries.lists_of_account(account).values_list("pk", "kind"))
    return References(
        account=account,
        list_ids={pk for pk, _kind in lists},
        static_list_ids={pk for pk, kind in lists if kind == ListKind.STATIC},
        form_ids=set(form_queries.forms_of_account(account).values_list("pk", flat=True)),
        message_channels=dict(
            campaign_queries.messages_of_account(account).values_list("pk", "channel")
        ),
        fields={spec.key: spec for spec in contact_queries.field_catalog(account)},
        member_ids=set(
            account_queries.members_of_account(account).values_list("user_id", flat=True)
        ),
    )


def nodes_by_id(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(node["id"]): node for node in graph.get("nodes", [])}


def outgoing(graph: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Return {node id: {branch: target id}}."""
    ways: dict[str, dict[str, str]] = defaultdict(dict)
    for edge in graph.get("edges", []):
        ways[str(edge["source"])][str(edge.get("branch") or NEXT)] = str(edge["target"])
    return ways


def activation_problems(account: Account, graph: Any) -> list[Problem]:
    """Return every problem that stops the graph from being published and run.

    These are the graph's own problems and, on each send step, what would
    stop its message from being sent.
    """
    problems = validate_graph(account, graph)
    if not _check_shape(graph):
        problems += _check_messages(account, nodes_by_id(graph))
    return problems


def validate_graph(account: Account, graph: Any) -> list[Problem]:
    """Return every problem of the graph's shape, settings and references."""
    problems = _check_shape(graph)
    if problems:
        return problems
    nodes = nodes_by_id(graph)
    refs = load_references(account)

    for node_id, node in nodes.items():
        kind = REGISTRY[node["type"]]
        for message in kind.validate(node.get("settings") or {}, refs):
            problems.append(Problem(message, node_id))

    triggers = [
        nid for nid, node in nodes.items() if REGISTRY[node["type"]].category == Category.TRIGGER
    ]
    if not triggers:
        problems.append(
            Problem(_("Add at least one trigger, so that contacts can enter the flow."))
        )

    problems += _check_edges(graph, nodes)
    problems += _check_reachable(graph, nodes, triggers)
    problems += _check_cycles(graph, nodes)
    return problems


def _check_messages(account: Account, nodes: dict[str, dict[str, Any]]) -> list[Problem]:
    """Report, on each send step, what would stop its message from being sent now.

    The engine sends through campaigns.actions.send_to_contacts, which
    rejects a message with these problems and parks every contact that
    reaches the step. Reporting them here stops activation instead.
    """
    steps: dict[int, list[str]] = defaultdict(list)
    for node_id, node in nodes.items():
        if node["type"] != "send_message":
            continue
        message_id = base.int_setting(node.get("settings") or {}, "message_id")
        # A missing or foreign message is reported by the node's own check.
        if message_id is not None:
            steps[message_id].append(node_id)
    if not steps:
        return []
    problems = []
    for message in campaign_queries.messages_of_account(account).filter(pk__in=steps):
        found = [
            problem
            for messages in campaign_actions.validate_message(account, message).values()
            for problem in messages
        ]
        for problem in campaign_actions.compliance_problems(account, message):
            if problem not in found:
                found.append(problem)
        for node_id in steps[message.pk]:
            problems += [Problem(problem, node_id) for problem in found]
    return problems


def _check_shape(graph: Any) -> list[Problem]:
    if not isinstance(graph, dict):
        return [Problem(_("The graph must be an object with “nodes” and “edges”."))]
    nodes = graph.get("nodes")
    edges = graph.get("edges", [])
    if not isinstance(nodes, list) or not isinstance(edges, list):
        return [Problem(_("The graph's “nodes” and “edges” must be lists."))]
    if len(nodes) > MAX_NODES:
        return [Problem(_("A flow can have up to %(max)d nodes.") % {"max": MAX_NODES})]
    problems = []
    seen: set[str] = set()
    for index, node in enumerate(nodes, start=1):
        if not isinstance(node, dict) or not str(node.get("id") or "").strip():
            problems.append(Problem(_("Node %(n)d has no “id”.") % {"n": index}))
            continue
        node_id = str(node["id"])
        if node_id in seen:
            problems.append(
                Problem(_("Two nodes have the id “%(id)s”.") % {"id": node_id}, node_id)
            )
        seen.add(node_id)
        if node.get("type") not in REGISTRY:
            problems.append(
                Problem(
                    _("The node type “%(type)s” does not exist.") % {"type": node.get("type")},
                    node_id,
                )
            )
        if not isinstance(node.get("settings", {}), dict):
            problems.append(Problem(_("The node's “settings” must be an object."), node_id))
    for index, edge in enumerate(edges, start=1):
        if not isinstance(edge, dict):
            problems.append(Problem(_("Edge %(n)d is not an object.") % {"n": index}))
            continue
        for end in ("source", "target"):
            if str(edge.get(end)) not in seen:
                problems.append(
                    Problem(
                        _("Edge %(n)d: its %(end)s “%(id)s” is not a node of the flow.")
                        % {"n": index, "end": end, "id": edge.get(end)}
                    )
                )
    return problems


def _check_edges(graph: dict[str, Any], nodes: dict[str, dict[str, Any]]) -> list[Problem]:
    problems = []
    taken: dict[tuple[str, str], int] = defaultdict(int)
    for edge in graph.get("edges", []):
        taken[(str(edge["source"]), str(edge.get("branch") or NEXT))] += 1
        target = nodes[str(edge["target"])]
        if REGISTRY[target["type"]].category == Category.TRIGGER:
            problems.append(
                Problem(_("A trigger cannot have an incoming connection."), target["id"])
            )
    for node_id, node in nodes.items():
        kind = REGISTRY[node["type"]]
        branches = kind.branches(node.get("settings") or {})
        for (source, branch), count in taken.items():
            if source != node_id:
                continue
            if branch not in branches:
                problems.append(
                    Problem(_("The node has no branch “%(branch)s”.") % {"branch": branch}, node_id)
                )
            elif count > 1:
                problems.append(
                    Problem(
                        _("The branch “%(branch)s” is connected more than once.")
                        % {"branch": branch},
                        node_id,
                    )
                )
        must_connect = kind.category in (Category.TRIGGER, Category.CONDITION, Category.SPLIT)
        if must_connect:
            for branch in branches:
                if (node_id, branch) not in taken:
                    problems.append(
                        Problem(
                            _("The branch “%(branch)s” is not connected to a next step.")
                            % {"branch": branch},
                            node_id,
                        )
                    )
    return problems


def _check_reachable(
    graph: dict[str, Any], nodes: dict[str, dict[str, Any]], triggers: list[str]
) -> list[Problem]:
    ways = outgoing(graph)
    reached = set(triggers)
    frontier = list(triggers)
    while frontier:
        for target in ways.get(frontier.pop(), {}).values():
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    return [
        Problem(_("No trigger leads to this node."), node_id)
        for node_id in nodes
        if node_id not in reached
    ]


def _check_cycles(graph: dict[str, Any], nodes: dict[str, dict[str, Any]]) -> list[Problem]:
    """Find a loop that passes no wait node: a contact would run it forever in one tick."""
    ways = outgoing(graph)

    def is_wait(node_id: str) -> bool:
        return REGISTRY[nodes[node_id]["type"]].category == Category.WAIT

    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(nodes, white)
    for start in nodes:
        if colour[start] != white or is_wait(start):
            continue
        stack = [(start, iter(ways.get(start, {}).values()))]
        colour[start] = grey
        while stack:
            node_id, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node_id] = black
                stack.pop()
            elif is_wait(child):
                continue
            elif colour[child] == grey:
                return [Problem(_("This node is on a loop without a wait."), child)]
            elif colour[child] == white:
                colour[child] = grey
                stack.append((child, iter(ways.get(child, {}).values())))
    return []
