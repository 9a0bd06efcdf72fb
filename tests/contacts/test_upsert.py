import pytest

from contacts import actions
from contacts.actions import ContactError, EventKind
from contacts.models import Contact, ContactEvent
from smoove.models import IdentifierPolicy


@pytest.mark.django_db
def test_upsert_matches_email_case_insensitively(account):
    first = actions.upsert_contact(
        account, {"email": " Dana@Example.COM ", "first_name": "דנה"}, source="api"
    )
    second = actions.upsert_contact(
        account, {"email": "dana@example.com", "city": "חולון"}, source="api"
    )

    assert first.created
    assert not second.created
    assert second.contact.pk == first.contact.pk
    stored = Contact.objects.get(pk=first.contact.pk)
    assert stored.email == "dana@example.com"
    assert stored.first_name == "דנה"
    assert stored.city == "חולון"


@pytest.mark.django_db
def test_upsert_never_wipes_with_empty(account):
    actions.upsert_contact(
        account, {"email": "a@example.com", "first_name": "Avi", "city": "חיפה"}, source="api"
    )
    outcome = actions.upsert_contact(
        account, {"email": "a@example.com", "first_name": "", "city": None}, source="api"
    )

    assert outcome.changed_fields == []
    assert outcome.contact.first_name == "Avi"
    assert outcome.contact.city == "חיפה"


@pytest.mark.django_db
def test_upsert_records_created_and_updated_events(account):
    outcome = actions.upsert_contact(account, {"email": "a@example.com"}, source="api")
    actions.upsert_contact(account, {"email": "a@example.com", "city": "Eilat"}, source="import")

    kinds = list(
        ContactEvent.objects.filter(contact=outcome.contact)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [EventKind.CREATED, EventKind.UPDATED]
    updated = ContactEvent.objects.get(contact=outcome.contact, kind=EventKind.UPDATED)
    assert updated.data["changes"] == {"city": ["", "Eilat"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        "050-1234567",
        "0501234567",
        "+972 50-123-4567",
        "972501234567",
        "00972501234567",
        "501234567",
    ],
)
def test_israeli_mobile_formats_normalise(account, raw):
    outcome = actions.upsert_contact(
        account, {"email": "m@example.com", "mobile": raw}, source="api"
    )
    assert outcome.contact.mobile == "+972501234567"


@pytest.mark.django_db
def test_landline_is_kept_but_not_a_mobile(account):
    outcome = actions.upsert_contact(
        account, {"email": "l@example.com", "mobile": "02-6000005"}, source="api"
    )
    assert outcome.contact.mobile == ""
    assert outcome.contact.phone == "+97226000005"


@pytest.mark.django_db
def test_garbage_phone_is_a_field_error(account):
    with pytest.raises(ContactError) as caught:
        actions.upsert_contact(
            account, {"email": "g@example.com", "mobile": "abc-123"}, source="api"
        )
    assert "mobile" in caught.value.field_errors
    assert not Contact.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_lenient_upsert_keeps_contact_without_bad_value(account):
    outcome = actions.upsert_contacts(
        account, [{"email": "g@example.com", "mobile": "abc-123"}], source="import", strict=False
    )[0]
    assert outcome.applied
    assert outcome.contact.mobile == ""
    assert "mobile" in outcome.errors


@pytest.mark.django_db
def test_missing_identifier_is_not_applied(account):
    outcome = actions.upsert_contacts(
        account, [{"first_name": "בלי מייל"}], source="import", strict=False
    )[0]
    assert not outcome.applied
    assert "email" in outcome.errors


@pytest.mark.django_db
def test_external_id_policy_lets_emails_repeat(account):
    account.identifier_policy = IdentifierPolicy.EXTERNAL_ID
    account.save()
    a = actions.upsert_contact(
        account, {"external_id": "123456782", "email": "couple@example.com"}, source="api"
    )
    b = actions.upsert_contact(
        account, {"external_id": "987654321", "email": "couple@example.com"}, source="api"
    )
    again = actions.upsert_contact(
        account, {"external_id": "123456782", "first_name": "רון"}, source="api"
    )

    assert a.contact.pk != b.contact.pk
    assert again.contact.pk == a.contact.pk
    assert Contact.objects.filter(account=account, email="couple@example.com").count() == 2


@pytest.mark.django_db
def test_batch_merges_duplicates_within_the_batch(account):
    outcomes = actions.upsert_contacts(
        account,
        [
            {"email": "x@example.com", "first_name": "One"},
            {"email": "X@example.com ", "city": "Acre"},
        ],
        source="import",
    )
    assert outcomes[0].contact.pk == outcomes[1].contact.pk
    assert outcomes[0].created
    assert not outcomes[1].created
    stored = Contact.objects.get(account=account, identity="x@example.com")
    assert (stored.first_name, stored.city) == ("One", "Acre")


@pytest.mark.django_db
def test_free_plan_keeps_contacts_past_the_limit(db):
    from tests.conftest import make_account

    account = make_account("Free biz", "free@example.com").account
    account.contact_limit = 3
    account.save()
    outcomes = actions.upsert_contacts(
        account, [{"email": f"c{i}@example.com"} for i in range(5)], source="import"
    )

    assert all(o.applied for o in outcomes)
    assert [o.contact.over_plan for o in outcomes] == [False, False, False, True, True]

    from smoove.actions import set_plan

    set_plan(account, "paid", None)
    assert not Contact.objects.filter(account=account, over_plan=True).exists()


@pytest.mark.django_db
def test_update_from_stale_instance_keeps_newer_values(account):
    contact = actions.upsert_contact(
        account, {"email": "stale@example.com", "city": "חיפה"}, source="api"
    ).contact
    stale = Contact.objects.get(pk=contact.pk)
    actions.update_contact(account, contact, {"first_name": "נועה"}, source="manual")

    actions.update_contact(account, stale, {"city": "חולון"}, source="automation")

    stored = Contact.objects.get(pk=contact.pk)
    assert stored.first_name == "נועה"
    assert stored.city == "חולון"
    assert stale.first_name == "נועה"


@pytest.mark.django_db
def test_update_from_stale_instance_keeps_other_custom_fields(account):
    for key in ("paid", "invoice_date"):
        actions.create_custom_field(account, key=key, label=key, type="text")
    contact = actions.upsert_contact(account, {"email": "inv@example.com"}, source="api").contact
    stale = Contact.objects.get(pk=contact.pk)
    actions.update_contact(account, contact, {"invoice_date": "2026-12-01"}, source="api")

    actions.update_contact(account, stale, {"paid": "yes"}, source="automation")

    stored = Contact.objects.get(pk=contact.pk)
    assert stored.fields == {"invoice_date": "2026-12-01", "paid": "yes"}
