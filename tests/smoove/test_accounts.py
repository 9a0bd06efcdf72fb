import re

import pytest
from django.core.management import call_command
from django.test import Client

from contacts import actions as contact_actions
from contacts.models import Contact
from smoove.models import Account, ApiKey, IdentifierPolicy, Membership, Plan, Role, User
from tests.conftest import PASSWORD
from tests.smtp_sink import body_text


@pytest.mark.django_db
def test_signup_creates_free_account_with_owner():
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {"business_name": "מאפיית השכונה", "email": "Baker@Example.com", "password": PASSWORD},
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user__email="baker@example.com")
    assert membership.role == Role.OWNER
    assert membership.account.name == "מאפיית השכונה"
    assert membership.account.plan == Plan.FREE
    assert membership.account.contact_limit == 100
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_signup_rejects_taken_email(owner):
    response = Client().post(
        "/accounts/signup/",
        {"business_name": "Again", "email": owner.email, "password": PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert Account.objects.count() == 1


@pytest.mark.django_db
def test_signup_rejects_weak_password():
    response = Client().post(
        "/accounts/signup/", {"business_name": "X", "email": "x@example.com", "password": "123"}
    )
    assert response.context["form"].errors["password"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_login_and_logout(owner):
    client = Client()
    response = client.post("/accounts/login/", {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200

    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_home_requires_login():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_password_reset_sends_working_link(owner, mailbox):
    client = Client()
    client.post("/accounts/password-reset/", {"email": owner.email})

    assert len(mailbox.messages) == 1
    assert mailbox.messages[0]["To"] == owner.email
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", body_text(mailbox.messages[0])).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Another-long-pass-99", "new_password2": "Another-long-pass-99"},
    )
    assert Client().login(email=owner.email, password="Another-long-pass-99")


@pytest.mark.django_db
def test_owner_invites_member_who_joins(owner_client, account, mailbox):
    owner_client.post("/settings/invite/", {"email": "new.member@example.com"})

    assert len(mailbox.messages) == 1
    assert mailbox.messages[0]["To"] == "new.member@example.com"
    path = re.search(r"https?://[^/]+(/accounts/invitation/\S+/)", body_text(mailbox.messages[0])).group(1)
    invited = Client()
    response = invited.post(path, {"full_name": "חבר צוות", "password": PASSWORD})

    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new.member@example.com")
    assert membership.account == account
    assert membership.role == Role.MEMBER
    assert invited.get(path).status_code == 404


@pytest.mark.django_db
def test_teammate_cannot_change_settings_or_invite(teammate_client, account, mailbox):
    response = teammate_client.post("/settings/", {"name": "Hijacked"})
    assert response.status_code == 403
    response = teammate_client.post("/settings/invite/", {"email": "x@example.com"})
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.name != "Hijacked"
    assert not mailbox.messages


def settings_form(account, **changes):
    data = {
        "name": account.name,
        "default_sender_name": account.default_sender_name,
        "default_sender_email": account.default_sender_email,
        "time_zone": account.time_zone,
        "language": account.language,
        "identifier_policy": account.identifier_policy,
        "external_id_label": account.external_id_label,
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_owner_changes_sender_and_time_zone(owner_client, account):
    response = owner_client.post(
        "/settings/",
        settings_form(account, default_sender_name="Yahav – Sales", time_zone="Europe/London"),
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.default_sender_name == "Yahav – Sales"
    assert account.time_zone == "Europe/London"


@pytest.mark.django_db
def test_settings_form_cannot_set_sender_address(owner_client, account):
    before = account.default_sender_email

    owner_client.post("/settings/", settings_form(account, default_sender_email="any@else.example"))

    account.refresh_from_db()
    assert account.default_sender_email == before


@pytest.mark.django_db
def test_identifier_change_rekeys_contacts(owner_client, account):
    contact_actions.upsert_contact(
        account, {"email": "a@example.com", "external_id": "A-1"}, source="api"
    )
    response = owner_client.post(
        "/settings/", settings_form(account, identifier_policy=IdentifierPolicy.EXTERNAL_ID)
    )
    assert response.status_code == 302
    assert Contact.objects.get(account=account).identity == "A-1"


@pytest.mark.django_db
def test_identifier_change_refused_when_values_missing(owner_client, account):
    contact_actions.upsert_contact(account, {"email": "a@example.com"}, source="api")
    response = owner_client.post(
        "/settings/", settings_form(account, identifier_policy=IdentifierPolicy.MOBILE)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["identifier_policy"]
    account.refresh_from_db()
    assert account.identifier_policy == IdentifierPolicy.EMAIL
    assert Contact.objects.get(account=account).identity == "a@example.com"


@pytest.mark.django_db
def test_api_key_is_shown_once_and_authenticates(owner_client, account):
    owner_client.post("/settings/api-keys/", {"name": "CRM"})
    page = owner_client.get("/settings/")
    raw_key = page.context["new_api_key"]

    assert raw_key.startswith("sm_")
    assert owner_client.get("/settings/").context["new_api_key"] is None
    assert not ApiKey.objects.filter(key_hash=raw_key).exists()
    response = Client(HTTP_AUTHORIZATION=f"Token {raw_key}").get("/api/v1/schema/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_create_account_command_prints_key_last(capsys):
    call_command("create_account", "Operator Biz", "ops@example.com")
    lines = capsys.readouterr().out.strip().splitlines()

    account = Account.objects.get(name="Operator Biz")
    assert Membership.objects.get(account=account).role == Role.OWNER
    key = ApiKey.objects.get(account=account)
    from smoove.models import hash_api_key

    assert key.key_hash == hash_api_key(lines[-1])


@pytest.mark.django_db
def test_interface_is_hebrew_by_default_and_switches(owner_client):
    page = owner_client.get("/").content.decode()
    assert '<html lang="he" dir="rtl">' in page

    owner_client.post("/language/", {"language": "en", "next": "/"})
    page = owner_client.get("/").content.decode()
    assert '<html lang="en" dir="ltr">' in page
    assert User.objects.get(email="dana@example.com").language == "en"


@pytest.mark.django_db
def test_free_plan_banner_asks_to_upgrade(db):
    from tests.conftest import client_for, make_account

    membership = make_account("Tiny", "tiny@example.com")
    membership.account.contact_limit = 1
    membership.account.save()
    contact_actions.upsert_contacts(
        membership.account, [{"email": "a@example.com"}, {"email": "b@example.com"}], source="api"
    )
    page = client_for(membership.user).get("/")
    assert page.context["over_plan_count"] == 1
    assert 'href="/settings/#plan"' in page.content.decode()



@pytest.mark.django_db
def test_requests_run_in_the_account_time_zone(owner, account):
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils import timezone

    from smoove.middleware import AccountMiddleware

    account.time_zone = "Asia/Jerusalem"
    account.save(update_fields=["time_zone"])
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/")
    request.user = owner
    request.session = {}
    AccountMiddleware(view)(request)

    assert seen["zone"] == "Asia/Jerusalem"
    assert timezone.get_current_timezone_name() == "UTC"


@pytest.mark.django_db
def test_short_password_error_is_in_hebrew():
    response = Client().post(
        "/accounts/signup/", {"business_name": "X", "email": "x@example.com", "password": "Zq1"}
    )
    errors = response.context["form"].errors["password"]
    assert any("הסיסמה קצרה מדי" in error for error in errors)


@pytest.mark.django_db
def test_api_key_help_shows_the_header_literally(owner_client):
    page = owner_client.get("/settings/").content.decode()
    assert "Authorization: Token &lt;key&gt;" in page
