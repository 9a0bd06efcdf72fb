from django.utils.translation import gettext_lazy as _

from automation.flow_templates.base import FieldNeed, FlowTemplate, MessageNeed, edge, graph, node

TEMPLATE = FlowTemplate(
    key="payment_reminder",
    name=_("Payment reminder by date"),
    description=_(
        "When a contact's invoice date is set, waits 14 days and sends a payment "
        "reminder to those whose “paid” field is still not set."
    ),
    category="billing",
    flow_name="תזכורת תשלום לפי תאריך חשבונית",
    reentry="every_time",
    fields=(
        FieldNeed(key="invoice_date", label="תאריך חשבונית", type="date"),
        FieldNeed(key="paid", label="שולם", type="boolean"),
    ),
    messages=(
        # NOTE: one delivery per message and contact, so a second unpaid
        # invoice of the same contact walks the flow but gets no reminder.
        # A reminder of a debt is a service message, not advertising: it
        # needs no "פרסומת" and no marketing consent.
        MessageNeed(
            ref="reminder",
            channel="email",
            name="תזכורת לתשלום חשבונית",
            subject="תזכורת: חשבונית פתוחה לתשלום",
            preheader="אפשר לשלם בקלות בקישור שבפנים",
            is_advertising=False,
            blocks=(
                {"id": "h1", "type": "heading", "text": "שלום [[שם פרטי|לקוח יקר]],"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "לפי הרישומים שלנו, החשבונית שנשלחה אליך בתאריך "
                    "[[תאריך חשבונית]] טרם שולמה. נשמח אם תסדירו את התשלום "
                    "בימים הקרובים. אם כבר שילמת – תודה, ואפשר להתעלם מהמייל.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "לתשלום מאובטח",
                    "url": "https://example.co.il/pay",
                },
            ),
        ),
    ),
    graph=graph(
        [
            node("invoiced", "contact_updated", "תאריך חשבונית עודכן", field="invoice_date"),
            node(
                "wait",
                "wait",
                "14 ימים אחרי תאריך החשבונית",
                mode="date_field",
                field="invoice_date",
                offset_days=14,
                time="09:00",
            ),
            node(
                "overdue",
                "date_status",
                "עברו יותר מ-13 ימים?",
                field="invoice_date",
                operator="more_days_since",
                days=13,
            ),
            node(
                "unpaid",
                "contact_status",
                "עדיין לא שולם?",
                match="any",
                rules=[
                    {"type": "field", "field": "paid", "op": "empty"},
                    {"type": "field", "field": "paid", "op": "equals", "value": "false"},
                ],
            ),
            node("remind", "send_message", "מייל תזכורת תשלום", message_id="@message:reminder"),
            node("done", "exit", "סיום"),
        ],
        [
            edge("invoiced", "wait"),
            edge("wait", "overdue"),
            edge("overdue", "unpaid", "yes"),
            edge("overdue", "done", "no"),
            edge("unpaid", "remind", "yes"),
            edge("unpaid", "done", "no"),
        ],
    ),
)
