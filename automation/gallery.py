"""Make a draft flow from a gallery template, with the fields, lists, forms and messages it needs.

Fields are reused by key and lists by name, because they are the account's
shared vocabulary. Forms and messages are made new for each flow, so that
editing one flow's content never changes another flow's.
"""

import datetime
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from automation import actions as flow_actions
from automation import graph as graphs
from automation.actions import FlowError
from automation.flow_templates import get_template
from automation.flow_templates.base import FieldNeed, FlowTemplate, FormNeed, ListNeed, MessageNeed
from automation.models import Flow
from campaigns import actions as campaign_actions
from campaigns import queries as campaign_queries
from campaigns.actions import CampaignError
from contacts import actions as contact_actions
from contacts import queries as contact_queries
from contacts.actions import ContactError
from forms import actions as form_actions
from forms import queries as form_queries
from forms.actions import FormError
from lists import actions as list_actions
from lists import queries as list_queries
from lists.actions import ListError
from lists.models import ListKind
from smoove.models import Account, User

logger = logging.getLogger(__name__)

# A whole setting value naming an object the template makes.
REFERENCE = re.compile(r"^@(list|form|message):(\w+)$")
# A fixed date relative to the day the flow is made: "@date:+14".
RELATIVE_DATE = re.compile(r"^@date:\+(\d+)$")
# A form's public address inside a text or a link.
FORM_URL = re.compile(r"@form_url:(\w+)")


class TemplateError(Exception):
    """A template that cannot be made in this account, with the reason."""


class UnknownTemplate(TemplateError):
    pass


class _TemplateObjects:
    """Ids and addresses of the objects made for a template, to resolve its references."""

    def __init__(self, account: Account) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.form_urls: dict[str, str] = {}
        self.today = timezone.now().astimezone(ZoneInfo(account.time_zone)).date()

    def resolve(self, value: Any) -> Any:
        """Return value with every reference replaced, walking lists and objects."""
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.resolve(item) for item in value]
        if not isinstance(value, str):
            return value
        reference = REFERENCE.match(value)
        if reference:
            return self.ids[(reference.group(1), reference.group(2))]
        relative = RELATIVE_DATE.match(value)
        if relative:
            return (self.today + datetime.timedelta(days=int(relative.group(1)))).isoformat()
        return FORM_URL.sub(lambda match: self.form_urls[match.group(1)], value)


def create_flow_from_template(account: Account, key: str, *, user: User | None = None) -> Flow:
    """Make the template's objects and its draft flow in one transaction; return the flow.

    Raise UnknownTemplate for a key not in the gallery. Raise TemplateError
    when the account's own objects clash with what the template needs, such
    as a field key of another type. Nothing is made then.
    """
    template = get_template(key)
    if template is None:
        raise UnknownTemplate(_("There is no flow template “%(key)s”.") % {"key": key})
    objects = _TemplateObjects(account)
    try:
        with transaction.atomic():
            for need in template.fields:
                _ensure_field(account, need)
            for list_need in template.lists:
                objects.ids[("list", list_need.ref)] = _ensure_list(account, list_need)
            for form_need in template.forms:
                form = _make_form(account, form_need, objects)
                objects.ids[("form", form_need.ref)] = form.pk
                objects.form_urls[form_need.ref] = settings.SITE_URL + reverse(
                    "public_forms:form", args=[form.public_token]
                )
            for message_need in template.messages:
                objects.ids[("message", message_need.ref)] = _make_message(
                    account, message_need, objects
                )
            flow = _make_flow(account, template, objects)
    except FlowError as exc:
        reasons = " ".join(problem.message for problem in exc.problems) or str(exc)
        raise TemplateError(
            _("The template could not be used: %(reason)s") % {"reason": reasons}
        ) from exc
    except (ContactError, ListError, FormError, CampaignError) as exc:
        raise TemplateError(
            _("The template could not be used: %(reason)s") % {"reason": exc}
        ) from exc
    logger.info(
        "flow created from template",
        extra={
            "account_id": account.pk,
            "flow_id": flow.pk,
            "template": key,
            "user_id": user.pk if user is not None else None,
        },
    )
    return flow


