"""Email content blocks: their shape, validation, and the markup built from them.

A message's blocks are a JSON list. Every block has an "id" (unique in the
message), a "type" and an optional "rule" in the shape of dynamic-list
conditions (lists.conditions). A block with a rule is shown only to the
contacts it selects.

    {"id": "b1", "type": "heading", "text": "..."}
    {"id": "b2", "type": "text", "text": "Paragraphs; [a link](https://...)"}
    {"id": "b3", "type": "image", "src": "https://...", "alt": "...", "url": ""}
    {"id": "b4", "type": "button", "label": "...", "url": "https://..."}
    {"id": "b5", "type": "button", "label": "...", "action": {...}, "thanks": "..."}
    {"id": "b6", "type": "divider"}
    {"id": "b7", "type": "columns", "columns": [[<blocks>], [<blocks>]]}
    {"id": "b8", "type": "footer", "text": "..."}

A smart button's action is one of {"kind": "add_to_list", "list_id": 3},
{"kind": "remove_from_list", "list_id": 3} or
{"kind": "set_field", "field": "rsvp", "value": "coming"}.
"""

import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

BLOCK_TYPES = ("heading", "text", "image", "button", "divider", "columns", "footer")
COLUMN_BLOCK_TYPES = ("heading", "text", "image", "button", "divider")
ACTION_KINDS = ("add_to_list", "remove_from_list", "set_field")
MAX_BLOCKS = 100
# A link written in a text block: [label](https://example.com/page).
TEXT_LINK_RE = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")
URL_SCHEMES = ("http://", "https://", "mailto:", "tel:")


class BlockError(ValueError):
    """Blocks that cannot be saved; `errors` maps a block id to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        first = next(iter(errors.values()))[0]
        super().__init__(first)


def iter_blocks(blocks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield every block, those inside columns too, in document order."""
    for block in blocks:
        yield block
        if block.get("type") == "columns":
            for column in block.get("columns") or []:
                yield from column


def texts_of(block: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (attribute, value) of the block's texts that may hold merge tags."""
    names = ("text", "label", "alt", "url", "src", "thanks")
    return [(name, str(block[name])) for name in names if block.get(name)]


def validate_structure(blocks: Any) -> dict[str, list[str]]:
    """Check types, ids, required values, links and actions; return errors by block id."""
    errors: dict[str, list[str]] = {}
    if not isinstance(blocks, list):
        return {"": [_("Blocks must be a list.")]}
    seen: set[str] = set()
    for top in blocks:
        if not isinstance(top, dict):
            return {"": [_("Each block must be an object.")]}
        _check_block(top, BLOCK_TYPES, seen, errors)
        if top.get("type") == "columns":
            columns = top.get("columns")
            if not isinstance(columns, list) or not 2 <= len(columns) <= 3:
                _add(errors, top, _("Columns need two or three columns."))
                continue
            for column in columns:
                if not isinstance(column, list):
                    _add(errors, top, _("Each column must be a list of blocks."))
                    continue
                for inner in column:
                    if not isinstance(inner, dict):
                        _add(errors, top, _("Each block must be an object."))
                        continue
                    _check_block(inner, COLUMN_BLOCK_TYPES, seen, errors)
    if len(seen) > MAX_BLOCKS:
        errors.setdefault("", []).append(
            _("A message can have up to %(max)d blocks.") % {"max": MAX_BLOCKS}
        )
    return errors


def _add(errors: dict[str, list[str]], block: dict[str, Any], message: str) -> None:
    errors.setdefault(str(block.get("id", "")), []).append(message)


def _check_block(
    block: dict[str, Any],
    allowed: tuple[str, ...],
    seen: set[str],
    errors: dict[str, list[str]],
) -> None:
    block_id = str(block.get("id") or "")
    if not block_id:
        errors.setdefault("", []).append(_("Every block needs an id."))
    elif block_id in seen:
        _add(errors, block, _("Two blocks have the id “%(id)s”.") % {"id": block_id})
    seen.add(block_id)
    kind = block.get("type")
    if kind not in allowed:
        _add(errors, block, _("A block cannot have the type “%(type)s” here.") % {"type": kind})
        return
    rule = block.get("rule")
    if rule not in (None, {}) and not isinstance(rule, dict):
        _add(errors, block, _("A block's rule must be an object."))
    if kind in ("heading", "text") and not str(block.get("text") or "").strip():
        _add(errors, block, _("Write the text of this block."))
    if kind == "text":
        for _label, url in TEXT_LINK_RE.findall(str(block.get("text") or "")):
            _check_url(block, url, errors)
    if kind == "image":
        src = str(block.get("src") or "")
        if not src.startswith(("http://", "https://")):
            _add(errors, block, _("An image needs an address that starts with https://."))
        if block.get("url"):
            _check_url(block, str(block["url"]), errors)
    if kind == "button":
        if not str(block.get("label") or "").strip():
            _add(errors, block, _("Write the label of this button."))
        action = block.get("action")
        if action:
            _check_action(block, action, errors)
        else:
            _check_url(block, str(block.get("url") or ""), errors)


def _check_url(block: dict[str, Any], url: str, errors: dict[str, list[str]]) -> None:
    # A URL may start with a merge tag holding a whole address.
    if not url.startswith(URL_SCHEMES) and not url.startswith("[["):
        _add(
            errors,
            block,
            _("The link “%(url)s” must start with https://, http://, mailto: or tel:.")
            % {"url": url},
        )


def _check_action(block: dict[str, Any], action: Any, errors: dict[str, list[str]]) -> None:
    if not isinstance(action, dict) or action.get("kind") not in ACTION_KINDS:
        _add(errors, block, _("Choose what the smart button does."))
        return
    if (
        action["kind"] in ("add_to_list", "remove_from_list")
        and not str(action.get("list_id") or "").isdigit()
    ):
        _add(errors, block, _("Choose the list for the smart button."))
    if action["kind"] == "set_field" and not action.get("field"):
        _add(errors, block, _("Choose the field the smart button sets."))
