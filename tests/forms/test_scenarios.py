"""Marketers' jobs that run through forms, over HTTP from sign-up to the contact table."""

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from contacts import actions as contact_actions
from contacts.models import Contact
from forms import actions
from forms.models import Form, Submission
from tests.conftest import PASSWORD
from tests.forms.conftest import build_form

pytestmark = pytest.mark.django_db


def test_scenario_13_free_to_start(client: Client):
    # A new business signs up without a credit card.
    client.post(
        reverse("signup"),
        {"business_name": "סטודיו ליוגה", "email": "yoga@example.com", "password": PASSWORD},
    )
    client.post(reverse("forms:create"), {"name": "שיעור ניסיון"})
    form = Form.objects.get(name="שיעור ניסיון")
    client.post(reverse("forms:publish", args=[form.pk]), {"publish": "1"})
    visitors = Client()

    # 101 visitors sign up, each from their own address.
    for number in range(101):
        response = visitors.post(
            reverse("public_forms:form", args=[form.public_token]),
            {"email": f"visitor{number}@example.com", "first_name": "אורח"},
            REMOTE_ADDR=f"198.51.100.{number + 1}",
        )
        assert response.status_code == 200

    # Nothing is lost: the 101st is kept past the limit and the marketer is asked to upgrade.
    contacts = Contact.objects.filter(account_id=form.account_id)
    assert contacts.count() == 101
    assert contacts.filter(over_plan=True).count() == 1
    assert Submission.objects.filter(form=form, status="applied").count() == 101
    home = client.get(reverse("home")).content.decode()
    assert reverse("settings") + "#plan" in home
    listed = client.get(reverse("forms:submissions", args=[form.pk])).content.decode()
    assert listed.count('data-testid="over-plan"') == 1


def test_three_forms_on_page_fill_a_table_column(account, owner_client: Client):
    contact_actions.create_custom_field(account, label="מקור", key="source", type="text")
    page = actions.create_page(account, name="השקה")
    for slot, value in (("top", "טופס 1"), ("middle", "טופס 2"), ("bottom", "טופס 3")):
        form = build_form(account, name=value, hidden={"source": value}, consent=False)
        actions.set_placement(account, page, slot=slot, form=form)
    actions.publish_page(account, page, True)
    visitors = Client()
    shown = visitors.get(reverse("public_forms:page", args=[page.public_token]))
    assert shown.status_code == 200

    # Three visitors sign up at the top, two in the middle, one at the bottom.
    for placement in page.placements.all():
        count = {"top": 3, "middle": 2, "bottom": 1}[placement.slot]
        for copy in range(count):
            visitors.post(
                reverse("public_forms:form", args=[placement.form.public_token]),
                {
                    "email": f"{placement.slot}{copy}@example.com",
                    "_page": page.public_token,
                    "_slot": placement.slot,
                },
            )

    table = owner_client.get(reverse("contacts:index") + "?columns=email,source&sort=-source")
    exported: Any = owner_client.get(
        reverse("contacts:export") + "?columns=email,source&sort=source&format=csv"
    )

    body = table.content.decode()
    assert body.index("טופס 3") < body.index("טופס 2") < body.index("טופס 1")
    exported_text = b"".join(exported.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported_text)))
    sources = [row[1] for row in rows[1:]]
    assert sorted(sources) == sources
    assert {value: sources.count(value) for value in set(sources)} == {
        "טופס 1": 3,
        "טופס 2": 2,
        "טופס 3": 1,
    }