def sending_problems(account: Account, flow: Flow) -> list[str]:
    """Return what would stop the flow's messages from being sent now, such as no sender."""
    problems: list[str] = []
    for node in flow.graph.get("nodes", []):
        if node.get("type") != "send_message":
            continue
        message_id = node.get("settings", {}).get("message_id")
        message = campaign_queries.messages_of_account(account).filter(pk=message_id).first()
        if message is None:
            continue
        for problem in campaign_actions.compliance_problems(account, message):
            if problem not in problems:
                problems.append(problem)
    return problems


def _ensure_field(account: Account, need: FieldNeed) -> None:
    spec = contact_queries.field_spec(account, need.key)
    if spec is None:
        contact_actions.create_custom_field(
            account, label=need.label, type=need.type, key=need.key, choices=list(need.choices)
        )
        return
    if spec.type != need.type:
        raise TemplateError(
            _("The field “%(key)s” exists with another type; this template needs %(type)s.")
            % {"key": need.key, "type": need.type}
        )
    missing = [choice for choice in need.choices if choice not in spec.choices]
    if missing and spec.is_custom:
        custom = contact_queries.custom_fields_of_account(account).get(key=need.key)
        contact_actions.update_custom_field(
            account, custom, label=custom.label, choices=[*spec.choices, *missing]
        )


def _ensure_list(account: Account, need: ListNeed) -> int:
    found = list_queries.lists_of_account(account).filter(name=need.name).first()
    if found is None:
        created = list_actions.create_list(
            account,
            name=need.name,
            is_public=need.is_public,
            public_description=need.public_description,
        )
        return created.pk
    if found.kind != ListKind.STATIC:
        raise TemplateError(
            _("The list “%(name)s” exists as a dynamic list; this template needs a static one.")
            % {"name": need.name}
        )
    if need.is_public and not found.is_public:
        list_actions.update_list(account, found, {"is_public": True})
    return found.pk


def _make_form(account: Account, need: FormNeed, objects: _TemplateObjects) -> Any:
    form = form_actions.create_form(account, name=need.name)
    present = {
        form_field.field_key for form_field, _spec in form_queries.load_definition(form).visible
    }
    for key in need.fields:
        if key not in present:
            form_actions.add_field(account, form, key, required=key in need.required)
    for hidden in need.hidden:
        form_actions.add_field(
            account,
            form,
            hidden.key,
            is_hidden=True,
            fixed_value=hidden.fixed_value,
            query_param=hidden.query_param,
        )
    if need.offered_lists or need.target_lists:
        form_actions.set_lists(
            account,
            form,
            offered_ids=[objects.ids[("list", ref)] for ref in need.offered_lists],
            target_ids=[objects.ids[("list", ref)] for ref in need.target_lists],
        )
    for channel, wording in need.consents:
        form_actions.set_consent(account, form, channel=channel, enabled=True, wording=wording)
    texts = {
        "title": need.title,
        "description": need.description,
        "submit_label": need.submit_label,
        "lists_intro": need.lists_intro,
        "thank_you_title": need.thank_you_title,
        "thank_you_text": need.thank_you_text,
    }
    form_actions.update_form(account, form, {name: text for name, text in texts.items() if text})
    return form_actions.publish_form(account, form)


def _make_message(account: Account, need: MessageNeed, objects: _TemplateObjects) -> int:
    # No sender is written on the message: it goes out as the account's
    # default sender, and a send without one is stopped and reported then.
    values: dict[str, Any] = {"name": need.name, "is_advertising": need.is_advertising}
    if need.channel == "email":
        values.update(
            subject=need.subject,
            preheader=need.preheader,
            blocks=objects.resolve(list(need.blocks)),
        )
    else:
        values["text"] = objects.resolve(need.text)
    message = campaign_actions.save_message(account, None, values, channel=need.channel)
    return message.pk


def _make_flow(account: Account, template: FlowTemplate, objects: _TemplateObjects) -> Flow:
    graph = objects.resolve(template.graph)
    problems = graphs.validate_graph(account, graph)
    if problems:
        # The catalogue's tests make every template in a fresh account, so
        # this means the account's own objects got in the way.
        raise FlowError(_("The flow is not valid."), problems)
    return flow_actions.create_flow(
        account,
        {
            "name": template.flow_name,
            "graph": graph,
            "reentry": template.reentry,
            "reentry_days": template.reentry_days,
        },
    )
