"""The one way out: every outbound text, whoever writes it, starts here.

`send_sms` asks the compliance gate, writes the message (the outbox row) in
the caller's transaction, and enqueues its delivery, which commits with it.
Blocked and deferred messages are written too, with their reason: nothing
is dropped silently. `conversations.delivery` takes it from there.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from conversations import compliance, events
from conversations.compliance import Decision, Recipient, Verdict
from conversations.encoding import count_segments
from conversations.models import (
    Conversation,
    GlobalSuppression,
    Message,
    MessagingSettings,
    RecipientState,
    Suppression,
)
from integrations.crm.models import Activity, Contact
from integrations.crm.services import record_activity
from integrations.twilio.models import Sender
from thoughtflow.errors import ThoughtflowError
from thoughtflow.models import User
from thoughtflow.tasks import enqueue

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 1600
# Statuses of outbound messages that count toward a contact's daily cap.
COUNTED_STATUSES = (
    Message.Status.SUBMITTING,
    Message.Status.ACCEPTED,
    Message.Status.SENT,
    Message.Status.DELIVERED,
)


class NoSender(ThoughtflowError):
    code = "no_sender"
    message = (
        "This workspace has no active number to text from. Add one under "
        "Admin > Numbers and carrier accounts, then send again."
    )


class InvalidMessage(ThoughtflowError):
    code = "invalid_message"


def send_sms(
    *,
    contact: Contact,
    body: str,
    author: str,
    purpose: str = Message.Purpose.CONVERSATION,
    sender: Sender | None = None,
    media_urls: Sequence[str] = (),
    user: User | None = None,
    idempotency_key: str | None = None,
    expires_at: datetime.datetime | None = None,
) -> Message:
    """Write an outbound message and schedule its delivery.

    Returns the message, whose status says what happened: QUEUED, DEFERRED
    (with `next_attempt_at`) or BLOCKED (with `block_reason`). A repeated
    `idempotency_key` returns the first message instead of writing another.
    """
    body = body.strip()
    if not body and not media_urls:
        raise InvalidMessage("A text needs a body or media.")
    if len(body) > MAX_BODY_CHARS:
        raise InvalidMessage(
            f"A text can be at most {MAX_BODY_CHARS} characters; "
            f"this one has {len(body)}."
        )
    if idempotency_key and (existing := _existing(contact, idempotency_key)):
        return existing

    sender = sender or default_sender(contact.workspace_id)
    info = count_segments(body)
    try:
        with transaction.atomic():
            conversation = open_conversation(contact, sender)
            message = Message(
                workspace_id=contact.workspace_id,
                conversation=conversation,
                contact=contact,
                sender=sender,
                direction=Message.Direction.OUTBOUND,
                purpose=purpose,
                author=author,
                author_user=user,
                body=body,
                media=[{"url": url} for url in media_urls],
                encoding=info.encoding.value,
                segments=info.segments,
                idempotency_key=idempotency_key,
                expires_at=expires_at,
            )
            now = timezone.now()
            decision = check(message, now)
            apply_decision(message, decision, now)
            if message.status == Message.Status.QUEUED:
                # Its task is enqueued below; the claimer is only the safety net.
                message.claimed_until = now + datetime.timedelta(
                    seconds=settings.SMS_CLAIM_LEASE_S
                )
            message.save()
            touch_conversation(conversation, now)
            events.message_created(message)
            record_activity(
                contact,
                Activity.Kind.MESSAGE,
                f"Text {message.get_status_display().lower()} "
                f"({message.segments} segment{'s' if message.segments != 1 else ''})",
                data={
                    "message_id": message.pk,
                    "direction": "outbound",
                    "status": message.status,
                    "reason": message.block_reason,
                },
                actor=user,
            )
            if message.status == Message.Status.QUEUED:
                enqueue("conversations.tasks.deliver_message", message.pk)
    except IntegrityError:
        # The same idempotency key won a race with this call.
        if idempotency_key and (existing := _existing(contact, idempotency_key)):
            return existing
        raise

    logger.info(
        "sms written message_id=%s conversation_id=%s status=%s reason=%s "
        "segments=%d body_chars=%d",
        message.pk,
        conversation.pk,
        message.status,
        message.block_reason or "-",
        message.segments,
        len(body),
    )
    return message


def check(message: Message, now: datetime.datetime) -> Decision:
    """Ask the gate about `message` with what is known about its recipient now."""
    contact = message.contact
    state = RecipientState.objects.filter(contact=contact).first() or RecipientState(
        workspace_id=contact.workspace_id, contact=contact
    )
    return compliance.evaluate(
        message,
        recipient_of(contact, state, now),
        MessagingSettings.for_workspace(contact.workspace_id),
        now,
    )


def recipient_of(
    contact: Contact, state: RecipientState, now: datetime.datetime
) -> Recipient:
    suppressed = (
        Suppression.objects.for_workspace(contact.workspace_id)
        .filter(phone=contact.phone)
        .exists()
        or GlobalSuppression.objects.filter(phone=contact.phone).exists()
    )
    recent = Message.objects.filter(
        contact=contact,
        direction=Message.Direction.OUTBOUND,
        status__in=COUNTED_STATUSES,
        submitted_at__gt=now - compliance.CAP_WINDOW,
    ).exclude(purpose__in=compliance.COMPLIANCE_PURPOSES)
    return Recipient(
        state=state,
        time_zone=contact.time_zone or contact.workspace.default_time_zone,
        is_suppressed=suppressed,
        recent_sends=list(recent.values_list("submitted_at", flat=True)),
    )


def apply_decision(
    message: Message, decision: Decision, now: datetime.datetime
) -> None:
    """Set the message's status and schedule from the gate's decision."""
    if decision.verdict == Verdict.BLOCK:
        message.status = (
            Message.Status.CANCELED
            if decision.reason == compliance.BlockReason.EXPIRED
            else Message.Status.BLOCKED
        )
        message.block_reason = decision.reason
        message.next_attempt_at = None
        message.add_history(message.status, reason=decision.reason)
    elif decision.verdict == Verdict.DEFER:
        message.status = Message.Status.DEFERRED
        message.block_reason = decision.reason
        message.next_attempt_at = decision.until
        message.add_history(
            message.status,
            reason=decision.reason,
            until=decision.until.isoformat() if decision.until else None,
        )
    else:
        if message.status != Message.Status.QUEUED:
            message.add_history(Message.Status.QUEUED)
        message.status = Message.Status.QUEUED
        message.block_reason = ""
        message.next_attempt_at = now


def default_sender(workspace_id: int) -> Sender:
    sender = Sender.objects.for_workspace(workspace_id).active().first()
    if sender is None:
        raise NoSender()
    return sender


def open_conversation(contact: Contact, sender: Sender) -> Conversation:
    """The contact's open conversation with `sender`, created if there is none."""
    open_threads = Conversation.objects.filter(contact=contact, sender=sender).filter(
        ~Q(state=Conversation.State.CLOSED)
    )
    conversation = open_threads.first()
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(
                workspace_id=contact.workspace_id, contact=contact, sender=sender
            )
    except IntegrityError:
        return open_threads.get()


def touch_conversation(conversation: Conversation, now: datetime.datetime) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)


def _existing(contact: Contact, idempotency_key: str) -> Message | None:
    return (
        Message.objects.for_workspace(contact.workspace_id)
        .filter(idempotency_key=idempotency_key)
        .first()
    )
