from django.utils.translation import gettext_lazy as _

from automation.flow_templates._common import EMAIL_CONSENT
from automation.flow_templates.base import (
    FieldNeed,
    FlowTemplate,
    FormNeed,
    ListNeed,
    MessageNeed,
    edge,
    graph,
    node,
)

DEALS = "מבצעים"
TIPS = "טיפים"


def _about(value: str) -> dict[str, object]:
    """Return the rule of a paragraph shown only to contacts who chose value."""
    return {
        "match": "all",
        "rules": [{"type": "field", "field": "interests", "op": "contains", "value": value}],
    }


TEMPLATE = FlowTemplate(
    key="preference_newsletter",
    name=_("Preference lists → targeted newsletter"),
    description=_(
        "Contacts choose topics on a form as public lists. Each choice is copied into "
        "a multiple-choice field, and one newsletter shows each paragraph only to those "
        "who chose its topic."
    ),
    category="welcome",
    flow_name="העדפות תוכן ← ניוזלטר ממוקד",
    fields=(
        FieldNeed(key="interests", label="תחומי עניין", type="multi_choice", choices=(DEALS, TIPS)),
    ),
    lists=(
        ListNeed(
            ref="deals",
            name="עדכוני מבצעים",
            is_public=True,
            public_description="מבצעים והטבות לפני כולם",
        ),
        ListNeed(
            ref="tips",
            name="טיפים ומדריכים",
            is_public=True,
            public_description="טיפים שימושיים ומדריכים קצרים",
        ),
    ),
    forms=(
        FormNeed(
            ref="preferences",
            name="בחירת תחומי עניין",
            title="על מה תרצו לשמוע מאיתנו?",
            fields=("email",),
            required=("email",),
            offered_lists=("deals", "tips"),
            lists_intro="סמנו את מה שמעניין אותך:",
            consents=(("email", EMAIL_CONSENT),),
            submit_label="שמירת הבחירה",
            thank_you_title="ביקשת? קיבלת!",
            thank_you_text="מעכשיו נשלח לך רק את מה שבחרת.",
        ),
    ),
    messages=(
        MessageNeed(
            ref="newsletter",
            channel="email",
            name="ניוזלטר ממוקד לפי תחומי עניין",
            subject="פרסומת: [[שם פרטי|לקוח יקר]] – ביקשת? קיבלת!",
            preheader="רק מה שבחרת לקבל",
            blocks=(
                {"id": "h1", "type": "heading", "text": "שלום [[שם פרטי|לקוח יקר]],"},
                {
                    "id": "t1",
                    "type": "text",
                    "text": "תודה שסיפרת לנו מה מעניין אותך. הנה מה שהכנו בשבילך:",
                },
                {"id": "h2", "type": "heading", "text": "המבצעים של השבוע", "rule": _about(DEALS)},
                {
                    "id": "t2",
                    "type": "text",
                    "text": "20% הנחה על כל הקולקציה החדשה, עד סוף השבוע בלבד.",
                    "rule": _about(DEALS),
                },
                {
                    "id": "b2",
                    "type": "button",
                    "label": "לכל המבצעים",
                    "url": "https://example.co.il/sale",
                    "rule": _about(DEALS),
                },
                {"id": "h3", "type": "heading", "text": "הטיפ של השבוע", "rule": _about(TIPS)},
                {
                    "id": "t3",
                    "type": "text",
                    "text": "שלושה דברים קטנים שיעזרו לך להפיק יותר מהמוצרים שלנו – "
                    "במדריך קצר של שתי דקות קריאה.",
                    "rule": _about(TIPS),
                },
                {
                    "id": "b3",
                    "type": "button",
                    "label": "לקריאת המדריך",
                    "url": "https://example.co.il/tips",
                    "rule": _about(TIPS),
                },
            ),
        ),
    ),
    graph=graph(
        [
            node("joined_deals", "list_joined", "הצטרפות לעדכוני מבצעים", list_id="@list:deals"),
            node("joined_tips", "list_joined", "הצטרפות לטיפים ומדריכים", list_id="@list:tips"),
            # A visitor who ticks both lists joins them at once and enters
            # once; after the pause, every choice is read from the lists.
            node("settle", "wait", "המתנה של 10 דקות", mode="duration", amount=10, unit="minutes"),
            node(
                "chose_deals",
                "contact_status",
                "בחר/ה במבצעים?",
                match="all",
                rules=[{"type": "list", "op": "member", "list_id": "@list:deals"}],
            ),
            node(
                "add_deals",
                "update_field",
                "הוספת „מבצעים” לתחומי העניין",
                field="interests",
                operation="add",
                value=DEALS,
            ),
            node(
                "chose_tips",
                "contact_status",
                "בחר/ה בטיפים?",
                match="all",
                rules=[{"type": "list", "op": "member", "list_id": "@list:tips"}],
            ),
            node(
                "add_tips",
                "update_field",
                "הוספת „טיפים” לתחומי העניין",
                field="interests",
                operation="add",
                value=TIPS,
            ),
            node("newsletter", "send_message", "ניוזלטר ממוקד", message_id="@message:newsletter"),
        ],
        [
            edge("joined_deals", "settle"),
            edge("joined_tips", "settle"),
            edge("settle", "chose_deals"),
            edge("chose_deals", "add_deals", "yes"),
            edge("chose_deals", "chose_tips", "no"),
            edge("add_deals", "chose_tips"),
            edge("chose_tips", "add_tips", "yes"),
            edge("chose_tips", "newsletter", "no"),
            edge("add_tips", "newsletter"),
        ],
    ),
)
