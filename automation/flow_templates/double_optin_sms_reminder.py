from django.utils.translation import gettext_lazy as _

from automation.flow_templates._common import signup_form
from automation.flow_templates.base import FlowTemplate, ListNeed, MessageNeed, edge, graph, node

TEMPLATE = FlowTemplate(
    key="double_optin_sms_reminder",
    name=_("Double opt-in with an SMS reminder"),
    description=_(
        "Sign-ups get an email with a confirmation button that adds them to the "
        "“confirmed” list. Those who have not confirmed a day later get an SMS reminder."
    ),
    category="welcome",
    flow_name="אישור הרשמה כפול עם תזכורת SMS",
    lists=(ListNeed(ref="confirmed", name="אישרו הרשמה"),),
    forms=(signup_form("signup", "הרשמה עם אישור כפול", "הרשמה לעדכונים", with_mobile=True),),
    messages=(
        # Asking to confirm a sign-up is not advertising, so neither message
        # carries "פרסומת"; newsletters go to the "confirmed" list only.
        MessageNeed(
            ref="confirm",
            channel="email",
            name="אישור הרשמה",
            subject="נא לאשר את ההרשמה שלך",
            preheader="לחיצה אחת ואנחנו מסודרים",
            is_advertising=False,
            blocks=(
                {"id": "h1", "type": "heading", "text": "רק עוד לחיצה אחת"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "[[שם פרטי|שלום]], כדי שנדע שהכתובת שלך ושתרצו לקבל מאיתנו "
                    "עדכונים, נא לאשר את ההרשמה בלחיצה על הכפתור.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "אני מאשר/ת את ההרשמה",
                    "action": {"kind": "add_to_list", "list_id": "@list:confirmed"},
                    "thanks": "תודה! ההרשמה שלך אושרה.",
                },
                {
                    "id": "t2",
                    "type": "text",
                    "text": "לא נרשמת? אפשר פשוט להתעלם מהמייל הזה.",
                },
            ),
        ),
        MessageNeed(
            ref="reminder",
            channel="sms",
            name="תזכורת SMS לאישור הרשמה",
            is_advertising=False,
            text="[[שם פרטי|היי]], שלחנו לך מייל לאישור ההרשמה ועוד לא אישרת. "
            "הכפתור מחכה לך בתיבת המייל.",
        ),
    ),
    graph=graph(
        [
            node("signed_up", "form_submitted", "הרשמה מטופס", form_id="@form:signup"),
            node("confirm", "send_message", "מייל לאישור ההרשמה", message_id="@message:confirm"),
            node("wait", "wait", "המתנה של יום", mode="duration", amount=1, unit="days"),
            node(
                "confirmed",
                "contact_status",
                "אישר/ה את ההרשמה?",
                match="all",
                rules=[{"type": "list", "op": "member", "list_id": "@list:confirmed"}],
            ),
            node("done", "exit", "סיום"),
            node("remind", "send_message", "תזכורת ב-SMS", message_id="@message:reminder"),
        ],
        [
            edge("signed_up", "confirm"),
            edge("confirm", "wait"),
            edge("wait", "confirmed"),
            edge("confirmed", "done", "yes"),
            edge("confirmed", "remind", "no"),
        ],
    ),
)
