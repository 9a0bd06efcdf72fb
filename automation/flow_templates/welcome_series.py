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
    key="welcome_series",
    name=_("Welcome series"),
    description=_(
        "Three emails over five days to everyone who joins the newsletter list: "
        "a welcome, your story, and a first-purchase offer for those who have not bought yet."
    ),
    category="welcome",
    flow_name="סדרת ברוכים הבאים",
    lists=(ListNeed(ref="newsletter", name="ניוזלטר"),),
    forms=(
        FormNeed(
            ref="signup",
            name="הרשמה לניוזלטר",
            title="הצטרפו לניוזלטר שלנו",
            description="חדשות, טיפים והטבות למנויים בלבד.",
            fields=("email",),
            required=("email",),
            target_lists=("newsletter",),
            consents=(("email", EMAIL_CONSENT),),
            submit_label="הצטרפות",
            thank_you_title="ברוכים הבאים!",
            thank_you_text="מייל ראשון כבר בדרך אליך.",
        ),
    ),
    messages=(
        MessageNeed(
            ref="welcome",
            channel="email",
            name="ברוכים הבאים – מייל 1",
            subject="פרסומת: ברוכים הבאים, [[שם פרטי|חברים יקרים]]!",
            preheader="שמחים שהצטרפת – הנה מה שמחכה לך",
            blocks=(
                {"id": "h1", "type": "heading", "text": "שלום [[שם פרטי|וברוכים הבאים]],"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "תודה שהצטרפת לניוזלטר שלנו. פעם בשבוע נשלח לך חדשות, "
                    "טיפים והטבות שמגיעות רק למנויים.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "לביקור באתר",
                    "url": "https://example.co.il/",
                },
            ),
        ),
        MessageNeed(
            ref="story",
            channel="email",
            name="ברוכים הבאים – מייל 2",
            subject="פרסומת: [[שם פרטי|לקוח יקר]], נעים להכיר",
            preheader="הסיפור שלנו, בקצרה",
            blocks=(
                {"id": "h1", "type": "heading", "text": "נעים להכיר"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "התחלנו מחלום קטן ומאהבה גדולה למה שאנחנו עושים. "
                    "כאן אפשר לספר על העסק, על הצוות ועל מה שמייחד אתכם.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "עוד עלינו",
                    "url": "https://example.co.il/about",
                },
            ),
        ),
        MessageNeed(
            ref="offer",
            channel="email",
            name="ברוכים הבאים – מייל 3: הטבה",
            subject="פרסומת: מתנה לקנייה הראשונה שלך",
            preheader="10% הנחה, רק השבוע",
            blocks=(
                {"id": "h1", "type": "heading", "text": "[[שם פרטי|לקוח יקר]], זו המתנה שלך"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "לכבוד ההצטרפות: 10% הנחה על הקנייה הראשונה באתר, "
                    "עם הקוד WELCOME10. ההטבה בתוקף לשבוע.",
                },
                {
                    "id": "b1",
                    "type": "button",
                    "label": "לקנייה עם ההנחה",
                    "url": "https://example.co.il/shop",
                },
            ),
        ),
    ),
    graph=graph(
        [
            node("joined", "list_joined", "הצטרפות לניוזלטר", list_id="@list:newsletter"),
            node("welcome", "send_message", "מייל ברוכים הבאים", message_id="@message:welcome"),
            node("wait1", "wait", "המתנה של יומיים", mode="duration", amount=2, unit="days"),
            node("story", "send_message", "מייל היכרות", message_id="@message:story"),
            node("wait2", "wait", "המתנה של 3 ימים", mode="duration", amount=3, unit="days"),
            node("bought", "purchase_status", "עוד לא קנה?", status="not_bought"),
            node("offer", "send_message", "מייל הטבה", message_id="@message:offer"),
            node("done", "exit", "סיום"),
        ],
        [
            edge("joined", "welcome"),
            edge("welcome", "wait1"),
            edge("wait1", "story"),
            edge("story", "wait2"),
            edge("wait2", "bought"),
            edge("bought", "offer", "yes"),
            edge("bought", "done", "no"),
        ],
    ),
)
