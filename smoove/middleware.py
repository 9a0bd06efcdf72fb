"""Request middleware: the user's interface language and the current account."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from smoove import queries

LANGUAGE_SESSION_KEY = "ui_language"
ACCOUNT_SESSION_KEY = "account_id"


class UserLanguageMiddleware:
    """Activate the language a user chose, before LocaleMiddleware reads headers.

    Hebrew is the default for everyone, so the browser's Accept-Language
    header is not consulted: the choice is explicit, per user or session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API responds in English whatever language the person chose.
        language = "en"
        if not request.path.startswith("/api/"):
            chosen = request.session.get(LANGUAGE_SESSION_KEY)
            user = getattr(request, "user", None)
            if chosen is None and user is not None and user.is_authenticated:
                chosen = user.language
            language = chosen or settings.LANGUAGE_CODE
        request.META["HTTP_ACCEPT_LANGUAGE"] = language
        translation.activate(language)
        return self.get_response(request)


class AccountMiddleware:
    """Attach the signed-in user's current account as request.account (or None)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.account = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = queries.get_current_membership(
                user, request.session.get(ACCOUNT_SESSION_KEY)
            )
            if membership is not None:
                request.account = membership.account  # type: ignore[attr-defined]
                request.membership = membership  # type: ignore[attr-defined]
                # Times are stored in UTC and shown in the account's zone.
                timezone.activate(membership.account.time_zone)
                try:
                    return self.get_response(request)
                finally:
                    timezone.deactivate()
        return self.get_response(request)
