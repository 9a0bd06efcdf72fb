from django.utils.translation import gettext_lazy as _

from automation.flow_templates.base import FlowTemplate, MessageNeed, edge, graph, node

# The product to offer, by its ID or name in the store; the marketer puts
# their own in the condition and in the email.
UPSELL_PRODUCT = "מוצר משלים"

TEMPLATE = FlowTemplate(
    key="upsell_not_bought",
    name=_("Upsell only what was not bought"),
    description=_(
        "Two days after a purchase, offers a complementary product, "
        "but only to customers who have not bought it already."
    ),
    category="sales",
    flow_name="הצעה משלימה למי שלא קנה",
    reentry="every_time",
    messages=(
        MessageNeed(
            ref="offer",
            channel="email",
            name="הצעה למוצר משלים",
            subject="פרסומת: [[שם פרטי|לקוח יקר]], זה ישלים לך את ההזמנה",
            preheader="הצעה מיוחדת ללקוחות שלנו",
            blocks=(
                {"id": "h1", "type": "heading", "text": "תודה על הקנייה!"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "לקוחות שקנו כמוך אהבו במיוחד גם את המוצר המשלים שלנו. "
                    "רק לך, השבוע: 15% הנחה עליו.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "למוצר המשלים",
                    "url": "https://example.co.il/shop/upsell",
                },
            ),
        ),
    ),
    graph=graph(
        [
            node("bought", "purchase_made", "ביצוע רכישה"),
            node("wait", "wait", "המתנה של יומיים", mode="duration", amount=2, unit="days"),
            node(
                "has_it",
                "purchase_status",
                "לא קנה את המוצר המשלים?",
                status="not_bought",
                product=UPSELL_PRODUCT,
            ),
            node("offer", "send_message", "מייל הצעה", message_id="@message:offer"),
            node("done", "exit", "סיום"),
        ],
        [
            edge("bought", "wait"),
            edge("wait", "has_it"),
            edge("has_it", "offer", "yes"),
            edge("has_it", "done", "no"),
        ],
    ),
)
