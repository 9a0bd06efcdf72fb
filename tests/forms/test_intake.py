"""Taking submissions: apply, keep with a reason, replay, duplicates, spam, plan limit."""

import pytest

from contacts.models import ConsentRecord, Contact, ContactEvent
from forms import intake
from forms.models import Submission, SubmissionStatus
from lists.models import ListMembership
from smoove import actions as account_actions
from smoove.models import IdentifierPolicy
from tests.conftest import make_account
from tests.forms.conftest import CONSENT_WORDING, build_form, submit

pytestmark = pytest.mark.django_db


def test_submission_applies_values_hidden_lists_and_consent(
    account, source_field, public_lists, target_list
):
    form = build_form(
        account,
        hidden={"source": "טופס 1"},
        offered=[public_lists["shoes"], public_lists["bags"]],
        targets=[target_list],
    )

    received = submit(
        form,
        email="Noa@Example.com",
        first_name="נועה",
        mobile="050-1234567",
        _lists=[public_lists["shoes"].pk],
        _consent_email="on",
    )

    assert received.outcome == intake.Outcome.APPLIED
    contact = Contact.objects.get(account=account, email="noa@example.com")
    assert contact.first_name == "נועה"
    assert contact.mobile == "+972501234567"
    assert contact.fields["source"] == "טופס 1"
    joined = set(
        ListMembership.objects.filter(contact=contact).values_list("contact_list_id", flat=True)
    )
    assert joined == {public_lists["shoes"].pk, target_list.pk}
    consent = ConsentRecord.objects.get(contact=contact)
    assert consent.channel == "email"
    assert consent.wording == CONSENT_WORDING
    assert consent.ip_address == "203.0.113.7"
    assert consent.source == "form"
    event = ContactEvent.objects.get(contact=contact, kind="form_submitted")
    assert event.data["form_id"] == form.pk
    assert event.data["hidden"] == {"source": "טופס 1"}
    submission = received.submission
    assert submission.status == SubmissionStatus.APPLIED
    assert submission.contact_id == contact.pk


def test_visitor_cannot_override_fixed_hidden_value(account, source_field):
    form = build_form(account, hidden={"source": "טופס 1"})

    submit(form, email="a@example.com", source="hacked", city="Eilat")

    contact = Contact.objects.get(account=account, email="a@example.com")
    assert contact.fields["source"] == "טופס 1"
    # city is not on the form, so the POST cannot set it either.
    assert contact.city == ""


def test_hidden_value_from_query_parameter_with_fallback(account, source_field):
    form = build_form(account, hidden={"source": "direct"}, query_param="utm_source")

    submit(form, query={"utm_source": "facebook"}, email="fb@example.com")
    submit(form, query={}, email="none@example.com")

    assert Contact.objects.get(email="fb@example.com").fields["source"] == "facebook"
    assert Contact.objects.get(email="none@example.com").fields["source"] == "direct"


def test_unoffered_list_ids_are_ignored(account, public_lists):
    form = build_form(account, offered=[public_lists["shoes"]])

    submit(form, email="a@example.com", _lists=[public_lists["bags"].pk, "x"])

    contact = Contact.objects.get(email="a@example.com")
    assert not ListMembership.objects.filter(contact=contact).exists()


def test_missing_required_field_is_kept_with_message(account):
    form = build_form(account)

    received = submit(form, email="", first_name="דנה")

    assert received.outcome == intake.Outcome.INVALID
    assert "email" in received.errors
    assert received.errors["email"] == "Fill in “Email”."
    submission = Submission.objects.get(pk=received.submission.pk)
    assert submission.status == SubmissionStatus.INVALID
    assert submission.values["first_name"] == "דנה"
    assert not Contact.objects.filter(account=account).exists()


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("email", "not-an-email", "not a valid email address"),
        ("mobile", "05x-123", "not a phone number"),
        ("mobile", "123", "not a valid phone number"),
    ],
)
def test_malformed_values_are_kept_with_message(account, key, value, expected):
    form = build_form(account)
    values = {"email": "ok@example.com", "mobile": "0501234567", key: value}

    received = submit(form, **values)

    assert received.outcome == intake.Outcome.INVALID
    assert expected in received.errors[key]
    stored = Submission.objects.get(pk=received.submission.pk)
    assert stored.raw[key] == value
    assert stored.errors[key] == received.errors[key]


def test_oversized_values_are_kept_with_message(account):
    form = build_form(account)

    name_received = submit(form, email="a@example.com", first_name="א" * 150)
    huge_received = submit(form, email="b@example.com", first_name="ב" * 50_000)

    assert "longer than 100 characters" in name_received.errors["first_name"]
    assert "longer than 2000 characters" in huge_received.errors["first_name"]
    huge = Submission.objects.get(pk=huge_received.submission.pk)
    assert len(huge.raw["first_name"]) == intake.RAW_MAX_VALUE_LENGTH
    assert huge.status == SubmissionStatus.INVALID


def test_kept_submission_replays_with_corrected_value(account):
    form = build_form(account)
    received = submit(form, email="dana@example", first_name="דנה")

    replayed = intake.replay_submission(received.submission, {"email": "dana@example.com"})

    assert replayed.outcome == intake.Outcome.APPLIED
    contact = Contact.objects.get(account=account, email="dana@example.com")
    assert contact.first_name == "דנה"
    stored = Submission.objects.get(pk=received.submission.pk)
    assert stored.replay_count == 1
    assert stored.errors == {}


