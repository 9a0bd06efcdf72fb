from django.utils.translation import gettext_lazy as _

from automation.flow_templates._common import EMAIL_CONSENT
from automation.flow_templates.base import (
    FieldNeed,
    FlowTemplate,
    FormNeed,
    HiddenValue,
    MessageNeed,
    edge,
    graph,
    node,
)

TEMPLATE = FlowTemplate(
    key="source_followup",
    name=_("Follow-up by where they signed up"),
    description=_(
        "A form with a hidden source field, filled from the address's utm_source. "
        "Sign-ups from Facebook, from Google and from anywhere else each get their own email."
    ),
    category="welcome",
    flow_name="מעקב לפי מקור ההרשמה",
    fields=(FieldNeed(key="source", label="מקור הגעה", type="text"),),
    forms=(
        FormNeed(
            ref="signup",
            name="הרשמה עם מקור הגעה",
            title="הרשמה לעדכונים",
            description="השאירו פרטים ונחזור אליכם.",
            fields=("email",),
            required=("email",),
            # ?utm_source=Facebook in the page address sets the value;
            # without it, the fixed value records that the visitor came from the site.
            hidden=(HiddenValue("source", fixed_value="אתר", query_param="utm_source"),),
            consents=(("email", EMAIL_CONSENT),),
            submit_label="הרשמה",
            thank_you_title="תודה!",
            thank_you_text="מייל ממש קצר כבר בדרך אליך.",
        ),
    ),
    messages=(
        MessageNeed(
            ref="facebook",
            channel="email",
            name="מעקב: הגיעו מפייסבוק",
            subject="פרסומת: [[שם פרטי|היי]], נעים לפגוש אותך גם מחוץ לפייסבוק",
            preheader="ההטבה מהמודעה מחכה לך כאן",
            blocks=(
                {"id": "h1", "type": "heading", "text": "הגעת אלינו מפייסבוק – ברוכים הבאים!"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "כמו שהבטחנו במודעה: 10% הנחה על ההזמנה הראשונה, עם הקוד FB10.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "למימוש ההטבה",
                    "url": "https://example.co.il/?utm_source=email&utm_campaign=facebook",
                },
            ),
        ),
        MessageNeed(
            ref="google",
            channel="email",
            name="מעקב: הגיעו מגוגל",
            subject="פרסומת: [[שם פרטי|היי]], מצאת אותנו – והנה מה שחיפשת",
            preheader="המדריך המלא, במייל אחד",
            blocks=(
                {"id": "h1", "type": "heading", "text": "תודה שמצאת אותנו בגוגל"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "ריכזנו בשבילך את התשובות לשאלות שהכי מחפשים עלינו, "
                    "וגם הטבה קטנה להזמנה הראשונה: הקוד G10.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "למדריך",
                    "url": "https://example.co.il/guide?utm_source=email&utm_campaign=google",
                },
            ),
        ),
        MessageNeed(
            ref="general",
            channel="email",
            name="מעקב: שאר הנרשמים",
            subject="פרסומת: [[שם פרטי|היי]], תודה שנרשמת",
            preheader="הנה כמה דברים שכדאי להכיר",
            blocks=(
                {"id": "h1", "type": "heading", "text": "שמחים שנרשמת"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "מעכשיו יגיעו אליך עדכונים, טיפים והטבות. בינתיים, אפשר להתחיל כאן:",
                },
                {"id": "b1", "type": "button", "label": "לאתר", "url": "https://example.co.il/"},
            ),
        ),
    ),
    # The trigger is the form, not "contact updated" on the source field: a
    # new contact's first values are recorded as contact_created, not as a
    # change, so that trigger would miss every first sign-up.
    graph=graph(
        [
            node("signed_up", "form_submitted", "הרשמה מהטופס", form_id="@form:signup"),
            node(
                "from_facebook",
                "contact_status",
                "הגיע/ה מפייסבוק?",
                match="all",
                rules=[{"type": "field", "field": "source", "op": "equals", "value": "Facebook"}],
            ),
            node(
                "facebook", "send_message", "מייל למגיעים מפייסבוק", message_id="@message:facebook"
            ),
            node(
                "from_google",
                "contact_status",
                "הגיע/ה מגוגל?",
                match="all",
                rules=[{"type": "field", "field": "source", "op": "equals", "value": "Google"}],
            ),
            node("google", "send_message", "מייל למגיעים מגוגל", message_id="@message:google"),
            node("general", "send_message", "מייל לשאר הנרשמים", message_id="@message:general"),
        ],
        [
            edge("signed_up", "from_facebook"),
            edge("from_facebook", "facebook", "yes"),
            edge("from_facebook", "from_google", "no"),
            edge("from_google", "google", "yes"),
            edge("from_google", "general", "no"),
        ],
    ),
)
