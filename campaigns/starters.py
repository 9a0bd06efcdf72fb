"""Hebrew starter templates for new emails.

Their texts are example content that the marketer replaces, so they are
data, not translation strings.
"""

from typing import Any

STARTERS: dict[str, dict[str, Any]] = {
    "blank": {
        "subject": "פרסומת: ",
        "blocks": [{"id": "b1", "type": "text", "text": "כתבו כאן את תוכן ההודעה."}],
    },
    "newsletter": {
        "subject": "פרסומת: [[שם פרטי|לקוח יקר]], החדשות של החודש",
        "preheader": "מה חדש אצלנו החודש",
        "blocks": [
            {"id": "b1", "type": "heading", "text": "שלום [[שם פרטי|לקוח יקר]],"},
            {"id": "b2", "type": "text", "text": "ריכזנו עבורכם את החדשות והמבצעים של החודש."},
            {"id": "b3", "type": "divider"},
            {
                "id": "b4",
                "type": "columns",
                "columns": [
                    [
                        {"id": "b5", "type": "heading", "text": "מוצר החודש"},
                        {"id": "b6", "type": "text", "text": "ספרו כאן על המוצר."},
                    ],
                    [
                        {"id": "b7", "type": "heading", "text": "טיפ החודש"},
                        {"id": "b8", "type": "text", "text": "שתפו כאן טיפ שימושי."},
                    ],
                ],
            },
            {"id": "b9", "type": "button", "label": "לכל המבצעים", "url": "https://example.co.il/"},
        ],
    },
    "event": {
        "subject": "פרסומת: [[שם פרטי|לקוח יקר]], תגיעו לאירוע?",
        "blocks": [
            {"id": "b1", "type": "heading", "text": "הזמנה לאירוע"},
            {"id": "b2", "type": "text", "text": "נשמח לראותכם באירוע שלנו. ספרו לנו אם תגיעו:"},
            {"id": "b3", "type": "button", "label": "מגיע/ה", "url": "https://example.co.il/"},
            {
                "id": "b4",
                "type": "button",
                "label": "לא אוכל להגיע",
                "url": "https://example.co.il/",
            },
        ],
    },
    "sale": {
        "subject": "פרסומת: מבצע לזמן מוגבל",
        "preheader": "רק השבוע",
        "blocks": [
            {"id": "b1", "type": "heading", "text": "מבצע לזמן מוגבל!"},
            {
                "id": "b2",
                "type": "text",
                "text": "[[שם פרטי|לקוח יקר]], רק השבוע: 20% הנחה על כל החנות.",
            },
            {"id": "b3", "type": "button", "label": "לחנות", "url": "https://example.co.il/"},
        ],
    },
}
TEXT_STARTER = "פרסומת: [[שם פרטי|לקוח יקר]], "
