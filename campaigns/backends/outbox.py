"""The local outbox: messages are kept as rows that the marketer can read in the app."""

from campaigns.backends.base import Backend, Outgoing
from campaigns.models import OutboxMessage


class OutboxBackend(Backend):
    def send(self, outgoing: Outgoing) -> str:
        kept = OutboxMessage.objects.create(
            account_id=self.account_id,
            channel=self.channel,
            to=outgoing.to,
            sender=outgoing.sender,
            subject=outgoing.subject,
            text=outgoing.text,
            html=outgoing.html,
            headers=outgoing.headers,
        )
        return f"outbox-{kept.pk}"
