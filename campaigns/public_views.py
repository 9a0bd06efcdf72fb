"""Views anyone may reach: the open pixel, click redirects, smart-button thanks, unsubscribe.

Each finds its account through the delivery a signed token names, never
through an id the client sends.
"""

import base64

from django.core.exceptions import DisallowedRedirect
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from campaigns import actions, senders
from campaigns.models import MessageLink

# A transparent 1×1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


class _LinkRedirect(HttpResponseRedirect):
    """A redirect to a message's link, which may also be a mailto: or tel: link."""

    allowed_schemes = ["http", "https", "mailto", "tel"]


def _agent(request: HttpRequest) -> str:
    return request.headers.get("User-Agent", "")


@never_cache
@require_GET
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    actions.record_open(token, _agent(request))
    # The same image for any token, so the pixel reveals nothing.
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def click(request: HttpRequest, token: str) -> HttpResponse:
    outcome = actions.record_click(token, _agent(request))
    if outcome is None:
        raise Http404("Link not found.")
    if outcome.link.kind == MessageLink.Kind.URL and outcome.redirect_url:
        try:
            return _LinkRedirect(outcome.redirect_url)
        except DisallowedRedirect as exc:
            # A merge tag at the start of a link filled in a value that is
            # not a web, mail or phone address.
            raise Http404("Link not found.") from exc
    with translation.override(outcome.delivery.account.language or "he"):
        if outcome.link.kind == MessageLink.Kind.ACTION:
            return render(
                request,
                "campaigns/public/thanks.html",
                {"outcome": outcome, "business": outcome.delivery.account.name},
            )
        return HttpResponse(status=204)


@csrf_exempt  # The signed token is the credential; mail clients post without a form.
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Show the confirmation on GET; only a POST (the button or RFC 8058 one-click) unsubscribes."""
    delivery = actions.unsubscribe_target(token)
    if delivery is None:
        raise Http404("Link not found.")
    done = False
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        actions.unsubscribe(
            delivery, ip_address=request.META.get("REMOTE_ADDR"), one_click=one_click
        )
        done = True
    with translation.override(delivery.account.language or "he"):
        return render(
            request,
            "campaigns/public/unsubscribe.html",
            {
                "business": delivery.account.name,
                "channel": delivery.get_channel_display(),
                "done": done,
                "already": not done and actions.is_unsubscribed(delivery),
                "address": delivery.address,
            },
        )


@never_cache
@require_http_methods(["GET", "POST"])
def verify_sender(request: HttpRequest, token: str) -> HttpResponse:
    """Show the confirmation on GET; only the POST of its button verifies the address.

    Mail-security scanners open links in incoming mail on their own, so a
    GET that verified would let a scanner vouch for an address.
    """
    try:
        sender = senders.sender_by_token(token)
    except senders.LinkExpired:
        return render(request, "campaigns/public/verify_sender.html", {"expired": True}, status=410)
    if sender is None:
        raise Http404("Link not found.")
    done = False
    if request.method == "POST":
        actions.verify_sender(sender)
        done = True
    with translation.override(sender.account.language or "he"):
        return render(
            request,
            "campaigns/public/verify_sender.html",
            {
                "business": sender.account.name,
                "sender": sender,
                "done": done,
                "already": not done and sender.is_verified,
            },
        )
