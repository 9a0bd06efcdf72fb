"""No URL of one account reads or writes another account's rows.

The tests walk every URL pattern that Django resolves, so a new URL is
covered as soon as it exists. Each named URL must be classified in ROUTES:

- Public: reachable without an account (sign-in, tokens in the URL, docs).
- AccountLevel: the signed-in account's own collection, with no object id
  in the path. Account B's listings must not show account A's rows, and
  B's POST, even naming A's ids in the body, must change nothing of A's.
- ObjectBound: an id of account A's object is in the path. B, by session
  or by API key, gets 404 on GET, POST, PATCH and DELETE, or 405 where
  the view does not take the method, and nothing of A's changes.

An app may keep its entries in tests/<app>/tenancy.py, as a routes()
function that ROUTES is updated with below. A URL name missing from ROUTES
fails test_every_url_is_classified with its name, so whoever adds a URL
decides which kind it is.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from contacts import actions as contact_actions
from contacts.models import (
    ConsentRecord,
    Contact,
    ContactEvent,
    CustomField,
    ImportJob,
    ImportRowIssue,
    ImportStatus,
    RowIssueLevel,
    Suppression,
)
from forms import actions as form_actions
from forms.models import (
    Form,
    FormConsent,
    FormField,
    FormList,
    LandingPage,
    Placement,
    Submission,
)
from lists import actions as list_actions
from lists.models import ContactList, ListMembership
from smoove import actions as account_actions
from smoove.middleware import ACCOUNT_SESSION_KEY
from smoove.models import Account, ApiKey, Invitation, Membership
from tests.automation import tenancy as automation_tenancy
from tests.campaigns import tenancy as campaigns_tenancy
from tests.forms import tenancy as forms_tenancy

pytestmark = pytest.mark.django_db

# Values stored only in account A. None may appear in a page of account B.
MARKER_EMAIL = "marker-of-account-a@example.com"
MARKER_NAME = "סימן-של-חשבון-א"
MARKER_LIST = "רשימה-של-חשבון-א"
MARKER_FIELD = "שדה-של-חשבון-א"
MARKER_FORM = "טופס-סימון-של-חשבון-א"
MARKERS = (MARKER_EMAIL, MARKER_NAME, MARKER_LIST, MARKER_FIELD, MARKER_FORM)


@dataclass
class WorldA:
    """Rows of account A that the object-bound URLs point at."""

    account: Account
    contact: Contact
    custom_field: CustomField
    contact_list: ContactList
    import_job: ImportJob
    api_key: ApiKey
    form: Form
    page: LandingPage


@dataclass(frozen=True)
class Public:
    reason: str


@dataclass(frozen=True)
class AccountLevel:
    pass


@dataclass(frozen=True)
class ObjectBound:
    """A URL with account A's object in its path; kwargs builds its arguments."""

    kwargs: Callable[[WorldA], dict[str, Any]]
    # Statuses besides 404 and 405 that account B may get, with the reason.
    also_allowed: dict[int, str] = field(default_factory=dict)


def contact_pk(world: WorldA) -> dict[str, Any]:
    return {"pk": world.contact.pk}


def field_pk(world: WorldA) -> dict[str, Any]:
    return {"pk": world.custom_field.pk}


def list_pk(world: WorldA) -> dict[str, Any]:
    return {"pk": world.contact_list.pk}


def import_pk(world: WorldA) -> dict[str, Any]:
    return {"pk": world.import_job.pk}


