"""Dynamic lists: the condition builder, saving conditions and the live count."""

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts import actions as contact_actions
from contacts.models import ContactEvent, FieldType
from lists import actions, queries
from lists.models import ContactList, ListKind
from smoove.middleware import LANGUAGE_SESSION_KEY

pytestmark = pytest.mark.django_db


def in_english(client):
    """Switch a client's interface to English, so the asserted wording is the source text."""
    session = client.session
    session[LANGUAGE_SESSION_KEY] = "en"
    session.save()
    return client


@pytest.fixture
def owner_client(owner_client):
    return in_english(owner_client)


@pytest.fixture
def teammate_client(teammate_client):
    return in_english(teammate_client)


def add_contact(account, email, **values):
    return contact_actions.upsert_contact(
        account, {"email": email, **values}, source="manual"
    ).contact


@pytest.fixture
def people(account):
    """Four contacts with custom values to select from."""
    contact_actions.create_custom_field(
        account, label="Visits", key="visits", type=FieldType.NUMBER
    )
    contact_actions.create_custom_field(account, label="Joined", key="joined", type=FieldType.DATE)
    contact_actions.create_custom_field(account, label="VIP", key="vip", type=FieldType.BOOLEAN)
    contact_actions.create_custom_field(
        account,
        label="Interests",
        key="interests",
        type=FieldType.MULTI_CHOICE,
        choices=["roses", "tulips"],
    )
    return {
        "dana": add_contact(
            account,
            "dana@example.com",
            city="חולון",
            visits=12,
            joined="2024-01-10",
            vip="yes",
            interests="roses",
        ),
        "avi": add_contact(
            account, "avi@example.com", city="חיפה", visits=2, joined="2024-06-01", vip="no"
        ),
        "tal": add_contact(
            account, "tal@example.com", city="חולון", visits=5, interests="tulips, roses"
        ),
        "noa": add_contact(account, "noa@example.com"),
    }


