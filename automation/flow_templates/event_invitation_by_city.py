from django.utils.translation import gettext_lazy as _

from automation.flow_templates.base import FlowTemplate, MessageNeed, edge, graph, node

CITY = "חולון"

TEMPLATE = FlowTemplate(
    key="event_invitation_by_city",
    name=_("Event invitation by city"),
    description=_(
        "On the date you choose, invites the contacts who live in one city to an event "
        "there, with no list to build and no manual send."
    ),
    category="engagement",
    flow_name="הזמנה לאירוע לתושבי העיר",
    messages=(
        MessageNeed(
            ref="invitation",
            channel="email",
            name="הזמנה להצגה בחולון",
            subject="פרסומת: [[שם פרטי|שכנים יקרים]], מופע מיוחד בחולון",
            preheader="ערב אחד בלבד, קרוב לבית",
            blocks=(
                {"id": "h1", "type": "heading", "text": "מופע מיוחד לתושבי חולון"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "אנחנו מגיעים לחולון לערב אחד בלבד, ושמרנו כרטיסים "
                    "במחיר מיוחד לשכנים שלנו. מספר המקומות מוגבל.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "להזמנת כרטיסים",
                    "url": "https://example.co.il/tickets",
                },
            ),
        ),
    ),
    graph=graph(
        [
            node(
                "on_date",
                "date_reached",
                "בתאריך שנבחר, בשעה 10:00",
                mode="fixed",
                date="@date:+14",
                time="10:00",
            ),
            # NOTE: every contact of the account enters on the date, and most
            # leave at this condition. The trigger's audience setting would
            # enroll only the city, but the canvas cannot edit it yet.
            node(
                "in_city",
                "contact_status",
                "גר/ה בחולון?",
                match="all",
                rules=[{"type": "field", "field": "city", "op": "equals", "value": CITY}],
            ),
            node("invite", "send_message", "מייל הזמנה", message_id="@message:invitation"),
            node("done", "exit", "סיום"),
        ],
        [
            edge("on_date", "in_city"),
            edge("in_city", "invite", "yes"),
            edge("in_city", "done", "no"),
        ],
    ),
)
