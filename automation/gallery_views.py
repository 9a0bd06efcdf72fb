"""The flow template gallery: a card per template, and the button that makes its flow."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from automation import actions
from automation.flow_templates import CATEGORIES, FlowTemplate, all_templates
from automation.gallery import TemplateError, UnknownTemplate, sending_problems
from contacts.models import Channel
from smoove.decorators import account_required

# Steps listed on a card; a last line counts the rest.
PREVIEW_STEPS = 6


def _account(request: HttpRequest) -> Any:
    return request.account  # type: ignore[attr-defined]


def _card(template: FlowTemplate) -> dict[str, Any]:
    steps = template.steps()
    labels = dict(Channel.choices)
    return {
        "template": template,
        "channels": [labels[channel] for channel in template.channels],
        "steps": steps[:PREVIEW_STEPS],
        "more_steps": max(len(steps) - PREVIEW_STEPS, 0),
    }


@account_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    cards = [_card(template) for template in all_templates()]
    groups = [
        {"label": label, "cards": [card for card in cards if card["template"].category == key]}
        for key, label in CATEGORIES.items()
    ]
    return render(request, "automation/gallery.html", {"groups": [g for g in groups if g["cards"]]})


@account_required
@require_POST
def use(request: HttpRequest, key: str) -> HttpResponse:
    try:
        flow = actions.create_flow_from_template(_account(request), key, user=request.user)
    except UnknownTemplate as exc:
        raise Http404(str(exc)) from exc
    except TemplateError as exc:
        messages.error(request, str(exc))
        return redirect("automation:template_index")
    messages.success(
        request, _("The flow was made from the template. Edit its messages, then activate it.")
    )
    for problem in sending_problems(_account(request), flow):
        messages.warning(request, problem)
    return redirect("automation:flow_canvas", pk=flow.pk)
