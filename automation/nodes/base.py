"""The shape every node type shares, and what a step receives and returns.

A node type is a module of this package with one subclass of NodeType
named Node. A new type starts as a copy of a sibling and is listed in
automation.nodes.MODULES.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from contacts.fields import FieldSpec
from contacts.models import Contact
from smoove.models import Account


class Category:
    TRIGGER = "trigger"
    ACTION = "action"
    CONDITION = "condition"
    WAIT = "wait"
    SPLIT = "split"
    EXIT = "exit"


NEXT = "next"
YES = "yes"
NO = "no"


class StepError(Exception):
    """A step that cannot succeed as configured; the enrollment is parked with this message."""


class TransientStepError(Exception):
    """A step that may succeed later (a timeout, a 5xx); the engine retries it with backoff."""


@dataclass
class References:
    """The account's objects a graph may name, loaded once per validation."""

    account: Account
    list_ids: set[int]
    static_list_ids: set[int]
    form_ids: set[int]
    message_channels: dict[int, str]
    fields: dict[str, FieldSpec]
    member_ids: set[int]


@dataclass
class Step:
    """One node to execute for one enrolled contact."""

    account: Account
    flow_id: int
    enrollment_id: int | None
    contact: Contact
    node_id: str
    settings: dict[str, Any]
    now: datetime.datetime
    trigger_data: dict[str, Any]
    # A dry run evaluates conditions and computes waits but changes nothing.
    dry_run: bool = False


@dataclass
class Outcome:
    """The result of a step: the branch to follow, or a wait, a send or an exit."""

    branch: str = NEXT
    wait_until: datetime.datetime | None = None
    # An event kind that ends the wait early.
    wake_on: str = ""
    # Sends are collected and made for many contacts at once by the engine.
    send_message_id: int | None = None
    exit: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


class NodeType:
    """Defaults for every node type; each module overrides what its type needs."""

    type: ClassVar[str] = ""
    category: ClassVar[str] = Category.ACTION
    label: ClassVar[str | Promise] = ""
    description: ClassVar[str | Promise] = ""
    # JSON Schema of the settings, for the canvas's side panel.
    settings_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    # Triggers: the event kinds that may fire this trigger.
    event_kinds: ClassVar[tuple[str, ...]] = ()

    def branches(self, settings: dict[str, Any]) -> list[str]:
        """Return the outgoing branch names this node needs connected."""
        if self.category in (Category.EXIT,):
            return []
        return [NEXT]

    def validate(self, settings: dict[str, Any], refs: References) -> list[str]:
        """Return problems with the settings, each naming the setting."""
        return []

    def matches(self, settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
        """Return whether an event of this kind and data fires the trigger."""
        return False

    def run(self, step: Step) -> Outcome:
        """Execute the node for one contact."""
        raise NotImplementedError(self.type)


# Helpers for validate(): each returns a message or None.


def missing(name: str) -> str:
    return _("The setting “%(setting)s” is missing.") % {"setting": name}


def require_choice(settings: dict[str, Any], name: str, choices: tuple[str, ...]) -> str | None:
    value = settings.get(name)
    if value in (None, ""):
        return missing(name)
    if value not in choices:
        return _("The setting “%(setting)s” must be one of %(choices)s, not “%(value)s”.") % {
            "setting": name,
            "choices": ", ".join(choices),
            "value": value,
        }
    return None


def int_setting(settings: dict[str, Any], name: str) -> int | None:
    value = settings.get(name)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def require_int(
    settings: dict[str, Any], name: str, *, minimum: int | None = None, optional: bool = False
) -> str | None:
    if settings.get(name) in (None, ""):
        return None if optional else missing(name)
    value = int_setting(settings, name)
    if value is None:
        return _("The setting “%(setting)s” must be a whole number.") % {"setting": name}
    if minimum is not None and value < minimum:
        return _("The setting “%(setting)s” must be at least %(minimum)d.") % {
            "setting": name,
            "minimum": minimum,
        }
    return None


def require_reference(
    settings: dict[str, Any], name: str, known: set[int] | dict[int, Any], what: str
) -> str | None:
    """Check that settings[name] is the id of an account object of the kind named by what."""
    value = int_setting(settings, name)
    if settings.get(name) in (None, ""):
        return missing(name)
    if value is None or value not in known:
        return _("The %(what)s %(id)s in “%(setting)s” does not exist in this account.") % {
            "what": what,
            "id": settings.get(name),
            "setting": name,
        }
    return None


def require_field(
    settings: dict[str, Any], name: str, refs: References, *, types: tuple[str, ...] = ()
) -> str | None:
    key = settings.get(name)
    if not key:
        return missing(name)
    spec = refs.fields.get(str(key))
    if spec is None:
        return _("The field “%(key)s” in “%(setting)s” does not exist in this account.") % {
            "key": key,
            "setting": name,
        }
    if types and spec.type not in types:
        return _("The field “%(key)s” in “%(setting)s” must be of type %(types)s.") % {
            "key": key,
            "setting": name,
            "types": ", ".join(types),
        }
    return None


def parse_time(value: Any) -> datetime.time | None:
    """Parse "HH:MM" (24-hour) or return None."""
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError:
        return None


def parse_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def contact_date(contact: Contact, key: str) -> datetime.date | None:
    """Return a date field's value (system or custom) of the contact, or None."""
    if key == "birthday":
        return contact.birthday
    return parse_date((contact.fields or {}).get(key)) if (contact.fields or {}).get(key) else None


def compact(problems: list[str | None]) -> list[str]:
    return [problem for problem in problems if problem]
