"""Reads of forms, landing pages and submissions, scoped to an account, and their reports."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.http import Http404

from contacts import queries as contact_queries
from contacts.fields import SYSTEM_FIELDS, FieldSpec
from contacts.models import Contact, ContactEvent
from forms.models import (
    COUNTED_STATUSES,
    FORM_SUBMITTED_EVENT,
    KEPT_STATUSES,
    Form,
    FormField,
    FormList,
    FormListRole,
    FormStatus,
    LandingPage,
    Placement,
    Submission,
    SubmissionStatus,
)
from smoove.models import Account


def forms_of_account(account: Account) -> QuerySet[Form]:
    return Form.objects.filter(account=account)


def get_form_for_account(account: Account, pk: int | str) -> Form:
    form = Form.objects.filter(account=account, pk=pk).first() if str(pk).isdigit() else None
    if form is None:
        raise Http404("Form not found.")
    return form


def get_field_for_form(form: Form, pk: int | str) -> FormField:
    found = (
        FormField.objects.filter(account_id=form.account_id, form=form, pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        raise Http404("Field not found.")
    return found


def get_published_form(token: str) -> Form:
    """Return the published form with this public token, for visitors."""
    form = (
        Form.objects.select_related("account")
        .filter(public_token=token, status=FormStatus.PUBLISHED)
        .first()
    )
    if form is None:
        raise Http404("Form not found.")
    return form


def pages_of_account(account: Account) -> QuerySet[LandingPage]:
    return LandingPage.objects.filter(account=account)


def get_page_for_account(account: Account, pk: int | str) -> LandingPage:
    page = LandingPage.objects.filter(account=account, pk=pk).first() if str(pk).isdigit() else None
    if page is None:
        raise Http404("Landing page not found.")
    return page


def get_published_page(token: str) -> LandingPage:
    page = (
        LandingPage.objects.select_related("account")
        .filter(public_token=token, is_published=True)
        .first()
    )
    if page is None:
        raise Http404("Landing page not found.")
    return page


def find_page_of_form(form: Form, page_token: str) -> LandingPage | None:
    """Return the landing page with this token if it carries the form, else None."""
    if not page_token:
        return None
    return LandingPage.objects.filter(
        account_id=form.account_id, public_token=page_token, placements__form=form
    ).first()


def placements_of_page(page: LandingPage) -> list[Placement]:
    from forms.models import SLOT_ORDER

    placements = Placement.objects.filter(account_id=page.account_id, page=page).select_related(
        "form"
    )
    return sorted(placements, key=lambda placement: SLOT_ORDER[placement.slot])


def submissions_of_form(form: Form) -> QuerySet[Submission]:
    return Submission.objects.filter(account_id=form.account_id, form=form)


def get_submission_for_form(form: Form, pk: int | str) -> Submission:
    found = (
        Submission.objects.filter(account_id=form.account_id, form=form, pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        raise Http404("Submission not found.")
    return found


@dataclass
class FormDefinition:
    """A form with everything needed to show it and take a submission, loaded once."""

    form: Form
    visible: list[tuple[FormField, FieldSpec]]
    hidden: list[tuple[FormField, FieldSpec]]
    offered_lists: list[Any]
    target_list_ids: list[int]
    consents: list[Any]
    # Fields whose contact field was deleted since they were added.
    orphans: list[FormField] = field(default_factory=list)
    # The account's custom field specs, for checking values without
    # reading them again.
    custom_fields: dict[str, FieldSpec] = field(default_factory=dict)


def load_definition(form: Form) -> FormDefinition:
    """Load a form's fields with their contact field specs, lists and consents (4 queries)."""
    custom_fields = contact_queries.custom_field_specs(form.account)
    specs = {spec.key: spec for spec in (*SYSTEM_FIELDS, *custom_fields.values())}
    visible: list[tuple[FormField, FieldSpec]] = []
    hidden: list[tuple[FormField, FieldSpec]] = []
    orphans: list[FormField] = []
    for form_field in FormField.objects.filter(account_id=form.account_id, form=form):
        spec = specs.get(form_field.field_key)
        if spec is None:
            orphans.append(form_field)
        elif form_field.is_hidden:
            hidden.append((form_field, spec))
        else:
            visible.append((form_field, spec))
    offered = []
    target_ids = []
    for form_list in FormList.objects.filter(account_id=form.account_id, form=form).select_related(
        "contact_list"
    ):
        if form_list.role == FormListRole.OFFERED:
            offered.append(form_list.contact_list)
        else:
            target_ids.append(form_list.contact_list_id)
    return FormDefinition(
        form=form,
        visible=visible,
        hidden=hidden,
        offered_lists=offered,
        target_list_ids=target_ids,
        consents=list(form.consents.filter(account_id=form.account_id)),
        orphans=orphans,
        custom_fields=custom_fields,
    )


