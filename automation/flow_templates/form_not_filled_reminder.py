from django.utils.translation import gettext_lazy as _

from automation.flow_templates._common import EMAIL_CONSENT
from automation.flow_templates.base import (
    FlowTemplate,
    FormNeed,
    ListNeed,
    MessageNeed,
    edge,
    graph,
    node,
)

TEMPLATE = FlowTemplate(
    key="form_not_filled_reminder",
    name=_("Form not filled → reminder"),
    description=_(
        "Invites everyone added to the invitees list to fill in a registration form. "
        "Three days later, those who registered get a thank-you and the others a reminder "
        "with an extra incentive."
    ),
    category="engagement",
    flow_name="טופס שלא מולא ← תזכורת",
    lists=(ListNeed(ref="invited", name="מוזמנים להרשמה"),),
    forms=(
        FormNeed(
            ref="registration",
            name="טופס הרשמה לאירוע",
            title="הרשמה לאירוע",
            description="כמה פרטים ואנחנו שומרים לך מקום.",
            fields=("email", "mobile"),
            required=("email",),
            consents=(("email", EMAIL_CONSENT),),
            submit_label="שמרו לי מקום",
            thank_you_title="נרשמת בהצלחה!",
            thank_you_text="נתראה באירוע. פרטים נוספים יישלחו במייל.",
        ),
    ),
    messages=(
        MessageNeed(
            ref="invitation",
            channel="email",
            name="הזמנה להירשם",
            subject="פרסומת: [[שם פרטי|לקוח יקר]], שמרנו לך מקום",
            preheader="ההרשמה לוקחת פחות מדקה",
            blocks=(
                {"id": "h1", "type": "heading", "text": "מוזמנים להירשם"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "נשמח לראות אותך אצלנו. מספר המקומות מוגבל, "
                    "ולכן ביקשנו להירשם מראש בטופס הקצר.",
                },
                {"id": "b1", "type": "button", "label": "להרשמה", "url": "@form_url:registration"},
            ),
        ),
        MessageNeed(
            ref="thanks",
            channel="email",
            name="תודה שנרשמת",
            subject="פרסומת: תודה שנרשמת, [[שם פרטי|חברים]]!",
            preheader="המקום שלך שמור",
            blocks=(
                {"id": "h1", "type": "heading", "text": "איזה כיף שנרשמת!"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "המקום שלך שמור. לפני האירוע נשלח תזכורת עם כל הפרטים.",
                },
            ),
        ),
        MessageNeed(
            ref="reminder",
            channel="email",
            name="תזכורת להרשמה עם הטבה",
            subject="פרסומת: עוד לא נרשמת? יש לנו הפתעה בשבילך",
            preheader="נרשמים השבוע ומקבלים 10% הנחה",
            blocks=(
                {"id": "h1", "type": "heading", "text": "[[שם פרטי|לקוח יקר]], עוד לא נרשמת"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "המקומות הולכים ונגמרים. מי שנרשם השבוע מקבל 10% הנחה "
                    "על כל רכישה באירוע.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "להרשמה עם ההטבה",
                    "url": "@form_url:registration",
                },
            ),
        ),
    ),
    graph=graph(
        [
            node("invited", "list_joined", "הצטרפות לרשימת המוזמנים", list_id="@list:invited"),
            node("invite", "send_message", "מייל הזמנה להרשמה", message_id="@message:invitation"),
            node("wait", "wait", "המתנה של 3 ימים", mode="duration", amount=3, unit="days"),
            node(
                "filled",
                "form_status",
                "מילא את הטופס?",
                form_id="@form:registration",
                status="submitted",
            ),
            node("thanks", "send_message", "מייל תודה", message_id="@message:thanks"),
            node("remind", "send_message", "תזכורת עם הטבה", message_id="@message:reminder"),
        ],
        [
            edge("invited", "invite"),
            edge("invite", "wait"),
            edge("wait", "filled"),
            edge("filled", "thanks", "yes"),
            edge("filled", "remind", "no"),
        ],
    ),
)
