"""WhatsApp approved templates: the Twilio Content SID and its numbered variables.

WhatsApp lets a business start a conversation only with a template that
Meta approved. The template's text has numbered placeholders {{1}}, {{2}},
...; a message maps each number to text with merge tags and a fallback, and
every send passes the values as Twilio's content_variables.
"""

import re
from typing import Any

from django.utils.translation import gettext as _

from campaigns import merge
from campaigns.models import Message

# Twilio Content SIDs are "HX" and 32 hexadecimal digits.
CONTENT_SID_RE = re.compile(r"^HX[0-9a-fA-F]{32}$")
# Meta rejects a template parameter longer than this, or one with a line
# break, a tab or more than four spaces in a row.
MAX_VARIABLE_LENGTH = 1024
MAX_VARIABLES = 30
_WHITESPACE_RE = re.compile(r"\s+")


def normalized_variables(raw: Any) -> dict[str, dict[str, str]]:
    """Return variables as {"1": {"value": ..., "fallback": ...}}, dropping empty rows.

    Accepts the stored shape, plain strings ({"1": "[[first_name]]"}) and a
    list whose first item is {{1}}.
    """
    items = enumerate(raw, start=1) if isinstance(raw, list) else dict(raw).items()
    variables: dict[str, dict[str, str]] = {}
    for key, item in items:
        if isinstance(item, dict):
            value = str(item.get("value") or "").strip()
            fallback = str(item.get("fallback") or "").strip()
        else:
            value, fallback = str(item or "").strip(), ""
        if value or fallback:
            variables[str(key).strip()] = {"value": value, "fallback": fallback}
    return variables


def ordered(variables: dict[str, dict[str, str]]) -> list[tuple[int, dict[str, str]]]:
    """Return the variables sorted by number; keys that are not numbers are left out."""
    numbered = [(int(key), item) for key, item in variables.items() if key.isdigit()]
    return sorted(numbered, key=lambda pair: pair[0])


def template_problems(message: Message, fields: merge.FieldIndex) -> dict[str, list[str]]:
    """Return what is wrong with a WhatsApp message's template and variables, by field."""
    errors: dict[str, list[str]] = {}
    sid = message.whatsapp_content_sid.strip()
    variables = message.whatsapp_variables or {}
    if sid and not CONTENT_SID_RE.match(sid):
        errors["whatsapp_content_sid"] = [
            _("A Twilio Content SID is “HX” followed by 32 hexadecimal digits.")
        ]
    if not isinstance(variables, dict):
        errors["whatsapp_variables"] = [_("Template variables must be numbered 1, 2, 3 and so on.")]
        return errors
    if variables and not sid:
        errors.setdefault("whatsapp_variables", []).append(
            _("Template variables need an approved template: enter its Content SID.")
        )
    not_numbers = [key for key in variables if not key.isdigit() or int(key) < 1]
    if not_numbers:
        errors.setdefault("whatsapp_variables", []).append(
            _("“%(key)s” is not a variable number: use 1, 2, 3 and so on.")
            % {"key": not_numbers[0]}
        )
    numbers = [number for number, _item in ordered(variables)]
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        missing = next(n for n in range(1, len(numbers) + 2) if n not in numbers)
        errors.setdefault("whatsapp_variables", []).append(
            _("Variables are numbered without gaps, but {{%(number)d}} is missing.")
            % {"number": missing}
        )
    if len(numbers) > MAX_VARIABLES:
        errors.setdefault("whatsapp_variables", []).append(
            _("A template has at most %(max)d variables.") % {"max": MAX_VARIABLES}
        )
    for number, item in ordered(variables):
        where = f"whatsapp_variables.{number}"
        problem = _variable_problem(number, item, fields)
        if problem:
            errors.setdefault(where, []).append(problem)
    return errors


def _variable_problem(number: int, item: dict[str, str], fields: merge.FieldIndex) -> str:
    value, fallback = item.get("value", ""), item.get("fallback", "")
    if not value:
        return _("Variable {{%(number)d}} needs a value: text or a merge tag.") % {"number": number}
    if len(value) > MAX_VARIABLE_LENGTH or len(fallback) > MAX_VARIABLE_LENGTH:
        return _("Variable {{%(number)d}} is longer than %(max)d characters.") % {
            "number": number,
            "max": MAX_VARIABLE_LENGTH,
        }
    unknown = merge.check(value, fields)
    if unknown:
        return str(merge.MergeTagError(unknown))
    if merge.TAG_RE.search(fallback):
        return _("The fallback of variable {{%(number)d}} is plain text, without merge tags.") % {
            "number": number
        }
    if not fallback and _may_render_empty(value):
        return _(
            "Variable {{%(number)d}} is empty for contacts without that field, and WhatsApp "
            "rejects empty variables: add a fallback."
        ) % {"number": number}
    return ""


def _may_render_empty(value: str) -> bool:
    """Return True when only merge tags without their own fallback make up the value."""
    literal_text = merge.TAG_RE.sub("", value).strip()
    if literal_text:
        return False
    return any(not (match.group(2) or "").strip() for match in merge.TAG_RE.finditer(value))


def clean_value(rendered: str, fallback: str) -> str:
    """Return a rendered variable as WhatsApp accepts it: one line, never empty."""
    text = _WHITESPACE_RE.sub(" ", rendered).strip() or _WHITESPACE_RE.sub(" ", fallback).strip()
    return text[:MAX_VARIABLE_LENGTH]
