from django.utils.translation import gettext_lazy as _

from automation.flow_templates._common import signup_form
from automation.flow_templates.base import FlowTemplate, MessageNeed, edge, graph, node

TEMPLATE = FlowTemplate(
    key="email_not_opened_sms",
    name=_("Email not opened → SMS"),
    description=_(
        "A welcome email to everyone who signs up on the form; a day later, "
        "those who did not open it get an SMS saying an email is waiting for them."
    ),
    category="engagement",
    flow_name="מייל שלא נפתח ← SMS",
    forms=(signup_form("signup", "הרשמה מדף הנחיתה", "הרשמה לעדכונים", with_mobile=True),),
    messages=(
        MessageNeed(
            ref="welcome",
            channel="email",
            name="מייל ברוכים הבאים",
            subject="פרסומת: [[שם פרטי|היי]], ברוכים הבאים!",
            preheader="כל מה שחשוב לדעת, במייל אחד",
            blocks=(
                {"id": "h1", "type": "heading", "text": "שמחים שהצטרפת, [[שם פרטי|חברים]]!"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "ריכזנו כאן את כל מה שחשוב לדעת כדי להתחיל. "
                    "ואם יש שאלה – פשוט משיבים למייל הזה.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "בואו נתחיל",
                    "url": "https://example.co.il/start",
                },
            ),
        ),
        MessageNeed(
            ref="nudge",
            channel="sms",
            name="SMS: מייל מחכה לך",
            text="פרסומת: [[שם פרטי|היי]], שלחנו לך מייל עם כל הפרטים והוא עוד מחכה לך "
            "בתיבה. כדאי להציץ!",
        ),
    ),
    graph=graph(
        [
            node("signed_up", "form_submitted", "הרשמה מטופס", form_id="@form:signup"),
            node("welcome", "send_message", "מייל ברוכים הבאים", message_id="@message:welcome"),
            node("wait", "wait", "המתנה של יום", mode="duration", amount=1, unit="days"),
            node(
                "opened",
                "email_status",
                "המייל נפתח?",
                message_id="@message:welcome",
                status="opened",
            ),
            node("done", "exit", "סיום"),
            node("nudge", "send_message", "SMS: מייל מחכה לך", message_id="@message:nudge"),
        ],
        [
            edge("signed_up", "welcome"),
            edge("welcome", "wait"),
            edge("wait", "opened"),
            edge("opened", "done", "yes"),
            edge("opened", "nudge", "no"),
        ],
    ),
)
