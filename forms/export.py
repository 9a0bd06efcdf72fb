"""CSV of a form's submissions, for marketers who review or archive them in Excel."""

import codecs
import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from forms.models import Submission
from forms.queries import FormDefinition

# Spreadsheet programs run a cell that starts with one of these as a
# formula, so such text gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def iter_submissions_csv(
    definition: FormDefinition, submissions: Iterable[Submission]
) -> Iterator[bytes]:
    """Yield a UTF-8 CSV with a byte order mark: one row per submission, a column per field."""
    visible = [
        (form_field.field_key, form_field.label or str(spec.label))
        for form_field, spec in definition.visible
    ]
    hidden = [(form_field.field_key, str(spec.label)) for form_field, spec in definition.hidden]
    writer = csv.writer(_Echo())
    header = [
        _("Received"),
        _("Status"),
        _("Reason"),
        *[label for _key, label in visible],
        *[label for _key, label in hidden],
        _("Lists"),
        _("Consent"),
        _("IP address"),
    ]
    yield codecs.BOM_UTF8 + writer.writerow(header).encode()

    lines: list[str] = []
    for submission in submissions:
        row = [
            submission.created_at.isoformat(timespec="seconds"),
            submission.get_status_display(),
            submission.reason,
            *[submission.values.get(key) for key, _label in visible],
            *[submission.hidden_values.get(key) for key, _label in hidden],
            submission.list_ids,
            sorted(submission.consents or {}),
            submission.ip_address,
        ]
        lines.append(writer.writerow([_cell(value) for value in row]))
        if len(lines) == ROWS_PER_CHUNK:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()
