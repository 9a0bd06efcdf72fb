from django.utils.translation import gettext_lazy as _

from automation.flow_templates.base import FlowTemplate, MessageNeed, edge, graph, node

TEMPLATE = FlowTemplate(
    key="birthday_greeting",
    name=_("Birthday greeting"),
    description=_("On each contact's birthday at 09:00, sends a greeting email with a gift code."),
    category="engagement",
    flow_name="ברכת יום הולדת",
    # The date trigger fires once a day, so each birthday enters the flow anew.
    reentry="every_time",
    messages=(
        # NOTE: a message reaches a contact once ever (one delivery per message
        # and contact), so the same greeting is not sent again next year.
        MessageNeed(
            ref="greeting",
            channel="email",
            name="ברכת יום הולדת",
            subject="פרסומת: מזל טוב, [[שם פרטי|חוגגים יקרים]]! 🎂",
            preheader="הכנו לך מתנה קטנה",
            blocks=(
                {"id": "h1", "type": "heading", "text": "יום הולדת שמח, [[שם פרטי|חברים]]!"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "מאחלים לך שנה של בריאות, שמחה והגשמה. לכבוד היום החגיגי "
                    "הכנו לך מתנה: 20% הנחה עם הקוד BDAY20, בתוקף לחודש.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "לבחירת המתנה",
                    "url": "https://example.co.il/gift",
                },
            ),
        ),
    ),
    graph=graph(
        [
            node(
                "birthday",
                "date_reached",
                "ביום ההולדת, בשעה 09:00",
                mode="field",
                field="birthday",
                yearly=True,
                offset_days=0,
                time="09:00",
            ),
            node("greet", "send_message", "מייל ברכה", message_id="@message:greeting"),
        ],
        [edge("birthday", "greet")],
    ),
)
