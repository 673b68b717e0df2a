"""Builders for inbox tests: conversations and the texts in them."""

import datetime

from django.utils import timezone

from conversations.models import Conversation, Message
from integrations.crm.models import Contact
from integrations.twilio.models import Sender
from thoughtflow.models import User


def make_conversation(
    contact: Contact, sender: Sender, **fields: object
) -> Conversation:
    fields.setdefault("last_message_at", timezone.now())
    return Conversation.objects.create(
        workspace_id=contact.workspace_id, contact=contact, sender=sender, **fields
    )


def add_text(
    conversation: Conversation,
    body: str,
    *,
    inbound: bool = True,
    author: str | None = None,
    author_user: User | None = None,
    status: str | None = None,
    ago_s: float = 0,
) -> Message:
    """A message in the thread, `ago_s` seconds before now."""
    return Message.objects.create(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        contact=conversation.contact,
        sender=conversation.sender,
        direction=Message.Direction.INBOUND if inbound else Message.Direction.OUTBOUND,
        author=author or (Message.Author.CONTACT if inbound else Message.Author.AGENT),
        author_user=author_user,
        body=body,
        status=status
        or (Message.Status.RECEIVED if inbound else Message.Status.DELIVERED),
        created_at=timezone.now() - datetime.timedelta(seconds=ago_s),
    )
