"""API authentication by per-account keys, the account permission, and error shape."""

from typing import Any

from django.utils import translation
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from smoove import queries
from smoove.models import Account


class ApiKeyAuthentication(TokenAuthentication):
    """Read `Authorization: Token <key>` and authenticate as the key's account."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        api_key = queries.find_active_api_key(key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return (ApiAccountUser(api_key.account), api_key)


class ApiAccountUser:
    """The principal of a request made with an API key: the account itself."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False

    def __init__(self, account: Account) -> None:
        self.account = account
        self.pk = None

    def __str__(self) -> str:
        return f"api:{self.account.pk}"


def request_account(request: Request) -> Account | None:
    user = request.user
    if isinstance(user, ApiAccountUser):
        return user.account
    return getattr(request._request, "account", None)


class HasAccount(BasePermission):
    """Allow a request that resolves to exactly one account, and remember it."""

    def has_permission(self, request: Request, view: Any) -> bool:
        account = request_account(request)
        if account is None:
            return False
        request.account = account  # type: ignore[attr-defined]
        return True


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Return API errors as English JSON, whatever the interface language."""
    # Imported here: rest_framework.views imports this module's classes
    # through the settings, so a top-level import would be circular.
    from rest_framework.views import exception_handler as drf_exception_handler

    from contacts.actions import ContactError
    from lists.actions import ListError

    with translation.override("en"):
        if isinstance(exc, ListError | ContactError):
            exc = exceptions.ValidationError(_field_error_lists(exc.field_errors, str(exc)))
        return drf_exception_handler(exc, context)


def _field_error_lists(field_errors: dict[str, Any], message: str) -> dict[str, Any]:
    """Shape action errors as DRF shapes its own: each field maps to a list of reasons."""
    if not field_errors:
        return {"detail": [message]}
    return {
        key: [value] if isinstance(value, str) else value for key, value in field_errors.items()
    }