ROUTES: dict[str, Public | AccountLevel | ObjectBound] = {
    # smoove: sign-in, tokens and the account's own settings.
    "signup": Public("creates a new account"),
    "login": Public("sign-in form"),
    "logout": Public("ends the caller's own session"),
    "password_reset": Public("sends a link to the address typed in"),
    "password_reset_done": Public("static page"),
    "password_reset_confirm": Public("the signed token in the URL decides the user"),
    "password_reset_complete": Public("static page"),
    "accept_invitation": Public("the unguessable token in the URL decides the account"),
    "no_account": Public("a signed-in user without an account, no tenant rows"),
    "set_language": Public("stores the caller's own language"),
    "home": AccountLevel(),
    "settings": AccountLevel(),
    "invite": AccountLevel(),
    "create_api_key": AccountLevel(),
    "revoke_api_key": ObjectBound(lambda w: {"pk": w.api_key.pk}),
    "switch_account": ObjectBound(
        lambda w: {"pk": w.account.pk},
        # The view redirects home without switching when the user is not a
        # member, the same response as for an account that does not exist.
        also_allowed={302: "redirects home without switching"},
    ),
    # Contacts, custom fields and imports.
    "contacts:index": AccountLevel(),
    "contacts:export": AccountLevel(),
    "contacts:create": AccountLevel(),
    "contacts:detail": ObjectBound(contact_pk),
    "contacts:edit": ObjectBound(contact_pk),
    "contacts:delete": ObjectBound(contact_pk),
    "contacts:data_export": ObjectBound(contact_pk),
    "contacts:field_index": AccountLevel(),
    "contacts:field_create": AccountLevel(),
    "contacts:field_edit": ObjectBound(field_pk),
    "contacts:field_delete": ObjectBound(field_pk),
    "contacts:import_index": AccountLevel(),
    "contacts:import_detail": ObjectBound(import_pk),
    "contacts:import_progress": ObjectBound(import_pk),
    "contacts:import_issues": ObjectBound(import_pk),
    "contacts:import_replay": ObjectBound(import_pk),
    # Lists.
    "lists:index": AccountLevel(),
    "lists:create": AccountLevel(),
    "lists:count_conditions": AccountLevel(),
    "lists:detail": ObjectBound(list_pk),
    "lists:export": ObjectBound(list_pk),
    "lists:edit": ObjectBound(list_pk),
    "lists:delete": ObjectBound(list_pk),
    "lists:add_members": ObjectBound(list_pk),
    "lists:remove_members": ObjectBound(list_pk),
    # REST API v1.
    "api_schema": Public("the OpenAPI document, no tenant rows"),
    "api_docs": Public("Swagger UI for the schema, no tenant rows"),
    "api_contacts": AccountLevel(),
    "api_contact": ObjectBound(contact_pk),
    "api_fields": AccountLevel(),
    "api_field": ObjectBound(field_pk),
    "api_events": AccountLevel(),
    "api_lists": AccountLevel(),
    "api_list": ObjectBound(list_pk),
    "api_list_members": ObjectBound(list_pk),
    "api_list_members_remove": ObjectBound(list_pk),
    "api_list_member": ObjectBound(lambda w: {"pk": w.contact_list.pk, "contact_id": w.contact.pk}),
}
# Forms, landing pages and submissions.
ROUTES.update(forms_tenancy.routes(Public, AccountLevel, ObjectBound))
# Messages, sends, the outbox, tracking and provider callbacks.
ROUTES.update(campaigns_tenancy.routes(Public, AccountLevel, ObjectBound))
# Flows, their counts and dry runs, and a contact's paths through flows.
ROUTES.update(automation_tenancy.routes(Public, AccountLevel, ObjectBound))

# URL names whose views are stubs raising NotImplementedError while they are
# written. Their calls are expected to fail with that error only. Every view
# has landed, so the set is empty. Remove a name when its view lands, so that
# its checks must pass.
VIEWS_BEING_WRITTEN: set[str] = set()


@dataclass(frozen=True)
class Route:
    name: str | None
    route: str
    callback: Callable[..., Any]

    @property
    def is_api(self) -> bool:
        view_class = getattr(self.callback, "cls", None)
        return isinstance(view_class, type) and issubclass(view_class, APIView)