def builder_data(rules, *, match="all", name="Picked", **extra):
    """Return a builder form submission with these rule rows."""
    data = {
        "kind": "dynamic",
        "name": name,
        "match": match,
        "rules-TOTAL_FORMS": str(len(rules)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "30",
    }
    for index, rule in enumerate(rules):
        for key, value in rule.items():
            data[f"rules-{index}-{key}"] = value
    data.update(extra)
    return data


def member_emails(contact_list):
    return sorted(queries.members_of_list(contact_list).values_list("email", flat=True))


def rule_rows(page):
    return page.count('data-testid="rule"')


def options_of(page, name):
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


# The builder page.


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_new_dynamic_list_page_renders(request, client_name, people):
    response = request.getfixturevalue(client_name).get(
        reverse("lists:create"), {"kind": "dynamic"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert rule_rows(page) == 1
    assert "visits" in options_of(page, "rules-0-field")
    assert options_of(page, "rules-0-op") == [
        "equals",
        "not_equals",
        "contains",
        "not_contains",
        "empty",
        "not_empty",
    ]
    assert reverse("lists:count_conditions") in page


def test_add_rule_returns_builder_with_one_more_row(owner_client, account, people):
    data = builder_data(
        [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}], builder="add"
    )

    response = owner_client.post(reverse("lists:create"), data, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert rule_rows(page) == 2
    assert 'value="חולון"' in page
    assert "conditions-changed" in json.loads(response["HX-Trigger-After-Swap"])
    assert not ContactList.objects.filter(account=account).exists()


def test_remove_rule_drops_that_row(owner_client, people):
    data = builder_data(
        [
            {"type": "field", "field": "city", "op": "equals", "value": "חולון"},
            {"type": "field", "field": "city", "op": "equals", "value": "חיפה"},
        ],
        builder="remove",
        builder_index="0",
    )

    page = owner_client.post(reverse("lists:create"), data, HTTP_HX_REQUEST="true").content.decode()

    assert rule_rows(page) == 1
    assert 'value="חיפה"' in page
    assert 'value="חולון"' not in page


@pytest.mark.parametrize(
    ("field", "operators", "value_input"),
    [
        (
            "visits",
            ["equals", "not_equals", "gt", "lt", "between", "empty", "not_empty"],
            'type="number"',
        ),
        ("joined", ["equals", "gt", "lt", "between", "empty", "not_empty"], 'type="date"'),
        ("vip", ["equals", "empty", "not_empty"], '<select name="rules-0-value"'),
        (
            "interests",
            ["contains", "not_contains", "empty", "not_empty"],
            '<select name="rules-0-value"',
        ),
        ("gender", ["equals", "not_equals", "empty", "not_empty"], '<select name="rules-0-value"'),
    ],
)
def test_changing_field_fits_operators_and_value_input(
    owner_client, people, field, operators, value_input
):
    data = builder_data(
        [{"type": "field", "field": field, "op": "contains", "value": "abc"}], builder="refresh"
    )

    page = owner_client.post(reverse("lists:create"), data, HTTP_HX_REQUEST="true").content.decode()

    assert options_of(page, "rules-0-op") == operators
    assert value_input in page


def test_changing_field_drops_unfit_value(owner_client, people):
    data = builder_data(
        [{"type": "field", "field": "visits", "op": "equals", "value": "abc"}], builder="refresh"
    )

    page = owner_client.post(reverse("lists:create"), data, HTTP_HX_REQUEST="true").content.decode()

    assert 'value="abc"' not in page


def test_between_shows_second_value(owner_client, people):
    data = builder_data(
        [{"type": "field", "field": "visits", "op": "between", "value": "1"}], builder="refresh"
    )

    page = owner_client.post(reverse("lists:create"), data, HTTP_HX_REQUEST="true").content.decode()

    assert 'name="rules-0-value2"' in page


def test_empty_operator_hides_value(owner_client, people):
    data = builder_data([{"type": "field", "field": "city", "op": "empty"}], builder="refresh")

    page = owner_client.post(reverse("lists:create"), data, HTTP_HX_REQUEST="true").content.decode()

    assert 'name="rules-0-value"' not in page


def test_list_rule_offers_static_lists_only(owner_client, account, people):
    newsletter = actions.create_list(account, name="Newsletter")
    actions.create_list(account, name="Everyone", kind=ListKind.DYNAMIC)
    data = builder_data([{"type": "list"}], builder="refresh")

    page = owner_client.post(reverse("lists:create"), data, HTTP_HX_REQUEST="true").content.decode()

    assert options_of(page, "rules-0-op") == ["member", "not_member"]
    assert options_of(page, "rules-0-list_id") == ["", str(newsletter.pk)]


def test_event_rule_shows_kind_and_days(owner_client, account, people):
    contact_actions.record_event(account, people["dana"], "order_placed", {})
    data = builder_data([{"type": "event"}], builder="refresh")

    page = owner_client.post(reverse("lists:create"), data, HTTP_HX_REQUEST="true").content.decode()

    assert options_of(page, "rules-0-op") == ["happened", "not_happened"]
    assert 'name="rules-0-kind"' in page
    assert 'name="rules-0-within_days"' in page
    assert '<option value="order_placed" label="order_placed">' in page


def test_event_kinds_offered_with_names(owner_client, account, english):
    data = builder_data([{"type": "event"}], builder="refresh")

    page = owner_client.post(reverse("lists:create"), data, HTTP_HX_REQUEST="true").content.decode()

    assert '<option value="message_opened" label="Message opened">' in page
    assert '<option value="form_submitted" label="Submitted a form">' in page


# Saving conditions.


@pytest.mark.parametrize(
    ("rules", "match", "expected"),
    [
        (
            [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
            "all",
            ["dana", "tal"],
        ),
        ([{"type": "field", "field": "visits", "op": "gt", "value": "4"}], "all", ["dana", "tal"]),
        (
            [{"type": "field", "field": "visits", "op": "between", "value": "2", "value2": "5"}],
            "all",
            ["avi", "tal"],
        ),
        (
            [{"type": "field", "field": "joined", "op": "lt", "value": "2024-03-01"}],
            "all",
            ["dana"],
        ),
        ([{"type": "field", "field": "vip", "op": "equals", "value": "false"}], "all", ["avi"]),
        (
            [{"type": "field", "field": "interests", "op": "contains", "value": "tulips"}],
            "all",
            ["tal"],
        ),
        ([{"type": "field", "field": "visits", "op": "empty"}], "all", ["noa"]),
        (
            [
                {"type": "field", "field": "city", "op": "equals", "value": "חולון"},
                {"type": "field", "field": "visits", "op": "lt", "value": "10"},
            ],
            "all",
            ["tal"],
        ),
        (
            [
                {"type": "field", "field": "city", "op": "equals", "value": "חיפה"},
                {"type": "field", "field": "interests", "op": "contains", "value": "tulips"},
            ],
            "any",
            ["avi", "tal"],
        ),
    ],
)
def test_saved_field_rules_select_the_right_contacts(
    owner_client, account, people, rules, match, expected
):
    response = owner_client.post(reverse("lists:create"), builder_data(rules, match=match))

    created = ContactList.objects.get(account=account, name="Picked")
    assert response.status_code == 302
    assert response["Location"] == reverse("lists:detail", args=[created.pk])
    assert created.kind == ListKind.DYNAMIC
    assert member_emails(created) == sorted(f"{name}@example.com" for name in expected)


def test_saved_conditions_are_typed(owner_client, account, people):
    rules = [
        {"type": "field", "field": "visits", "op": "gt", "value": "4"},
        {"type": "field", "field": "vip", "op": "equals", "value": "true"},
        {"type": "event", "op": "happened", "kind": "order_placed", "within_days": ""},
    ]

    owner_client.post(reverse("lists:create"), builder_data(rules))

    conditions = ContactList.objects.get(account=account, name="Picked").conditions
    assert conditions == {
        "match": "all",
        "rules": [
            {"type": "field", "field": "visits", "op": "gt", "value": 4},
            {"type": "field", "field": "vip", "op": "equals", "value": True},
            {"type": "event", "op": "happened", "kind": "order_placed", "within_days": None},
        ],
    }


def test_list_rule_selects_members_of_the_list(owner_client, account, people):
    newsletter = actions.create_list(account, name="Newsletter")
    actions.add_contacts(account, newsletter, [people["avi"], people["noa"]], source="manual")
    rules = [{"type": "list", "op": "not_member", "list_id": str(newsletter.pk)}]

    owner_client.post(reverse("lists:create"), builder_data(rules))

    created = ContactList.objects.get(account=account, name="Picked")
    assert member_emails(created) == ["dana@example.com", "tal@example.com"]


def test_event_rule_counts_only_recent_events(owner_client, account, people):
    contact_actions.record_event(account, people["dana"], "order_placed", {})
    old = contact_actions.record_event(account, people["avi"], "order_placed", {})
    ContactEvent.objects.filter(pk=old.pk).update(
        occurred_at=timezone.now() - datetime.timedelta(days=40)
    )
    rules = [{"type": "event", "op": "happened", "kind": "order_placed", "within_days": "30"}]

    owner_client.post(reverse("lists:create"), builder_data(rules))

    created = ContactList.objects.get(account=account, name="Picked")
    assert member_emails(created) == ["dana@example.com"]


@pytest.mark.parametrize(
    ("rule", "input_name", "message"),
    [
        (
            {"type": "field", "field": "city", "op": "equals", "value": ""},
            "rules-0-value",
            "Enter a value.",
        ),
        (
            {"type": "field", "field": "visits", "op": "gt", "value": "lots"},
            "rules-0-value",
            "Enter a number.",
        ),
        (
            {"type": "field", "field": "visits", "op": "between", "value": "9", "value2": "3"},
            "rules-0-value2",
            "The upper value must not be below the lower one.",
        ),
        ({"type": "list", "op": "member", "list_id": ""}, "rules-0-list_id", "Choose a list."),
        (
            {"type": "event", "op": "happened", "kind": ""},
            "rules-0-kind",
            "Enter the kind of event.",
        ),
        (
            {"type": "event", "op": "happened", "kind": "x", "within_days": "0"},
            "rules-0-within_days",
            "Ensure this value is greater than or equal to 1.",
        ),
    ],
)
def test_invalid_rule_shows_error_beside_input(
    owner_client, account, people, rule, input_name, message
):
    response = owner_client.post(reverse("lists:create"), builder_data([rule]))

    page = response.content.decode()
    assert response.status_code == 200
    beside = page.split(f'name="{input_name}"')[1].split("</div>")[0]
    assert message in beside
    assert not ContactList.objects.filter(account=account).exists()


def test_name_error_keeps_the_rules(owner_client, account, people):
    actions.create_list(account, name="Picked")
    rules = [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}]

    response = owner_client.post(reverse("lists:create"), builder_data(rules))

    page = response.content.decode()
    assert "A list named “Picked” exists." in page
    assert 'value="חולון"' in page
    assert ContactList.objects.filter(account=account).count() == 1


# Editing a dynamic list.


@pytest.fixture
def in_holon(account, people):
    return actions.create_list(
        account,
        name="In Holon",
        kind=ListKind.DYNAMIC,
        conditions={
            "match": "all",
            "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
        },
    )


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_edit_shows_saved_rules(request, client_name, in_holon):
    response = request.getfixturevalue(client_name).get(reverse("lists:edit", args=[in_holon.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert rule_rows(page) == 1
    assert 'value="חולון"' in page
    assert '<option value="city" selected>' in page


def test_edit_changes_conditions(owner_client, in_holon):
    rules = [{"type": "field", "field": "visits", "op": "lt", "value": "3"}]

    response = owner_client.post(
        reverse("lists:edit", args=[in_holon.pk]), builder_data(rules, name="Rare visitors")
    )

    assert response.status_code == 302
    in_holon.refresh_from_db()
    assert in_holon.name == "Rare visitors"
    assert member_emails(in_holon) == ["avi@example.com"]


def test_edit_builder_request_saves_nothing(owner_client, in_holon):
    data = builder_data([], name="Changed", builder="add")

    owner_client.post(reverse("lists:edit", args=[in_holon.pk]), data, HTTP_HX_REQUEST="true")

    in_holon.refresh_from_db()
    assert in_holon.name == "In Holon"
    assert len(in_holon.conditions["rules"]) == 1


# The live count.


def count_text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode())).strip()


@pytest.mark.parametrize("client_name", ["owner_client", "teammate_client"])
def test_count_returns_matching_contacts(request, client_name, people):
    rules = [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}]

    response = request.getfixturevalue(client_name).post(
        reverse("lists:count_conditions"), builder_data(rules)
    )

    assert response.status_code == 200
    assert count_text(response) == "2 contacts match these rules now."


def test_count_of_no_rules_is_every_contact(owner_client, people):
    response = owner_client.post(reverse("lists:count_conditions"), builder_data([]))

    assert count_text(response) == "4 contacts match these rules now."


def test_count_of_one_contact_is_singular(owner_client, people):
    rules = [{"type": "field", "field": "email", "op": "equals", "value": "NOA@example.com"}]

    response = owner_client.post(reverse("lists:count_conditions"), builder_data(rules))

    assert count_text(response) == "1 contact matches these rules now."


def test_count_asks_to_complete_rules(owner_client, people):
    rules = [{"type": "field", "field": "visits", "op": "gt", "value": ""}]

    response = owner_client.post(reverse("lists:count_conditions"), builder_data(rules))

    assert count_text(response) == "Complete the rules to see how many contacts match."


def test_count_saves_nothing(owner_client, account, people):
    owner_client.post(reverse("lists:count_conditions"), builder_data([]))

    assert not ContactList.objects.filter(account=account).exists()


def test_count_needs_post(owner_client):
    assert owner_client.get(reverse("lists:count_conditions")).status_code == 405


def test_count_sees_only_own_contacts(outsider_client, people, english):
    response = outsider_client.post(reverse("lists:count_conditions"), builder_data([]))

    assert count_text(response) == "0 contacts match these rules now."


def test_count_rejects_another_accounts_list(outsider_client, account, people, english):
    newsletter = actions.create_list(account, name="Newsletter")
    actions.add_contacts(account, newsletter, [people["dana"]], source="manual")
    rules = [{"type": "list", "op": "member", "list_id": str(newsletter.pk)}]

    response = outsider_client.post(reverse("lists:count_conditions"), builder_data(rules))

    assert count_text(response) == "Complete the rules to see how many contacts match."


# Another account.


@pytest.mark.parametrize(
    ("method", "data"),
    [
        ("get", None),
        ("post", builder_data([], name="Hijacked")),
        ("post", builder_data([], name="Hijacked", builder="add")),
    ],
)
def test_outsider_gets_404_and_changes_nothing(outsider_client, in_holon, method, data):
    url = reverse("lists:edit", args=[in_holon.pk])

    response = outsider_client.get(url) if method == "get" else outsider_client.post(url, data)

    assert response.status_code == 404
    in_holon.refresh_from_db()
    assert in_holon.name == "In Holon"
    assert in_holon.conditions["rules"][0]["value"] == "חולון"
