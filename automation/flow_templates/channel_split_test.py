from django.utils.translation import gettext_lazy as _

from automation.flow_templates._common import signup_form
from automation.flow_templates.base import FlowTemplate, ListNeed, MessageNeed, edge, graph, node

SHOP_URL = "https://example.co.il/shop"

TEMPLATE = FlowTemplate(
    key="channel_split_test",
    name=_("Which channel works better: email or SMS"),
    description=_(
        "Half of new sign-ups get an email and half an SMS, both linking to the shop. "
        "Those who buy within a week land in “bought via email” or “bought via SMS”, "
        "so you can compare the two."
    ),
    category="sales",
    flow_name="בדיקת ערוצים: מייל מול SMS",
    lists=(
        ListNeed(ref="bought_email", name="קנו דרך מייל"),
        ListNeed(ref="bought_sms", name="קנו דרך SMS"),
    ),
    forms=(signup_form("signup", "הרשמה – בדיקת ערוצים", "הרשמה להטבות", with_mobile=True),),
    messages=(
        MessageNeed(
            ref="offer_email",
            channel="email",
            name="בדיקת ערוצים: הצעה במייל",
            subject="פרסומת: [[שם פרטי|לקוח יקר]], ההטבה שלך מחכה",
            preheader="15% הנחה לנרשמים חדשים",
            blocks=(
                {"id": "h1", "type": "heading", "text": "ברוכים הבאים!"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "לכבוד ההרשמה: 15% הנחה על כל החנות, לשבוע אחד בלבד.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "לקנייה עם ההנחה",
                    "url": SHOP_URL + "?utm_source=email",
                },
            ),
        ),
        MessageNeed(
            ref="offer_sms",
            channel="sms",
            name="בדיקת ערוצים: הצעה ב-SMS",
            text="פרסומת: [[שם פרטי|היי]], לכבוד ההרשמה 15% הנחה על כל החנות, לשבוע בלבד: "
            + SHOP_URL
            + "?utm_source=sms",
        ),
    ),
    graph=graph(
        [
            node("signed_up", "form_submitted", "הרשמה מטופס", form_id="@form:signup"),
            node(
                "split",
                "split",
                "פיצול 50/50",
                branches=[{"key": "email", "percent": 50}, {"key": "sms", "percent": 50}],
            ),
            node("mail", "send_message", "הצעה במייל", message_id="@message:offer_email"),
            node("text", "send_message", "הצעה ב-SMS", message_id="@message:offer_sms"),
            node(
                "wait_mail",
                "wait",
                "עד שבוע או עד רכישה",
                mode="duration",
                amount=7,
                unit="days",
                wake_on="purchase",
            ),
            node(
                "wait_text",
                "wait",
                "עד שבוע או עד רכישה",
                mode="duration",
                amount=7,
                unit="days",
                wake_on="purchase",
            ),
            node("bought_mail", "purchase_status", "קנה/תה?", status="bought", within_days=7),
            node("bought_text", "purchase_status", "קנה/תה?", status="bought", within_days=7),
            node(
                "list_mail",
                "list_membership",
                "הוספה ל„קנו דרך מייל”",
                list_id="@list:bought_email",
                operation="add",
            ),
            node(
                "list_text",
                "list_membership",
                "הוספה ל„קנו דרך SMS”",
                list_id="@list:bought_sms",
                operation="add",
            ),
            node("done_mail", "exit", "סיום"),
            node("done_text", "exit", "סיום"),
        ],
        [
            edge("signed_up", "split"),
            edge("split", "mail", "email"),
            edge("split", "text", "sms"),
            edge("mail", "wait_mail"),
            edge("text", "wait_text"),
            edge("wait_mail", "bought_mail"),
            edge("wait_text", "bought_text"),
            edge("bought_mail", "list_mail", "yes"),
            edge("bought_mail", "done_mail", "no"),
            edge("bought_text", "list_text", "yes"),
            edge("bought_text", "done_text", "no"),
        ],
    ),
)
