"""Visitor pages: hosted form, landing page with several forms, iframe, limits, escaping."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import Contact
from forms import actions, queries, rendering
from forms.models import Form, Submission, SubmissionStatus
from forms.queries import load_definition
from tests.forms.conftest import build_form

pytestmark = pytest.mark.django_db


def form_url(form: Form, name: str = "public_forms:form") -> str:
    return reverse(name, args=[form.public_token])


def test_hosted_form_shows_fields_and_counts_view(account, client: Client):
    account.language = "he"
    account.save(update_fields=["language"])
    form = build_form(account)

    response = client.get(form_url(form))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="email"' in body
    assert 'type="email"' in body
    assert 'type="tel"' in body
    assert 'dir="rtl"' in body
    form.refresh_from_db()
    assert form.view_count == 1


def test_draft_form_is_not_found(account, client: Client):
    form = build_form(account, publish=False)

    assert client.get(form_url(form)).status_code == 404
    assert client.post(form_url(form), {"email": "a@example.com"}).status_code == 404


def test_hosted_submission_shows_thank_you(account, client: Client):
    form = build_form(account)
    actions.update_form(
        account, form, {"thank_you_title": "תודה רבה!", "thank_you_text": "נחזור אליך"}
    )

    response = client.post(form_url(form), {"email": "a@example.com", "first_name": "דנה"})

    assert response.status_code == 200
    assert "תודה רבה!" in response.content.decode()
    assert Contact.objects.filter(account=account, email="a@example.com").exists()


def test_submission_without_csrf_token_from_another_site_works(account):
    form = build_form(account)
    strict = Client(enforce_csrf_checks=True, HTTP_ORIGIN="https://shop.example")

    response = strict.post(form_url(form), {"email": "embed@example.com"})

    assert response.status_code == 200
    assert Contact.objects.filter(email="embed@example.com").exists()


def test_invalid_submission_shows_errors_and_keeps_values(account, client: Client):
    form = build_form(account)

    response = client.post(
        form_url(form), {"email": "dana@", "first_name": "<b>דנה</b>", "mobile": "abc"}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "not a valid email address" in body
    assert "not a phone number" in body
    # Values come back escaped, never as markup.
    assert "&lt;b&gt;דנה&lt;/b&gt;" in body
    assert "<b>דנה</b>" not in body
    assert Submission.objects.get(form=form).status == SubmissionStatus.INVALID


def test_redirect_after_submit(account, client: Client):
    form = build_form(account)
    actions.update_form(
        account, form, {"after_submit": "redirect", "redirect_url": "https://shop.example/thanks"}
    )

    response = client.post(form_url(form), {"email": "a@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "https://shop.example/thanks"


def test_thank_you_page_after_submit(account, client: Client):
    form = build_form(account)
    actions.update_form(account, form, {"after_submit": "page", "thank_you_title": "נרשמת!"})

    response = client.post(form_url(form), {"email": "a@example.com"}, follow=True)

    assert response.redirect_chain[-1][0] == form_url(form, "public_forms:thanks")
    assert "נרשמת!" in response.content.decode()


def test_rate_limit_gives_clear_message(account, client: Client, settings):
    settings.FORMS_RATE_LIMITS = {"per_ip": (2, 60), "per_form": None}
    form = build_form(account)

    statuses = [
        client.post(form_url(form), {"email": f"r{i}@example.com"}).status_code for i in range(3)
    ]

    assert statuses == [200, 200, 429]
    last = client.post(form_url(form), {"email": "late@example.com"})
    assert "Wait a minute" in last.content.decode()
    # The visitor's typed value is shown again, so nothing is lost.
    assert 'value="late@example.com"' in last.content.decode()
    assert not Contact.objects.filter(email="late@example.com").exists()


def test_oversized_post_is_rejected_with_message(account, client: Client):
    form = build_form(account)

    response = client.post(form_url(form), {"email": "a@example.com", "first_name": "x" * 70_000})

    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_embed_page_can_be_framed(account, client: Client):
    form = build_form(account)
    embed_url = form_url(form, "public_forms:embed")

    response = client.get(embed_url)
    invalid = client.post(embed_url, {"email": "bad@", "_mode": "embed"})
    thanked = client.post(embed_url, {"email": "ok@example.com", "_mode": "embed"})

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert f'action="{embed_url}"' in response.content.decode()
    assert 'name="_mode" value="embed"' in response.content.decode()
    for answer in (invalid, thanked):
        assert "X-Frame-Options" not in answer
    assert 'data-testid="thank-you"' in thanked.content.decode()
    assert "<header" not in thanked.content.decode()


def test_view_pixel_counts_a_view(account, client: Client):
    form = build_form(account)

    response = client.get(form_url(form, "public_forms:view_pixel"))

    assert response["Content-Type"] == "image/gif"
    form.refresh_from_db()
    assert form.view_count == 1


def test_two_forms_on_page_split_report(account, source_field, client: Client):
    top = build_form(account, name="עליון", hidden={"source": "טופס 1"})
    bottom = build_form(account, name="תחתון", hidden={"source": "טופס 2"})
    page = actions.create_page(account, name="מבצע קיץ", form=top)
    actions.set_placement(account, page, slot="bottom", form=bottom)
    actions.publish_page(account, page, True)
    page_url = reverse("public_forms:page", args=[page.public_token])

    shown = client.get(page_url + "?utm_source=facebook")
    client.post(
        form_url(top),
        {"email": "top@example.com", "_page": page.public_token, "_slot": "top"},
    )
    client.post(
        form_url(bottom),
        {"email": "bottom1@example.com", "_page": page.public_token, "_slot": "bottom"},
    )
    client.post(
        form_url(bottom),
        {"email": "bottom2@example.com", "_page": page.public_token, "_slot": "bottom"},
    )

    assert shown.status_code == 200
    assert shown.content.decode().count('name="_slot"') == 2
    assert Contact.objects.get(email="top@example.com").fields["source"] == "טופס 1"
    assert Contact.objects.get(email="bottom1@example.com").fields["source"] == "טופס 2"
    page.refresh_from_db()
    report = queries.page_report(page)
    assert report.views == 1
    assert [(row.placement.slot, row.submissions) for row in report.rows] == [
        ("top", 1),
        ("bottom", 2),
    ]
    assert report.by_hidden_value["source"] == [("טופס 2", 2), ("טופס 1", 1)]


def test_page_token_of_another_account_is_ignored(account, outsider_account, client: Client):
    form = build_form(account)
    other_form = build_form(outsider_account)
    other_page = actions.create_page(outsider_account, name="x", form=other_form)

    client.post(
        form_url(form), {"email": "a@example.com", "_page": other_page.public_token, "_slot": "top"}
    )

    submission = Submission.objects.get(form=form)
    assert submission.page_id is None
    assert submission.account_id == account.pk


def test_confirm_link_with_bad_signature_is_not_found(client: Client):
    url = reverse("public_forms:confirm", args=["not-a-signature"])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_query_parameter_travels_from_page_to_submission(account, source_field, client: Client):
    form = build_form(account, hidden={"source": "direct"}, query_param="utm_source")
    page = actions.create_page(account, name="קמפיין", form=form)
    actions.publish_page(account, page, True)

    shown = client.get(
        reverse("public_forms:page", args=[page.public_token]) + "?utm_source=facebook"
    )
    found = re.search(r'<form method="post" action="([^"]+)"', shown.content.decode())
    assert found is not None
    action = found.group(1)
    client.post(
        action.replace("&amp;", "&"),
        {"email": "fb@example.com", "_page": page.public_token, "_slot": "top"},
    )

    assert "utm_source=facebook" in action
    assert Contact.objects.get(email="fb@example.com").fields["source"] == "facebook"


def test_embed_snippet_posts_to_token_address(account):
    form = build_form(account)

    snippet = rendering.embed_snippet(load_definition(form))

    assert f'action="{rendering.public_url(form)}"' in snippet
    assert 'name="_url"' in snippet
    assert 'name="_nonce"' in snippet
    assert "view.gif" in snippet
    assert "location.search" in snippet


def test_submission_query_count_is_bounded(
    account, target_list, client: Client, django_assert_max_num_queries
):
    form = build_form(account, targets=[target_list])
    client.post(form_url(form), {"email": "warm@example.com", "_consent_email": "1", "_nonce": "w"})

    with django_assert_max_num_queries(32):
        response = client.post(
            form_url(form), {"email": "a@example.com", "_consent_email": "1", "_nonce": "n"}
        )

    assert response.status_code == 200


@pytest.mark.parametrize("backend", ["redis", "cache"])
def test_rate_limit_counts_per_ip_and_form(settings, backend):
    from forms import ratelimit

    if backend == "cache":
        settings.REDIS_URL = ""
    settings.FORMS_RATE_LIMITS = {"per_ip": (2, 60), "per_form": (3, 60)}

    first_ip = [ratelimit.allow_submission(999_001, "198.51.100.1") for _ in range(3)]
    other_ip = ratelimit.allow_submission(999_001, "198.51.100.2")
    whole_form = ratelimit.allow_submission(999_001, "198.51.100.3")
    other_form = ratelimit.allow_submission(999_002, "198.51.100.1")

    assert first_ip == [True, True, False]
    # Blocked attempts count too, so this fourth one passes the form's limit of 3.
    assert other_ip is False
    assert whole_form is False
    assert other_form is True


def test_typed_fields_render_and_submit(account, client: Client):
    from contacts import actions as contact_actions

    contact_actions.create_custom_field(
        account, label="תחום", key="topic", type="choice", choices=["נעליים", "תיקים"]
    )
    contact_actions.create_custom_field(
        account, label="מוצרים", key="products", type="multi_choice", choices=["X", "Y", "Z"]
    )
    contact_actions.create_custom_field(account, label="תאריך אירוע", key="event_day", type="date")
    contact_actions.create_custom_field(account, label="חבר מועדון", key="member", type="boolean")
    form = build_form(account, extra_fields=("gender", "topic", "products", "event_day", "member"))

    shown = client.get(form_url(form)).content.decode()
    client.post(
        form_url(form),
        {
            "email": "typed@example.com",
            "gender": "female",
            "topic": "תיקים",
            "products": ["X", "Z"],
            "event_day": "2026-05-01",
            "member": "1",
        },
    )

    assert '<select id="-gender" name="gender"' in shown
    assert '<select id="-topic" name="topic"' in shown
    assert shown.count('type="checkbox" name="products"') == 3
    assert 'type="date" name="event_day"' in shown
    assert 'type="checkbox" name="member"' in shown
    contact = Contact.objects.get(email="typed@example.com")
    assert contact.gender == "female"
    assert contact.fields["topic"] == "תיקים"
    assert contact.fields["products"] == ["X", "Z"]
    assert contact.fields["event_day"] == "2026-05-01"
    assert contact.fields["member"] is True


@pytest.mark.parametrize(
    ("values", "status", "message"),
    [
        ({"email": "", "first_name": "דנה"}, 400, "Fill in “Email”."),
        ({"email": "dana@@example.com", "first_name": "דנה"}, 400, "is not a valid email address"),
        ({"email": "dana@example.com", "mobile": "052-12"}, 400, "is not a valid phone number"),
        ({"email": "dana@example.com", "first_name": "ד" * 101}, 400, "longer than 100 characters"),
    ],
)
def test_bad_input_gives_message_and_is_kept(account, client: Client, values, status, message):
    form = build_form(account)

    response = client.post(form_url(form), values)

    assert response.status_code == status
    assert message in response.content.decode()
    submission = Submission.objects.get(form=form)
    assert submission.status == SubmissionStatus.INVALID
    for key, value in values.items():
        assert submission.raw[key] == value


def test_same_post_twice_says_already_received(account, client: Client):
    form = build_form(account)
    values = {"email": "twice@example.com", "_nonce": "rendered-once"}

    first = client.post(form_url(form), values)
    second = client.post(form_url(form), values)

    assert first.status_code == 200
    assert "already received" in second.content.decode()
    statuses = sorted(Submission.objects.filter(form=form).values_list("status", flat=True))
    assert statuses == [SubmissionStatus.APPLIED, SubmissionStatus.DUPLICATE]
    assert Contact.objects.filter(email="twice@example.com").count() == 1
