"""The all-contacts table: columns, sorting, search, filters, paging and htmx."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts import actions
from contacts.models import Contact, FieldType
from smoove import actions as account_actions
from smoove.models import Plan

INDEX = reverse("contacts:index")


def add(account, **values):
    return actions.upsert_contact(account, values, source="api").contact


def shown_emails(response):
    return [row.contact.email for row in response.context["table"]["rows"]]


@pytest.fixture
def source_field(account):
    """A hidden form field recording which form a contact signed up on."""
    return actions.create_custom_field(
        account, label="מקור הרשמה", key="source", type=FieldType.TEXT
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("city", ["b@example.com", "c@example.com", "a@example.com", "empty@example.com"]),
        ("-city", ["a@example.com", "c@example.com", "b@example.com", "empty@example.com"]),
    ],
)
def test_sort_by_system_field(owner_client, account, sort, expected):
    add(account, email="a@example.com", city="תל אביב")
    add(account, email="b@example.com", city="אילת")
    add(account, email="c@example.com", city="חולון")
    add(account, email="empty@example.com")

    response = owner_client.get(INDEX, {"sort": sort})

    assert response.status_code == 200
    assert shown_emails(response) == expected


@pytest.mark.django_db
def test_sort_by_custom_field_hebrew(owner_client, account, source_field):
    add(account, email="f2@example.com", source="טופס 2")
    add(account, email="fb@example.com", source="פייסבוק")
    add(account, email="f1@example.com", source="טופס 1")
    add(account, email="g@example.com", source="גוגל")
    add(account, email="none@example.com")

    ascending = owner_client.get(INDEX, {"sort": "source", "columns": "email,source"})
    descending = owner_client.get(INDEX, {"sort": "-source"})

    assert shown_emails(ascending) == [
        "g@example.com",
        "f1@example.com",
        "f2@example.com",
        "fb@example.com",
        "none@example.com",
    ]
    assert shown_emails(descending) == [
        "fb@example.com",
        "f2@example.com",
        "f1@example.com",
        "g@example.com",
        "none@example.com",
    ]
    assert "מקור הרשמה" in descending.content.decode()
    assert 'aria-sort="descending"' in descending.content.decode()


@pytest.mark.django_db
def test_sort_by_custom_number_is_numeric(owner_client, account):
    actions.create_custom_field(account, label="Orders", key="orders", type=FieldType.NUMBER)
    add(account, email="ten@example.com", orders=10)
    add(account, email="nine@example.com", orders=9)
    add(account, email="hundred@example.com", orders=100)
    add(account, email="half@example.com", orders=9.5)

    response = owner_client.get(INDEX, {"sort": "orders"})

    assert shown_emails(response) == [
        "nine@example.com",
        "half@example.com",
        "ten@example.com",
        "hundred@example.com",
    ]


@pytest.mark.django_db
def test_sort_by_custom_date(owner_client, account):
    actions.create_custom_field(
        account, label="Invoice date", key="invoice_date", type=FieldType.DATE
    )
    add(account, email="march@example.com", invoice_date="01/03/2024")
    add(account, email="december@example.com", invoice_date="31/12/2023")
    add(account, email="june@example.com", invoice_date="2024-06-15")

    response = owner_client.get(INDEX, {"sort": "-invoice_date", "columns": "email,invoice_date"})

    assert shown_emails(response) == [
        "june@example.com",
        "march@example.com",
        "december@example.com",
    ]
    assert "15/06/2024" in response.content.decode()


@pytest.mark.django_db
def test_sort_ties_break_by_id(owner_client, account):
    first = add(account, email="1@example.com", city="חיפה")
    second = add(account, email="2@example.com", city="חיפה")

    ascending = owner_client.get(INDEX, {"sort": "city"})
    descending = owner_client.get(INDEX, {"sort": "-city"})

    assert [row.contact.pk for row in ascending.context["table"]["rows"]] == [first.pk, second.pk]
    assert [row.contact.pk for row in descending.context["table"]["rows"]] == [second.pk, first.pk]


@pytest.mark.django_db
def test_sort_by_unknown_field_is_ignored(owner_client, account):
    add(account, email="a@example.com")

    response = owner_client.get(INDEX, {"sort": "password"})

    assert response.status_code == 200
    assert response.context["table"]["state"].sort == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        "050-1234567",
        "0501234567",
        "050 123 4567",
        "(050) 123-4567",
        "+972 50-123-4567",
        "972501234567",
        "00972501234567",
        "501234567",
        "123-4567",
    ],
)
def test_search_by_phone_in_israeli_formats(owner_client, account, typed):
    add(account, email="dana@example.com", mobile="050-1234567")
    add(account, email="other@example.com", mobile="052-7654321")

    response = owner_client.get(INDEX, {"q": typed})

    assert shown_emails(response) == ["dana@example.com"]


@pytest.mark.django_db
def test_search_by_landline(owner_client, account):
    add(account, email="office@example.com", phone="03-5551234")
    add(account, email="other@example.com", mobile="052-7654321")

    response = owner_client.get(INDEX, {"q": "03-555-1234"})

    assert shown_emails(response) == ["office@example.com"]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["דנה", "דנה כהן", "כהן", "DANA@example", "  דנה   כהן "])
def test_search_by_name_and_email(owner_client, account, typed):
    add(account, email="dana@example.com", first_name="דנה", last_name="כהן")
    add(account, email="yossi@example.com", first_name="יוסי", last_name="לוי")

    response = owner_client.get(INDEX, {"q": typed})

    assert shown_emails(response) == ["dana@example.com"]


@pytest.mark.django_db
def test_filter_by_custom_field(owner_client, account, source_field):
    add(account, email="fb@example.com", source="פייסבוק", city="חולון")
    add(account, email="fb2@example.com", source="פייסבוק", city="חיפה")
    add(account, email="g@example.com", source="גוגל", city="חולון")

    response = owner_client.get(
        INDEX,
        {
            "filter_field": ["source", "city"],
            "filter_op": ["equals", "equals"],
            "filter_value": ["פייסבוק", "חולון"],
            "filter_value2": ["", ""],
        },
    )

    assert shown_emails(response) == ["fb@example.com"]
    assert response.context["table"]["errors"] == ()


@pytest.mark.django_db
def test_filter_between_numbers(owner_client, account):
    actions.create_custom_field(account, label="Orders", key="orders", type=FieldType.NUMBER)
    add(account, email="one@example.com", orders=1)
    add(account, email="five@example.com", orders=5)
    add(account, email="nine@example.com", orders=9)

    response = owner_client.get(
        INDEX,
        {
            "filter_field": "orders",
            "filter_op": "between",
            "filter_value": "2",
            "filter_value2": "9",
        },
    )

    assert shown_emails(response) == ["nine@example.com", "five@example.com"]


@pytest.mark.django_db
def test_filter_mobile_equals_typed_number(owner_client, account):
    add(account, email="dana@example.com", mobile="+972501234567")
    add(account, email="other@example.com", mobile="052-7654321")

    response = owner_client.get(
        INDEX, {"filter_field": "mobile", "filter_op": "equals", "filter_value": "050-123-4567"}
    )

    assert shown_emails(response) == ["dana@example.com"]


@pytest.mark.django_db
def test_incomplete_filter_not_applied(owner_client, account):
    add(account, email="a@example.com", city="חולון")
    add(account, email="b@example.com", city="חיפה")

    response = owner_client.get(
        INDEX, {"filter_field": "city", "filter_op": "equals", "filter_value": ""}
    )

    assert len(shown_emails(response)) == 2
    assert [row.rule.field for row in response.context["table"]["filter_rows"]] == ["city", ""]


@pytest.mark.django_db
def test_invalid_filter_shows_error(owner_client, account):
    actions.create_custom_field(account, label="Orders", key="orders", type=FieldType.NUMBER)
    add(account, email="a@example.com", orders=3)

    response = owner_client.get(
        INDEX, {"filter_field": "orders", "filter_op": "gt", "filter_value": "many"}
    )

    assert response.status_code == 200
    assert shown_emails(response) == ["a@example.com"]
    assert len(response.context["table"]["errors"]) == 1
    assert "many" in response.context["table"]["errors"][0]


@pytest.mark.django_db
def test_paging_shows_fifty_a_page(owner_client, account):
    actions.upsert_contacts(
        account, [{"email": f"c{i:03}@example.com"} for i in range(120)], source="import"
    )

    first = owner_client.get(INDEX, {"sort": "email"})
    third = owner_client.get(INDEX, {"sort": "email", "page": "3"})
    beyond = owner_client.get(INDEX, {"sort": "email", "page": "99"})

    assert shown_emails(first) == [f"c{i:03}@example.com" for i in range(50)]
    assert shown_emails(third) == [f"c{i:03}@example.com" for i in range(100, 120)]
    assert shown_emails(beyond) == shown_emails(third)
    assert "/contacts/?sort=email&amp;page=2" in first.content.decode()
    assert third.context["table"]["page"].start_index() == 101
    assert third.context["table"]["page"].paginator.count == 120


@pytest.mark.django_db
def test_links_keep_search_and_filters(owner_client, account):
    actions.upsert_contacts(
        account,
        [{"email": f"c{i:03}@example.com", "city": "חולון"} for i in range(60)],
        source="import",
    )

    response = owner_client.get(
        INDEX,
        {
            "q": "example",
            "filter_field": "city",
            "filter_op": "equals",
            "filter_value": "חולון",
            "sort": "-email",
        },
    )

    state = response.context["table"]["state"]
    assert response.context["table"]["next_query"] == state.query_string(page=2)
    assert "q=example" in response.context["table"]["next_query"]
    assert "filter_value=%D7%97%D7%95%D7%9C%D7%95%D7%9F" in response.context["table"]["next_query"]
    assert "sort=-email" in response.context["table"]["next_query"]


@pytest.mark.django_db
def test_column_choice_is_remembered(owner_client, account, source_field):
    add(account, email="a@example.com", city="חולון", source="טופס 1")

    chosen = owner_client.get(INDEX, {"columns": ["email", "source"]})
    later = owner_client.get(INDEX)

    assert [h.key for h in chosen.context["table"]["headers"]] == ["email", "source"]
    assert [h.key for h in later.context["table"]["headers"]] == ["email", "source"]
    assert "טופס 1" in later.content.decode()
    assert "חולון" not in later.content.decode().split("<tbody>")[1]


@pytest.mark.django_db
def test_column_choice_is_per_user(owner_client, teammate_client, account):
    add(account, email="a@example.com")

    owner_client.get(INDEX, {"columns": "email"})
    teammate = teammate_client.get(INDEX)

    assert [h.key for h in teammate.context["table"]["headers"]] == [
        "first_name",
        "last_name",
        "email",
        "mobile",
        "city",
    ]


@pytest.mark.django_db
def test_unknown_columns_fall_back_to_defaults(owner_client, account):
    response = owner_client.get(INDEX, {"columns": "nope,password"})

    assert [h.key for h in response.context["table"]["headers"]][0] == "first_name"


@pytest.mark.django_db
def test_htmx_request_gets_fragment(owner_client, account):
    add(account, email="a@example.com")

    response = owner_client.get(INDEX, {"sort": "email"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "<html" not in body
    assert 'id="table-form"' in body
    assert "a@example.com" in body
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.django_db
def test_htmx_pushes_normalised_url(owner_client, account):
    response = owner_client.get(
        INDEX,
        {
            "q": "",
            "sort": "-city",
            "columns": ["email", "city"],
            "filter_field": ["city", ""],
            "filter_op": ["equals", "contains"],
            "filter_value": ["חולון", ""],
            "filter_value2": ["", ""],
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.headers["HX-Push-Url"] == (
        "/contacts/?filter_field=city&filter_op=equals"
        "&filter_value=%D7%97%D7%95%D7%9C%D7%95%D7%9F&filter_value2=&sort=-city"
    )


@pytest.mark.django_db
def test_column_chooser_lists_shown_columns_first(owner_client, account):
    response = owner_client.get(INDEX, {"columns": "city,email"})

    choices = response.context["table"]["column_choices"]
    assert [(c.spec.key, c.checked) for c in choices[:3]] == [
        ("city", True),
        ("email", True),
        ("mobile", False),
    ]


@pytest.mark.django_db
def test_history_restore_gets_full_page(owner_client, account):
    response = owner_client.get(
        INDEX, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    assert "<html" in response.content.decode()


@pytest.mark.django_db
def test_rows_link_to_contact_card(owner_client, account):
    contact = add(account, email="a@example.com", first_name="דנה")

    response = owner_client.get(INDEX)

    assert f'href="{reverse("contacts:detail", args=[contact.pk])}"' in response.content.decode()


@pytest.mark.django_db
def test_over_plan_contact_has_pill(owner_client, account):
    account_actions.set_plan(account, Plan.FREE, 1)
    add(account, email="within@example.com")
    over = add(account, email="over@example.com")
    assert Contact.objects.get(pk=over.pk).over_plan

    response = owner_client.get(INDEX, {"sort": "email"})

    rows = response.content.decode().split("<tbody>")[1].split("</tr>")
    over_row = next(row for row in rows if "over@example.com" in row)
    within_row = next(row for row in rows if "within@example.com" in row)
    assert 'class="pill warn"' in over_row
    assert 'class="pill warn"' not in within_row


@pytest.mark.django_db
def test_page_query_count_constant(owner_client, account, source_field):
    actions.upsert_contacts(
        account,
        [{"email": f"c{i}@example.com", "source": "טופס 1"} for i in range(3)],
        source="import",
    )
    params = {"columns": "email,mobile,source", "sort": "source", "q": "example"}
    # The first request also stores the column choice in the session.
    owner_client.get(INDEX, params)
    with CaptureQueriesContext(connection) as few:
        owner_client.get(INDEX, params)

    actions.upsert_contacts(
        account,
        [{"email": f"d{i}@example.com", "source": "טופס 2"} for i in range(80)],
        source="import",
    )
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(INDEX, params)

    assert len(response.context["table"]["rows"]) == 50
    assert len(many) == len(few)
    assert len(many) <= 12


@pytest.mark.django_db
def test_outsider_sees_only_own_contacts(outsider_client, account, outsider_account):
    add(account, email="secret@example.com", first_name="סוד")
    add(outsider_account, email="mine@example.org")

    response = outsider_client.get(INDEX)
    searched = outsider_client.get(INDEX, {"q": "secret"})

    assert shown_emails(response) == ["mine@example.org"]
    assert "secret@example.com" not in response.content.decode()
    assert shown_emails(searched) == []


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(INDEX)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]
