"""The catalogue of contact fields: system fields and an account's custom fields."""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from contacts.models import CustomField, FieldType


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str | Promise
    type: str
    is_custom: bool = False
    choices: tuple[str, ...] = ()
    # Other names a column header or merge tag may use for this field.
    aliases: tuple[str, ...] = field(default=())

    @property
    def storage_path(self) -> str:
        """Return the ORM path of the value, for filters and ordering."""
        return f"fields__{self.key}" if self.is_custom else self.key


SYSTEM_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "email",
        _("Email"),
        FieldType.TEXT,
        aliases=("email", "e-mail", "mail", "אימייל", "דואל", 'דוא"ל', "דואר אלקטרוני", "מייל"),
    ),
    FieldSpec(
        "mobile",
        _("Mobile"),
        FieldType.TEXT,
        aliases=("mobile", "cell", "cellphone", "טלפון נייד", "נייד", "סלולרי", "פלאפון"),
    ),
    FieldSpec("phone", _("Phone"), FieldType.TEXT, aliases=("phone", "telephone", "tel", "טלפון")),
    FieldSpec(
        "first_name",
        _("First name"),
        FieldType.TEXT,
        aliases=("first name", "firstname", "first", "given name", "שם פרטי", "שם"),
    ),
    FieldSpec(
        "last_name",
        _("Last name"),
        FieldType.TEXT,
        aliases=("last name", "lastname", "surname", "family name", "שם משפחה"),
    ),
    FieldSpec("city", _("City"), FieldType.TEXT, aliases=("city", "town", "עיר", "ישוב", "יישוב")),
    FieldSpec("gender", _("Gender"), FieldType.CHOICE, aliases=("gender", "sex", "מין", "מגדר")),
    FieldSpec(
        "birthday",
        _("Birthday"),
        FieldType.DATE,
        aliases=("birthday", "birth date", "date of birth", "dob", "תאריך לידה", "יום הולדת"),
    ),
    FieldSpec(
        "external_id",
        _("External ID"),
        FieldType.TEXT,
        aliases=("external id", "external_id", "crm id", "id", "מזהה", "מזהה חיצוני", "תעודת זהות", 'ת"ז'),
    ),
)
SYSTEM_FIELD_KEYS = frozenset(spec.key for spec in SYSTEM_FIELDS)
TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "city": 100,
    "external_id": 100,
}


def custom_field_spec(custom: CustomField) -> FieldSpec:
    return FieldSpec(
        key=custom.key,
        label=custom.label,
        type=custom.type,
        is_custom=True,
        choices=tuple(custom.choices or ()),
        aliases=(custom.key, custom.label),
    )


def normalize_header(text: str) -> str:
    """Fold a column header or tag for matching: case, spacing, quotes, underscores."""
    folded = text.replace("\ufeff", "").strip().casefold()
    for char in "_-.:'\"״׳":
        folded = folded.replace(char, " ")
    return " ".join(folded.split())
