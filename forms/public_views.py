"""Pages visitors see: hosted forms, landing pages, the iframe, submission and confirmation.

None of these needs a session. Each finds its account from the unguessable
token in its address, and submissions are exempt from CSRF because they
come from other sites and carry no one's authority.
"""

import base64
import logging
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from forms import intake, queries, ratelimit
from forms.models import SLOT_ORDER, AfterSubmit, Form, LandingPage, SubmissionStatus
from forms.queries import FormDefinition, load_definition
from forms.rendering import MODE_INPUT, RenderedForm, render_form

logger = logging.getLogger(__name__)

# A form POST larger than this is rejected before it is read: the inputs
# of a real form, at their limits, fit many times over.
MAX_POST_BYTES = 64 * 1024
# A transparent 1×1 GIF, for the embed snippet's view counter.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _client_ip(request: HttpRequest) -> str | None:
    # NOTE: behind a proxy every visitor has the proxy's address, so the
    # per-IP limit counts them together. It counts each visitor only when
    # the server sets REMOTE_ADDR from the proxy (gunicorn's
    # forwarded_allow_ips).
    return request.META.get("REMOTE_ADDR") or None


def _query(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "") for key in list(request.GET)[:50]}


def _language(form_or_page: Form | LandingPage) -> str:
    return form_or_page.account.language or "he"


# Showing forms.


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def form_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the form's own hosted page, or take a submission from any of its pages."""
    form = queries.get_published_form(token)
    with translation.override(_language(form)):
        if request.method == "POST":
            return _submit(request, form)
        definition = load_definition(form)
        if request.method == "GET":
            intake.record_form_view(form)
        rendered = render_form(definition, query=_query(request))
        return render(request, "forms/public/form_page.html", {"rendered": rendered, "form": form})


@never_cache
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def embed(request: HttpRequest, token: str) -> HttpResponse:
    """Show the form alone, for an iframe on another site."""
    form = queries.get_published_form(token)
    with translation.override(_language(form)):
        if request.method == "POST":
            return _submit(request, form)
        if request.method == "GET":
            intake.record_form_view(form)
        rendered = render_form(load_definition(form), query=_query(request), mode="embed")
        return render(request, "forms/public/embed.html", {"rendered": rendered, "form": form})


@never_cache
@require_GET
def view_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """Count a view of a form embedded as plain HTML, and return a blank image."""
    form = queries.get_published_form(token)
    intake.record_form_view(form)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_http_methods(["GET", "HEAD"])
def landing_page(request: HttpRequest, token: str) -> HttpResponse:
    page = queries.get_published_page(token)
    placements = [p for p in queries.placements_of_page(page) if p.form.is_published]
    if request.method == "GET":
        intake.record_page_view(page, [placement.form_id for placement in placements])
    query = _query(request)
    with translation.override(_language(page)):
        sections = [
            (
                placement,
                render_form(
                    load_definition(placement.form), query=query, page=page, slot=placement.slot
                ),
            )
            for placement in placements
        ]
        return render(
            request, "forms/public/landing_page.html", {"page": page, "sections": sections}
        )


