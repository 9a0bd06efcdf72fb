import pytest

from campaigns import actions
from campaigns.actions import CampaignError
from contacts import actions as contact_actions
from tests.campaigns.conftest import email_message, make_contact, make_list


@pytest.mark.django_db
def test_merge_tags_by_label_key_and_fallback(account):
    dana = make_contact(account, email="dana@example.com", first_name="דנה")
    nameless = make_contact(account, email="anon@example.com")
    message = email_message(account)

    for_dana = actions.render_for_contact(account, message, dana)
    for_nameless = actions.render_for_contact(account, message, nameless)

    assert for_dana.subject == "פרסומת: דנה – ביקשת? קיבלת!"
    assert for_nameless.subject == "פרסומת: לקוח יקר – ביקשת? קיבלת!"
    assert "שלום דנה" in for_dana.html
    assert "שלום חבר" in for_nameless.html
    assert "שלום דנה" in for_dana.text
    assert "[[" not in for_dana.html


@pytest.mark.django_db
def test_unknown_merge_tag_is_an_error_on_save(account):
    with pytest.raises(CampaignError) as caught:
        email_message(account, subject="פרסומת: [[מספר נעליים]]")

    assert "subject" in caught.value.errors
    assert "[[מספר נעליים]]" in caught.value.errors["subject"][0]


@pytest.mark.django_db
def test_unknown_tag_in_link_rejected(account):
    blocks = [
        {"id": "b1", "type": "button", "label": "קנו", "url": "https://x.example/?n=[[nope]]"}
    ]
    with pytest.raises(CampaignError) as caught:
        email_message(account, blocks=blocks)

    assert "block:b1.url" in caught.value.errors


@pytest.mark.django_db
def test_html_is_responsive_rtl_inlined(account):
    contact = make_contact(account, email="dana@example.com", first_name="דנה")
    message = email_message(account)

    rendered = actions.render_for_contact(account, message, contact)

    assert 'dir="rtl"' in rendered.html
    assert 'lang="he"' in rendered.html
    assert "@media only screen" in rendered.html  # kept for responsive columns
    assert 'style="' in rendered.html  # inlined
    assert "מבצעים לשבוע" in rendered.html  # preheader


@pytest.mark.django_db
def test_hebrew_columns_lay_text_right_to_left(account):
    contact = make_contact(account, email="dana@example.com", first_name="דנה")
    blocks = [
        {"id": "h", "type": "heading", "text": "שלום, חברים!"},
        {
            "id": "c",
            "type": "columns",
            "columns": [
                [{"id": "c1", "type": "text", "text": "ימין."}],
                [{"id": "c2", "type": "text", "text": "שמאל."}],
            ],
        },
    ]
    message = email_message(account, blocks=blocks)

    rendered = actions.render_for_contact(account, message, contact)

    assert "direction:ltr" not in rendered.html.replace(" ", "")
    assert "direction:rtl" in rendered.html.replace(" ", "")


@pytest.mark.django_db
def test_marketer_text_is_escaped_and_not_a_template(account):
    contact = make_contact(account, email="dana@example.com", first_name="<b>דנה</b>")
    blocks = [
        {"id": "h1", "type": "heading", "text": "שלום [[first_name]]"},
        {
            "id": "t1",
            "type": "text",
            "text": "{{ v.__class__ }} {% raw %} <script>alert(1)</script>",
        },
    ]
    message = email_message(account, blocks=blocks, subject="פרסומת: [[first_name]]")

    rendered = actions.render_for_contact(account, message, contact)

    assert "{{ v.__class__ }} {% raw %}" in rendered.html
    assert "<script>" not in rendered.html
    assert "שלום &lt;b&gt;דנה&lt;/b&gt;" in rendered.html
    assert "<b>דנה" not in rendered.html
    assert rendered.subject == "פרסומת: <b>דנה</b>"


