"""Wording several templates share: consent checkboxes and the sign-up form."""

from automation.flow_templates.base import FormNeed

EMAIL_CONSENT = "אני מסכים/ה לקבל עדכונים ומבצעים במייל"
SMS_CONSENT = "אני מסכים/ה לקבל עדכונים ומבצעים ב-SMS"


def signup_form(ref: str, name: str, title: str, *, with_mobile: bool = False) -> FormNeed:
    """Return a sign-up form asking for email and first name, and the mobile when asked."""
    consents = [("email", EMAIL_CONSENT)]
    if with_mobile:
        consents.append(("sms", SMS_CONSENT))
    return FormNeed(
        ref=ref,
        name=name,
        title=title,
        description="השאירו פרטים ונהיה בקשר.",
        fields=("email", "mobile") if with_mobile else ("email",),
        required=("email",),
        consents=tuple(consents),
        submit_label="הרשמה",
        thank_you_title="תודה שנרשמת!",
        thank_you_text="שלחנו לך מייל עם כל הפרטים.",
    )
