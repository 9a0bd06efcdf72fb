"""Pages of sign-up, the dashboard, language, invitations and account settings."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contacts import queries as contact_queries
from lists import queries as list_queries
from smoove import actions, queries
from smoove.decorators import account_required
from smoove.forms import (
    AcceptInvitationForm,
    AccountSettingsForm,
    ApiKeyForm,
    InviteForm,
    SignUpForm,
)
from smoove.middleware import ACCOUNT_SESSION_KEY, LANGUAGE_SESSION_KEY
from smoove.models import Account


def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = actions.sign_up(**form.cleaned_data)
        except actions.AccountError as exc:
            form.add_error("email", str(exc))
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[ACCOUNT_SESSION_KEY] = membership.account_id
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("home")
    return render(request, "smoove/signup.html", {"form": form})


@account_required
def home(request: HttpRequest) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    context = {
        "contact_count": contact_queries.contacts_of_account(account).count(),
        "within_plan": contact_queries.within_plan_count(account),
        "list_count": list_queries.lists_of_account(account).count(),
        "recent_imports": contact_queries.imports_of_account(account)[:5],
    }
    return render(request, "smoove/home.html", context)


@login_required
def no_account(request: HttpRequest) -> HttpResponse:
    return render(request, "smoove/no_account.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "he")
    if language not in ("he", "en"):
        language = "he"
    request.session[LANGUAGE_SESSION_KEY] = language
    if request.user.is_authenticated:
        request.user.language = language  # type: ignore[union-attr]
        request.user.save(update_fields=["language"])  # type: ignore[union-attr]
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return redirect(next_url)


@account_required
def account_settings(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    is_owner = queries.is_owner(account, request.user)  # type: ignore[arg-type]
    form = AccountSettingsForm(request.POST or None, instance=Account.objects.get(pk=account.pk))
    if request.method == "POST":
        if not is_owner:
            return HttpResponseForbidden(_("Only the account owner can change its settings."))
        if form.is_valid():
            from contacts.actions import ContactError

            try:
                actions.update_account_settings(account, form.cleaned_data)
            except ContactError as exc:
                form.add_error("identifier_policy", str(exc))
            else:
                messages.success(request, _("The settings were saved."))
                return redirect("settings")
    context = {
        "form": form,
        "is_owner": is_owner,
        "members": queries.members_of_account(account),
        "invitations": queries.open_invitations(account),
        "invite_form": InviteForm(),
        "api_keys": queries.api_keys_of_account(account),
        "api_key_form": ApiKeyForm(),
        "new_api_key": request.session.pop("new_api_key", None),
    }
    return render(request, "smoove/settings.html", context)


@require_POST
@account_required
def invite(request: HttpRequest) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    if not queries.is_owner(account, request.user):  # type: ignore[arg-type]
        return HttpResponseForbidden(_("Only the account owner can invite members."))
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            actions.invite_member(account, request.user, form.cleaned_data["email"])  # type: ignore[arg-type]
        except actions.AccountError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("An invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
    else:
        messages.error(request, _("Enter a valid email address."))
    return redirect("settings")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = queries.get_open_invitation(token)
    from smoove.models import User

    has_user = User.objects.filter(email__iexact=invitation.email).exists()
    form = AcceptInvitationForm(request.POST or None)
    if has_user:
        form.fields["password"].required = False
    if request.method == "POST" and (has_user or form.is_valid()):
        if has_user and request.user.is_authenticated and request.user.email != invitation.email:  # type: ignore[union-attr]
            return HttpResponseForbidden(_("This invitation is for another email address."))
        if has_user and not request.user.is_authenticated:
            messages.info(
                request, _("Log in with %(email)s to join.") % {"email": invitation.email}
            )
            return redirect(f"/accounts/login/?next={request.path}")
        cleaned = form.cleaned_data if not has_user else {}
        user = actions.accept_invitation(
            invitation, password=cleaned.get("password"), full_name=cleaned.get("full_name", "")
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[ACCOUNT_SESSION_KEY] = invitation.account_id
        messages.success(
            request, _("You joined %(account)s.") % {"account": invitation.account.name}
        )
        return redirect("home")
    return render(
        request,
        "smoove/accept_invitation.html",
        {"form": form, "invitation": invitation, "has_user": has_user},
    )


@require_POST
@account_required
def create_api_key(request: HttpRequest) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    if not queries.is_owner(account, request.user):  # type: ignore[arg-type]
        return HttpResponseForbidden(_("Only the account owner can manage API keys."))
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        _key, raw_key = actions.create_api_key(account, form.cleaned_data["name"])
        # Shown once on the next page, then gone: only its digest is stored.
        request.session["new_api_key"] = raw_key
    return redirect("settings")


@require_POST
@account_required
def revoke_api_key(request: HttpRequest, pk: int) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    if not queries.is_owner(account, request.user):  # type: ignore[arg-type]
        return HttpResponseForbidden(_("Only the account owner can manage API keys."))
    actions.revoke_api_key(queries.get_api_key_for_account(account, pk))
    messages.success(request, _("The key was revoked."))
    return redirect("settings")


@require_POST
@account_required
def switch_account(request: HttpRequest, pk: int) -> HttpResponse:
    membership = queries.get_current_membership(request.user, pk)  # type: ignore[arg-type]
    if membership is not None and membership.account_id == pk:
        request.session[ACCOUNT_SESSION_KEY] = pk
    return redirect("home")