@pytest.mark.django_db
def test_targeted_block_shows_only_to_matching_contacts(account):
    contact_actions.create_custom_field(
        account, label="תחומי עניין", key="interests", type="multi_choice", choices=["X", "Y"]
    )
    likes_x = make_contact(account, email="x@example.com", interests=["X"])
    likes_y = make_contact(account, email="y@example.com", interests=["Y"])
    rule_x = {
        "match": "all",
        "rules": [{"type": "field", "field": "interests", "op": "contains", "value": "X"}],
    }
    rule_y = {
        "match": "all",
        "rules": [{"type": "field", "field": "interests", "op": "contains", "value": "Y"}],
    }
    blocks = [
        {"id": "all", "type": "text", "text": "לכולם"},
        {"id": "px", "type": "text", "text": "פסקה על מוצר X", "rule": rule_x},
        {"id": "py", "type": "text", "text": "פסקה על מוצר Y", "rule": rule_y},
    ]
    message = email_message(account, blocks=blocks)

    for_x = actions.render_for_contact(account, message, likes_x)
    for_y = actions.render_for_contact(account, message, likes_y)

    assert "פסקה על מוצר X" in for_x.html
    assert "פסקה על מוצר Y" not in for_x.html
    assert "פסקה על מוצר Y" in for_y.html
    assert "פסקה על מוצר X" not in for_y.html
    assert "פסקה על מוצר X" in for_x.text
    assert "פסקה על מוצר X" not in for_y.text


@pytest.mark.django_db
def test_targeting_by_list_membership_inside_columns(account):
    vip = make_contact(account, email="vip@example.com")
    other = make_contact(account, email="other@example.com")
    vip_list = make_list(account, "VIP", [vip])
    rule = {"match": "all", "rules": [{"type": "list", "op": "member", "list_id": vip_list.pk}]}
    blocks = [
        {
            "id": "c1",
            "type": "columns",
            "columns": [
                [{"id": "l1", "type": "text", "text": "עמודה ימנית"}],
                [{"id": "r1", "type": "text", "text": "הטבה למועדון", "rule": rule}],
            ],
        }
    ]
    message = email_message(account, blocks=blocks)

    assert "הטבה למועדון" in actions.render_for_contact(account, message, vip).html
    assert "הטבה למועדון" not in actions.render_for_contact(account, message, other).html
    assert "עמודה ימנית" in actions.render_for_contact(account, message, other).html


@pytest.mark.django_db
def test_dynamic_subject_by_rule_with_default(account):
    holon = make_contact(account, email="h@example.com", city="חולון", first_name="רון")
    haifa = make_contact(account, email="f@example.com", city="חיפה")
    rule = {
        "match": "all",
        "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
    }
    message = email_message(
        account,
        subject="פרסומת: הופעה חדשה",
        subject_rules=[{"rule": rule, "subject": "פרסומת: [[שם פרטי]], ההופעה מגיעה לחולון"}],
    )

    assert (
        actions.render_for_contact(account, message, holon).subject
        == "פרסומת: רון, ההופעה מגיעה לחולון"
    )
    assert actions.render_for_contact(account, message, haifa).subject == "פרסומת: הופעה חדשה"


@pytest.mark.django_db
def test_link_merge_tags_are_url_encoded(account):
    contact = make_contact(account, email="d@example.com", first_name="דנה כהן")
    blocks = [
        {
            "id": "b1",
            "type": "button",
            "label": "לחנות",
            "url": "https://shop.example/?name=[[first_name]]",
        }
    ]
    message = email_message(account, blocks=blocks)

    rendered = actions.render_for_contact(account, message, contact)

    assert "https://shop.example/?name=%D7%93%D7%A0%D7%94%20%D7%9B%D7%94%D7%9F" in rendered.html


@pytest.mark.django_db
def test_plain_text_part_has_links_and_unsubscribe(account):
    contact = make_contact(account, email="d@example.com")
    message = email_message(account)

    rendered = actions.render_for_contact(account, message, contact)

    assert "לחנות (https://shop.example.co.il/?ref=news)" in rendered.text
    assert "Unsubscribe" in rendered.text or "הסר" in rendered.text
    assert "<p" not in rendered.text
    assert "<a " not in rendered.text


@pytest.mark.django_db
def test_invalid_blocks_are_rejected_with_their_ids(account):
    blocks = [
        {"id": "a", "type": "image", "src": "ftp://x"},
        {"id": "b", "type": "button", "label": "", "url": "javascript:alert(1)"},
        {"id": "c", "type": "marquee"},
    ]
    with pytest.raises(CampaignError) as caught:
        email_message(account, blocks=blocks)

    errors = caught.value.errors
    assert "a" in errors
    assert "b" in errors
    assert len(errors["b"]) == 2
    assert "c" in errors


@pytest.mark.django_db
def test_smart_button_needs_own_static_list(account, outsider_account):
    foreign = make_list(outsider_account, "זרה")
    blocks = [
        {
            "id": "s",
            "type": "button",
            "label": "מגיע",
            "action": {"kind": "add_to_list", "list_id": foreign.pk},
        }
    ]
    with pytest.raises(CampaignError) as caught:
        email_message(account, blocks=blocks)

    assert "block:s" in caught.value.errors
