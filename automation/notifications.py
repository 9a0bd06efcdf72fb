"""Email to a team member from a flow step."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from automation.nodes.base import Step
from smoove import queries as account_queries

logger = logging.getLogger(__name__)


def notify_member_on_commit(step: Step, user_id: int) -> None:
    """Email the member after the step commits, so a rolled-back step sends nothing.

    A worker that dies between the commit and the email loses that one
    notification: notifications are sent at most once, never twice.
    """
    membership = (
        account_queries.members_of_account(step.account)
        .select_related("user")
        .filter(user_id=user_id)
        .first()
    )
    if membership is None:
        return
    address = membership.user.email
    with translation.override(step.account.language):
        subject = _("A contact reached a step in your flow")
        body = _("Contact: %(contact)s\nFlow: %(flow_id)d, step %(node)s\n\n%(note)s") % {
            "contact": str(step.contact),
            "flow_id": step.flow_id,
            "node": step.node_id,
            "note": step.settings.get("note", ""),
        }

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except (smtplib.SMTPException, OSError):
            logger.warning(
                "team notification not sent",
                extra={"account_id": step.account.pk, "user_id": user_id},
            )

    transaction.on_commit(send)