def test_applied_submission_cannot_be_replayed(account):
    form = build_form(account)
    received = submit(form, email="a@example.com")

    with pytest.raises(ValueError, match="Only a kept submission"):
        intake.replay_submission(received.submission)


def test_same_post_sent_twice_is_applied_once(account):
    form = build_form(account)

    first = submit(form, email="a@example.com", _nonce="n-1")
    second = submit(form, email="a@example.com", _nonce="n-1")

    assert first.outcome == intake.Outcome.APPLIED
    assert second.outcome == intake.Outcome.DUPLICATE
    contact = Contact.objects.get(email="a@example.com")
    assert ContactEvent.objects.filter(contact=contact, kind="form_submitted").count() == 1
    assert Submission.objects.get(pk=second.submission.pk).status == SubmissionStatus.DUPLICATE


def test_corrected_resubmission_supersedes_invalid_try(account):
    form = build_form(account)

    invalid = submit(form, email="a@example", _nonce="n-2")
    fixed = submit(form, email="a@example.com", _nonce="n-2")

    assert fixed.outcome == intake.Outcome.APPLIED
    assert Submission.objects.get(pk=invalid.submission.pk).status == SubmissionStatus.SUPERSEDED


def test_honeypot_keeps_submission_as_spam(account):
    form = build_form(account)

    received = submit(form, email="bot@example.com", _url="http://spam.example")

    assert received.outcome == intake.Outcome.SPAM
    assert not Contact.objects.filter(account=account).exists()
    assert Submission.objects.get(pk=received.submission.pk).status == SubmissionStatus.SPAM


def test_plan_limit_keeps_contact_and_says_so(db):
    account = make_account("עסק חדש", "new@example.com").account
    account_actions.set_plan(account, account.plan, 1)
    account.refresh_from_db()
    form = build_form(account, consent=False)

    first = submit(form, email="one@example.com")
    second = submit(form, email="two@example.com", first_name="שני")

    assert first.submission.over_plan is False
    assert second.outcome == intake.Outcome.APPLIED
    assert second.submission.over_plan is True
    assert "contact limit" in second.submission.reason
    contact = Contact.objects.get(account=account, email="two@example.com")
    assert contact.over_plan
    assert contact.first_name == "שני"


def test_internal_error_keeps_submission_for_replay(account, target_list, monkeypatch):
    form = build_form(account, targets=[target_list])

    def broken_add(*args, **kwargs):
        raise RuntimeError("list table unavailable")

    monkeypatch.setattr(intake.list_actions, "add_contacts", broken_add)
    received = submit(form, email="a@example.com")
    monkeypatch.undo()

    assert received.outcome == intake.Outcome.FAILED
    assert "RuntimeError" in received.submission.reason
    # The upsert committed on its own; the list, consent and event did not.
    contact = Contact.objects.get(account=account, email="a@example.com")
    assert not ListMembership.objects.filter(contact=contact).exists()
    assert not ContactEvent.objects.filter(contact=contact, kind="form_submitted").exists()

    replayed = intake.replay_submission(received.submission)

    assert replayed.outcome == intake.Outcome.APPLIED
    assert ListMembership.objects.filter(contact=contact, contact_list=target_list).exists()
    assert ContactEvent.objects.filter(contact=contact, kind="form_submitted").count() == 1


def test_invalid_hidden_value_is_left_out_with_warning(account):
    from contacts import actions as contact_actions

    contact_actions.create_custom_field(account, label="גיל", key="age", type="number")
    form = build_form(account, hidden={"age": "thirty"})

    received = submit(form, email="a@example.com")

    assert received.outcome == intake.Outcome.APPLIED
    assert "thirty" in received.submission.warnings[0]
    assert "age" not in Contact.objects.get(email="a@example.com").fields


def test_external_id_policy_matches_on_external_id(db):
    account = make_account("ארגון", "org@example.com", paid=True).account
    account.identifier_policy = IdentifierPolicy.EXTERNAL_ID
    account.save(update_fields=["identifier_policy"])
    form = build_form(account, extra_fields=("email",), consent=False)

    submit(form, external_id="012345678", email="shared@example.com", first_name="רון")
    submit(form, external_id="087654321", email="shared@example.com", first_name="מיכל")
    submit(form, external_id="012345678", email="shared@example.com", first_name="רוני")

    contacts = Contact.objects.filter(account=account).order_by("external_id")
    assert [(c.external_id, c.first_name) for c in contacts] == [
        ("012345678", "רוני"),
        ("087654321", "מיכל"),
    ]


def test_required_consent_must_be_ticked(account):
    from forms import actions

    form = build_form(account, consent=False)
    actions.set_consent(
        account, form, channel="sms", enabled=True, wording="מסכים ל-SMS", required=True
    )

    received = submit(form, email="a@example.com")

    assert received.outcome == intake.Outcome.INVALID
    assert "_consent_sms" in received.errors


def test_has_submitted_reads_events(account):
    from forms import queries

    form = build_form(account)
    other = build_form(account, name="אחר")
    submit(form, email="a@example.com")
    contact = Contact.objects.get(email="a@example.com")

    assert queries.has_submitted(contact, form.pk) is True
    assert queries.has_submitted(contact, other.pk) is False
