"""Merge tags: `[[שם פרטי]]`, `[[first_name]]` and `[[שם פרטי|לקוח יקר]]`.

A tag names a contact field by its key, its label or one of its aliases,
matched as contacts.fields.normalize_header folds them, and may carry a
fallback after a vertical bar for contacts whose value is empty.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from contacts.fields import FieldSpec, normalize_header
from contacts.models import Contact

TAG_RE = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")


@dataclass(frozen=True)
class MergeTag:
    key: str
    fallback: str


class MergeTagError(ValueError):
    """A text with merge tags that name no field; `unknown` lists the tags as written."""

    def __init__(self, unknown: list[str]) -> None:
        self.unknown = unknown
        super().__init__(
            _("Unknown merge tags: %(tags)s. Choose a field from the list.")
            % {"tags": ", ".join(f"[[{name}]]" for name in unknown)}
        )


class FieldIndex:
    """Resolves tag names to field keys for one account's field catalogue."""

    def __init__(self, specs: Iterable[FieldSpec]) -> None:
        self.specs = {spec.key: spec for spec in specs}
        self.by_name: dict[str, str] = {}
        for spec in self.specs.values():
            for name in (spec.key, str(spec.label), *spec.aliases):
                self.by_name.setdefault(normalize_header(name), spec.key)

    def resolve(self, name: str) -> str | None:
        return self.by_name.get(normalize_header(name))


def parse(text: str, fields: FieldIndex) -> list[str | MergeTag]:
    """Split text into literal strings and merge tags; raise MergeTagError for unknown tags."""
    parts: list[str | MergeTag] = []
    unknown: list[str] = []
    position = 0
    for match in TAG_RE.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        name = match.group(1).strip()
        key = fields.resolve(name)
        if key is None:
            unknown.append(name)
        else:
            parts.append(MergeTag(key, (match.group(2) or "").strip()))
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    if unknown:
        raise MergeTagError(unknown)
    return parts


def check(text: str, fields: FieldIndex) -> list[str]:
    """Return the unknown tag names in text, in order of appearance."""
    try:
        parse(text, fields)
    except MergeTagError as exc:
        return exc.unknown
    return []


def contact_values(contact: Contact, fields: FieldIndex) -> dict[str, str]:
    """Return every field of the contact as display text, keyed by field key."""
    values: dict[str, str] = {}
    stored = contact.fields or {}
    for key, spec in fields.specs.items():
        raw = stored.get(key) if spec.is_custom else getattr(contact, key, "")
        values[key] = display_value(raw)
    return values


def display_value(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return _("Yes") if raw else _("No")
    if isinstance(raw, list):
        return ", ".join(str(item) for item in raw)
    if hasattr(raw, "strftime"):
        return raw.strftime("%d/%m/%Y")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)