@dataclass
class FormReport:
    views: int
    submissions: int
    kept: int
    awaiting_confirmation: int
    # Hidden field key to [(value, count)], most frequent first.
    by_hidden_value: dict[str, list[tuple[str, int]]]
    # [(page name or "", count)]
    by_page: list[tuple[str, int]]

    @property
    def conversion(self) -> float | None:
        """Return submissions per view as a percentage, or None before any view."""
        if not self.views:
            return None
        return round(100 * self.submissions / self.views, 1)


def status_counts(submissions: QuerySet[Submission]) -> dict[str, int]:
    return dict(
        submissions.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )


def hidden_value_counts(
    submissions: QuerySet[Submission], keys: list[str]
) -> dict[str, list[tuple[str, int]]]:
    """Count counted submissions by the value of each hidden field key."""
    counted = submissions.filter(status__in=COUNTED_STATUSES)
    result: dict[str, list[tuple[str, int]]] = {}
    for key in keys:
        rows = (
            counted.annotate(value=KeyTextTransform(key, "hidden_values"))
            .values("value")
            .annotate(n=Count("id"))
            .order_by("-n", "value")
        )
        result[key] = [(row["value"] or "", row["n"]) for row in rows]
    return result


def form_report(form: Form) -> FormReport:
    submissions = submissions_of_form(form)
    counts = status_counts(submissions)
    hidden_keys = list(
        FormField.objects.filter(account_id=form.account_id, form=form, is_hidden=True).values_list(
            "field_key", flat=True
        )
    )
    by_page_rows = (
        submissions.filter(status__in=COUNTED_STATUSES)
        .values("page__name")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return FormReport(
        views=form.view_count,
        submissions=sum(counts.get(status, 0) for status in COUNTED_STATUSES),
        kept=sum(counts.get(status, 0) for status in KEPT_STATUSES),
        awaiting_confirmation=counts.get(SubmissionStatus.AWAITING_CONFIRMATION, 0),
        by_hidden_value=hidden_value_counts(submissions, hidden_keys),
        by_page=[(row["page__name"] or "", row["n"]) for row in by_page_rows],
    )


@dataclass
class PlacementRow:
    placement: Placement
    hidden_values: dict[str, str]
    submissions: int

    @property
    def conversion(self) -> float | None:
        views = self.placement.page.view_count
        return round(100 * self.submissions / views, 1) if views else None


@dataclass
class PageReport:
    views: int
    submissions: int
    rows: list[PlacementRow]
    by_hidden_value: dict[str, list[tuple[str, int]]]

    @property
    def conversion(self) -> float | None:
        if not self.views:
            return None
        return round(100 * self.submissions / self.views, 1)


def page_report(page: LandingPage) -> PageReport:
    """Count a page's submissions per placed form and per hidden field value."""
    placements = placements_of_page(page)
    submissions = Submission.objects.filter(account_id=page.account_id, page=page)
    counted = submissions.filter(status__in=COUNTED_STATUSES)
    per_slot = dict(counted.values_list("slot").annotate(n=Count("id")).values_list("slot", "n"))
    hidden_fields = FormField.objects.filter(
        account_id=page.account_id,
        form_id__in=[placement.form_id for placement in placements],
        is_hidden=True,
    )
    fixed_by_form: dict[int, dict[str, str]] = {}
    for hidden_field in hidden_fields:
        fixed_by_form.setdefault(hidden_field.form_id, {})[hidden_field.field_key] = (
            hidden_field.fixed_value
        )
    rows = [
        PlacementRow(
            placement=placement,
            hidden_values=fixed_by_form.get(placement.form_id, {}),
            submissions=per_slot.get(placement.slot, 0),
        )
        for placement in placements
    ]
    keys = sorted({hidden_field.field_key for hidden_field in hidden_fields})
    return PageReport(
        views=page.view_count,
        submissions=sum(per_slot.values()),
        rows=rows,
        by_hidden_value=hidden_value_counts(submissions, keys),
    )


def unconfirmed_submissions(form: Form) -> QuerySet[Submission]:
    return submissions_of_form(form).filter(status=SubmissionStatus.AWAITING_CONFIRMATION)


def kept_count(account: Account) -> int:
    return Submission.objects.filter(account=account, status__in=KEPT_STATUSES).count()


def forms_with_counts(account: Account) -> QuerySet[Form]:
    """Return the account's forms with submission_count and kept_count annotated."""
    return Form.objects.filter(account=account).annotate(
        submission_count=Count("submissions", filter=Q(submissions__status__in=COUNTED_STATUSES)),
        kept_count=Count("submissions", filter=Q(submissions__status__in=KEPT_STATUSES)),
    )


def has_submitted(contact: Contact, form_id: int) -> bool:
    """Return whether the contact has an applied submission of the form.

    Reads form_submitted events, which every applied submission records, so
    a condition such as "form status: submitted" costs one indexed query.
    """
    return ContactEvent.objects.filter(
        account_id=contact.account_id,
        contact=contact,
        kind=FORM_SUBMITTED_EVENT,
        data__form_id=form_id,
    ).exists()
