"""Normalisation of raw contact values: phones to E.164, emails, typed fields.

Each function takes what a person or a file supplied and returns the stored
form, or raises InvalidValue with a message fit to show that person.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

DEFAULT_REGION = "IL"

# Excel turns a long number into scientific notation (9.72500000016E+11).
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+\d+$")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
# Israeli mobile numbers: 05X followed by seven digits. phonenumbers marks
# new or unallocated ranges (050-1xx) as invalid until its metadata catches
# up, so such numbers are accepted by shape.
_ISRAELI_MOBILE = re.compile(r"^5\d{8}$")

TRUE_WORDS = {"1", "true", "yes", "y", "on", "כן", "v", "✓", "x"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "לא", ""}


class InvalidValue(ValueError):
    """A raw value that cannot be stored, with a message for the person who sent it."""


@dataclass(frozen=True)
class Phone:
    e164: str
    is_mobile: bool


def strip_invisible(value: str) -> str:
    """Drop bidi marks and other format characters that Excel and phones paste in."""
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf").strip()


def normalize_phone(raw: Any, region: str = DEFAULT_REGION) -> Phone | None:
    """Return the number in E.164 and whether it can receive SMS, or None when empty."""
    if raw is None:
        return None
    if isinstance(raw, float | int | Decimal):
        text = str(int(raw))
    else:
        text = strip_invisible(str(raw))
    if not text:
        return None
    if _SCIENTIFIC.match(text):
        try:
            text = str(int(Decimal(text)))
        except InvalidOperation as exc:
            raise InvalidValue(_("“%(value)s” is not a phone number.") % {"value": raw}) from exc
    if _LETTERS.search(text):
        raise InvalidValue(_("“%(value)s” is not a phone number.") % {"value": raw})
    digits = re.sub(r"\D", "", text)
    if text.startswith("00"):
        text = "+" + digits[2:]
    elif digits.startswith("972") and len(digits) >= 11 and not text.startswith("+"):
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(_("“%(value)s” is not a phone number.") % {"value": raw}) from exc

    national = str(number.national_number)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number.country_code == 972 and _ISRAELI_MOBILE.match(national):
        return Phone(e164=e164, is_mobile=True)
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(_("“%(value)s” is not a valid phone number.") % {"value": raw})
    number_type = phonenumbers.number_type(number)
    is_mobile = number_type in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    return Phone(e164=e164, is_mobile=is_mobile)


def normalize_email(raw: Any) -> str:
    """Return the trimmed, lower-cased address, or "" when empty."""
    if raw is None:
        return ""
    text = strip_invisible(str(raw))
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    text = text.strip().lower()
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError as exc:
        raise InvalidValue(_("“%(value)s” is not a valid email address.") % {"value": raw}) from exc
    return text


def normalize_text(raw: Any, max_length: int) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = strip_invisible(str(raw))
    if len(text) > max_length:
        raise InvalidValue(
            _("The value is longer than %(max)d characters.") % {"max": max_length}
        )
    return text


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y")


def normalize_date(raw: Any) -> datetime.date | None:
    """Parse ISO dates and the day-first forms Israelis write (31/12/2024)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = strip_invisible(str(raw))
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise InvalidValue(_("“%(value)s” is not a date (use 31/12/2024).") % {"value": raw})


def normalize_number(raw: Any) -> float | int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise InvalidValue(_("“%(value)s” is not a number.") % {"value": raw})
    if isinstance(raw, int | float):
        return raw
    text = strip_invisible(str(raw)).replace("₪", "").replace(" ", "")
    if not text:
        return None
    # Decimal comma with dots for thousands (1.234,50) as European exports
    # write it; a lone comma with up to two digits after it is decimal too.
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+", text) or re.fullmatch(r"-?\d+,\d{1,2}", text):
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidValue(_("“%(value)s” is not a number.") % {"value": raw}) from exc
    return int(value) if value == value.to_integral_value() else float(value)


def normalize_boolean(raw: Any) -> bool | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    text = strip_invisible(str(raw)).lower()
    if text == "":
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise InvalidValue(_("“%(value)s” is not yes or no.") % {"value": raw})


def normalize_choice(raw: Any, choices: list[str]) -> str:
    text = normalize_text(raw, 200)
    if not text:
        return ""
    for choice in choices:
        if choice.casefold() == text.casefold():
            return choice
    raise InvalidValue(
        _("“%(value)s” is not one of the choices: %(choices)s.")
        % {"value": raw, "choices": ", ".join(choices)}
    )


def normalize_multi_choice(raw: Any, choices: list[str]) -> list[str]:
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list | tuple) else re.split(r"[,;|]", str(raw))
    result: list[str] = []
    for item in items:
        choice = normalize_choice(item, choices)
        if choice and choice not in result:
            result.append(choice)
    return result


GENDER_WORDS = {
    "female": {"female", "f", "woman", "נקבה", "אישה", "אשה", "נ"},
    "male": {"male", "m", "man", "זכר", "גבר", "ז"},
    "other": {"other", "אחר"},
}


def normalize_gender(raw: Any) -> str:
    text = normalize_text(raw, 20).lower()
    if not text:
        return ""
    for gender, words in GENDER_WORDS.items():
        if text in words:
            return gender
    raise InvalidValue(_("“%(value)s” is not a gender (female, male or other).") % {"value": raw})