def walk_urls(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    """Yield every URL pattern under resolver, with its namespaced name and full route."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            # The admin is for staff of the service, who see every account.
            if entry.namespace == "admin":
                continue
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from walk_urls(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(name, prefix + str(entry.pattern), entry.callback)


ALL_ROUTES = list(walk_urls())


def routes_of_kind(kind: type) -> list[Any]:
    """Return pytest params of the classified routes of one kind, stubs marked xfail."""
    params = []
    for route in ALL_ROUTES:
        if route.name is None or not isinstance(ROUTES.get(route.name), kind):
            continue
        marks = []
        if route.name in VIEWS_BEING_WRITTEN:
            marks.append(
                pytest.mark.xfail(
                    raises=NotImplementedError, strict=False, reason="view not written yet"
                )
            )
        params.append(pytest.param(route, id=route.name, marks=marks))
    return params


@pytest.fixture
def world(account: Account) -> WorldA:
    custom_field = contact_actions.create_custom_field(
        account, label=MARKER_FIELD, key="secret_a", type="text"
    )
    contact = contact_actions.upsert_contact(
        account,
        {"email": MARKER_EMAIL, "first_name": MARKER_NAME, "secret_a": MARKER_NAME},
        source="test",
    ).contact
    assert contact is not None
    contact_list = list_actions.create_list(account, name=MARKER_LIST)
    list_actions.add_contacts(account, contact_list, [contact], source="test")
    list_actions.create_list(
        account,
        name=MARKER_LIST + " דינמית",
        kind="dynamic",
        conditions={
            "match": "all",
            "rules": [{"type": "list", "op": "member", "list_id": contact_list.pk}],
        },
    )
    contact_actions.record_consent(
        account, contact, channel="email", status="granted", source="form"
    )
    # No action creates an import without parsing a real upload, so the row
    # is written here with a small file of its own.
    import_job = ImportJob.objects.create(
        account=account,
        file=ContentFile(f"email\n{MARKER_EMAIL}\nbroken\n".encode(), name="contacts-a.csv"),
        original_name="contacts-a.csv",
        status=ImportStatus.DONE,
        headers=["email"],
        mapping={"0": "email"},
        total_rows=2,
        processed_rows=2,
        created_count=1,
        failed_count=1,
    )
    ImportRowIssue.objects.create(
        account=account,
        job=import_job,
        row_number=3,
        level=RowIssueLevel.ERROR,
        values=["broken"],
        reasons=[
            {"column": 0, "field": "email", "message": "“broken” is not a valid email address."}
        ],
    )
    api_key, _raw = account_actions.create_api_key(account, "A's integration")
    # A form and a page for the listing checks; the forms app's entries
    # create the objects its object-bound URLs need.
    form = form_actions.create_form(account, name=MARKER_FORM)
    page = form_actions.create_page(account, name=MARKER_FORM, form=form)
    return WorldA(
        account,
        contact,
        custom_field,
        contact_list,
        import_job,
        api_key,
        form,
        page,
    )


def snapshot(account: Account) -> dict[str, Any]:
    """Return every tenant row of the account, to compare before and after."""

    def rows(model: Any, *fields: str) -> list[dict[str, Any]]:
        return list(model.objects.filter(account=account).order_by("pk").values(*fields))

    return {
        "account": Account.objects.filter(pk=account.pk).values().get(),
        "contacts": rows(Contact),
        "custom_fields": rows(CustomField),
        "lists": rows(ContactList),
        "memberships": rows(ListMembership),
        "events": rows(ContactEvent),
        "consent": rows(ConsentRecord),
        "suppressions": rows(Suppression),
        "imports": rows(ImportJob),
        "import_issues": rows(ImportRowIssue),
        # last_used_at changes when A's own key is used, which B cannot do.
        "api_keys": rows(ApiKey, "pk", "name", "prefix", "revoked_at"),
        "members": rows(Membership),
        "invitations": rows(Invitation),
        "forms": rows(Form),
        "form_fields": rows(FormField),
        "form_lists": rows(FormList),
        "form_consents": rows(FormConsent),
        "pages": rows(LandingPage),
        "placements": rows(Placement),
        "submissions": rows(Submission),
    }


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def request(client: Client, method: str, url: str, route: Route, payload: dict[str, Any]) -> Any:
    """Send payload as JSON to an API view and as a form to an HTML view."""
    call = getattr(client, method.lower())
    if method == "GET":
        return call(url)
    if route.is_api:
        return call(url, payload, content_type="application/json")
    if method == "POST":
        return call(url, payload)
    return call(url)


def hostile_payload(world: WorldA) -> dict[str, Any]:
    """Return a body naming A's rows, as a request that tried to reach them would."""
    return {
        "name": "changed by B",
        "label": "changed by B",
        "email": MARKER_EMAIL,
        "first_name": "changed by B",
        "type": "text",
        "contact_id": world.contact.pk,
        "contact_ids": [world.contact.pk],
        "list_id": world.contact_list.pk,
        "target_list_id": world.contact_list.pk,
        "conditions": {
            "match": "all",
            "rules": [{"type": "list", "op": "member", "list_id": world.contact_list.pk}],
        },
    }


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


# The registry must cover every URL.


def test_every_url_is_classified() -> None:
    unnamed = [route.route for route in ALL_ROUTES if route.name is None]
    names = {route.name for route in ALL_ROUTES if route.name is not None}
    unclassified = sorted(names - set(ROUTES))
    stale = sorted(set(ROUTES) - names)

    assert unnamed == [], f"Name these URL patterns so they can be classified: {unnamed}"
    assert unclassified == [], (
        f"Classify these URL names in ROUTES of tests/test_tenancy.py: {unclassified}"
    )
    assert stale == [], f"ROUTES names URLs that no longer exist: {stale}"


def test_stub_marks_name_classified_urls() -> None:
    assert VIEWS_BEING_WRITTEN <= set(ROUTES)


# Object-bound URLs: account B gets 404 and changes nothing.


@pytest.mark.parametrize("persona", ["session", "api_key"])
@pytest.mark.parametrize("route", routes_of_kind(ObjectBound))
def test_outsider_gets_404_for_object(
    route: Route,
    persona: str,
    world: WorldA,
    outsider_client: Client,
    outsider_api_client: Client,
) -> None:
    kind = ROUTES[route.name or ""]
    assert isinstance(kind, ObjectBound)
    url = reverse(route.name or "", kwargs=kind.kwargs(world))
    client = outsider_client if persona == "session" else outsider_api_client
    before = snapshot(world.account)

    for method in ("GET", "POST", "PATCH", "DELETE"):
        response = request(client, method, url, route, hostile_payload(world))
        status = response.status_code
        if persona == "api_key" and not route.is_api:
            # HTML views do not read API keys, so the key's holder is
            # anonymous there and is sent to sign in.
            assert status == 405 or is_login_redirect(response), (method, url, status)
        else:
            assert status in {404, 405, *kind.also_allowed}, (method, url, status)
        assert MARKER_EMAIL.encode() not in body_of(response)

    assert snapshot(world.account) == before


@pytest.mark.parametrize("route", routes_of_kind(ObjectBound))
def test_owner_reaches_object(
    route: Route, world: WorldA, owner_client: Client, api_client: Client
) -> None:
    """Check the URL points at a real object, so the outsider's 404 means something."""
    kind = ROUTES[route.name or ""]
    assert isinstance(kind, ObjectBound)
    url = reverse(route.name or "", kwargs=kind.kwargs(world))
    client = api_client if route.is_api else owner_client

    response = client.get(url)

    assert response.status_code != 404, url
    assert response.status_code < 500, url


def test_outsider_cannot_switch_to_account(world: WorldA, outsider_client: Client) -> None:
    outsider_client.post(reverse("switch_account", kwargs={"pk": world.account.pk}))

    listed = outsider_client.get(reverse("api_contacts"))

    assert outsider_client.session.get(ACCOUNT_SESSION_KEY) != world.account.pk
    assert listed.status_code == 200
    assert MARKER_EMAIL.encode() not in listed.content


# Account-level URLs: B reads only B's rows and writes only B's rows.


@pytest.mark.parametrize("persona", ["session", "api_key"])
@pytest.mark.parametrize("route", routes_of_kind(AccountLevel))
def test_outsider_account_pages_hide_other_rows(
    route: Route,
    persona: str,
    world: WorldA,
    outsider_client: Client,
    outsider_api_client: Client,
) -> None:
    if persona == "api_key" and not route.is_api:
        pytest.skip("HTML views do not read API keys.")
    client = outsider_client if persona == "session" else outsider_api_client
    url = reverse(route.name or "")
    before = snapshot(world.account)

    listed = client.get(url)
    posted = request(client, "POST", url, route, hostile_payload(world))

    for response in (listed, posted):
        assert response.status_code < 500, url
        content = body_of(response)
        for marker in MARKERS:
            assert marker.encode() not in content, (url, marker)
    assert snapshot(world.account) == before


# Without a session or key, every URL that is not public rejects the request.


@pytest.mark.parametrize("route", routes_of_kind(AccountLevel) + routes_of_kind(ObjectBound))
def test_anonymous_is_turned_away(route: Route, world: WorldA) -> None:
    kind = ROUTES[route.name or ""]
    kwargs = kind.kwargs(world) if isinstance(kind, ObjectBound) else {}
    url = reverse(route.name or "", kwargs=kwargs)
    before = snapshot(world.account)

    for method in ("GET", "POST"):
        response = request(Client(), method, url, route, hostile_payload(world))
        if route.is_api:
            assert response.status_code == 401, (method, url, response.status_code)
        else:
            assert response.status_code == 405 or is_login_redirect(response), (
                method,
                url,
                response.status_code,
            )

    assert snapshot(world.account) == before