@require_GET
def page_image(request: HttpRequest, token: str) -> FileResponse:
    page = queries.get_published_page(token)
    if not page.image:
        raise Http404("The page has no image.")
    response = FileResponse(page.image.open("rb"), content_type=page.image_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Taking a submission.


def _submit(request: HttpRequest, form: Form) -> HttpResponse:
    definition = load_definition(form)
    query = _query(request)
    # Checked before request.POST is touched, which would read the body.
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_POST_BYTES:
        rendered = render_form(definition, query=query)
        rendered.message = _(
            "The form is too large to send. Go back, shorten the longest answers and send it again."
        )
        return _respond_with(request, form, None, "", "page", rendered, status=413)

    mode = request.POST.get(MODE_INPUT, "page")
    page = queries.find_page_of_form(form, request.POST.get(intake.PAGE_INPUT, ""))
    slot = request.POST.get(intake.SLOT_INPUT, "") if page is not None else ""
    if slot not in SLOT_ORDER:
        slot = ""

    if not ratelimit.allow_submission(form.pk, _client_ip(request)):
        logger.warning("form submissions rate limited", extra={"form_id": form.pk})
        message = _(
            "Too many forms were sent from your network in the last minute. "
            "Wait a minute and send the form again."
        )
        return _retry(request, definition, query, page, slot, mode, {}, message, status=429)

    received = intake.receive_submission(
        form,
        request.POST,
        query=query,
        ip_address=_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        page=page,
        slot=slot,
        definition=definition,
    )
    if received.outcome == intake.Outcome.INVALID:
        message = _("Some answers need fixing. See the messages next to them.")
        return _retry(
            request, definition, query, page, slot, mode, received.errors, message, status=400
        )
    if received.outcome == intake.Outcome.AWAITING_CONFIRMATION:
        return _done(
            request,
            form,
            page,
            slot,
            mode,
            title=_("Almost done"),
            text=_("We sent you an email. Open the link in it to confirm your subscription."),
        )
    if received.outcome == intake.Outcome.DUPLICATE:
        return _done(
            request,
            form,
            page,
            slot,
            mode,
            title=_("Thank you"),
            text=_("We already received this form, so it was not sent again."),
        )
    return _after_submit(request, form, page, slot, mode)


def _retry(
    request: HttpRequest,
    definition: FormDefinition,
    query: dict[str, str],
    page: LandingPage | None,
    slot: str,
    mode: str,
    errors: dict[str, str],
    message: str,
    *,
    status: int,
) -> HttpResponse:
    """Show the form again with what the visitor typed, the errors and a message."""
    values: dict[str, Any] = {}
    for form_field, _spec in definition.visible:
        items = request.POST.getlist(form_field.field_key)
        if len(items) > 1:
            values[form_field.field_key] = items
        else:
            values[form_field.field_key] = items[0] if items else ""
    chosen = [int(item) for item in request.POST.getlist(intake.LISTS_INPUT) if item.isdigit()]
    ticked = [
        consent.channel
        for consent in definition.consents
        if request.POST.get(intake.CONSENT_INPUT_PREFIX + consent.channel)
    ]
    rendered = render_form(
        definition,
        query=query,
        values=values,
        errors=errors,
        chosen_list_ids=chosen,
        ticked_channels=ticked,
        page=page,
        slot=slot,
        mode=mode,
        nonce=request.POST.get(intake.NONCE_INPUT) or None,
    )
    rendered.message = message
    return _respond_with(request, definition.form, page, slot, mode, rendered, status=status)


def _respond_with(
    request: HttpRequest,
    form: Form,
    page: LandingPage | None,
    slot: str,
    mode: str,
    rendered: RenderedForm,
    *,
    status: int = 200,
) -> HttpResponse:
    """Render the layout the submission came from, with rendered in its place."""
    if page is not None and mode == "page":
        sections = []
        for placement in queries.placements_of_page(page):
            if placement.slot == slot:
                sections.append((placement, rendered))
            elif placement.form.is_published:
                sections.append(
                    (
                        placement,
                        render_form(
                            load_definition(placement.form), page=page, slot=placement.slot
                        ),
                    )
                )
        context = {"page": page, "sections": sections}
        return render(request, "forms/public/landing_page.html", context, status=status)
    template = "forms/public/embed.html" if mode == "embed" else "forms/public/form_page.html"
    return render(request, template, {"rendered": rendered, "form": form}, status=status)


def _done(
    request: HttpRequest,
    form: Form,
    page: LandingPage | None,
    slot: str,
    mode: str,
    *,
    title: str,
    text: str,
) -> HttpResponse:
    rendered = RenderedForm(
        form=form,
        inputs=[],
        lists=[],
        consents=[],
        action="",
        nonce="",
        page=page,
        slot=slot,
        mode=mode,
    )
    rendered.done = True
    rendered.done_title = title
    rendered.message = text
    return _respond_with(request, form, page, slot, mode, rendered)


def _after_submit(
    request: HttpRequest, form: Form, page: LandingPage | None, slot: str, mode: str
) -> HttpResponse:
    """Do what the marketer chose: a message in place, a thank-you page, or a redirect."""
    if form.after_submit == AfterSubmit.REDIRECT and form.redirect_url:
        if mode == "embed":
            # Inside an iframe the whole window must move, not the frame.
            return render(request, "forms/public/break_out.html", {"url": form.redirect_url})
        return redirect(form.redirect_url)
    if form.after_submit == AfterSubmit.PAGE:
        return redirect("public_forms:thanks", token=form.public_token)
    return _done(
        request,
        form,
        page,
        slot,
        mode,
        title=form.thank_you_title or _("Thank you"),
        text=form.thank_you_text or _("Thank you! We received your details."),
    )


@require_GET
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    form = queries.get_published_form(token)
    with translation.override(_language(form)):
        return render(request, "forms/public/thanks.html", {"form": form})


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, signed: str) -> HttpResponse:
    """Ask the visitor to confirm a double opt-in, and apply it on their click.

    Opening the link only shows a button: mail scanners open links in
    emails, and a consent must come from the person. The signed token
    in the address is the authority, so the POST needs no CSRF token.
    """
    try:
        submission = intake.submission_of_token(signed)
    except intake.ConfirmationError:
        with translation.override("he"):
            return render(request, "forms/public/confirm_invalid.html", status=404)
    form = submission.form
    with translation.override(_language(form)):
        if request.method != "POST":
            if submission.status == SubmissionStatus.APPLIED:
                return render(request, "forms/public/confirmed.html", {"form": form})
            return render(request, "forms/public/confirm.html", {"form": form})
        try:
            received = intake.confirm_submission(signed)
        except intake.ConfirmationError:
            return render(request, "forms/public/confirm_invalid.html", status=404)
        if received.outcome != intake.Outcome.APPLIED:
            # Kept for the marketer to replay; the visitor's part is done.
            logger.warning(
                "confirmed submission was kept",
                extra={"account_id": form.account_id, "submission_id": submission.pk},
            )
        if form.after_submit == AfterSubmit.REDIRECT and form.redirect_url:
            return redirect(form.redirect_url)
        return render(request, "forms/public/confirmed.html", {"form": form})
