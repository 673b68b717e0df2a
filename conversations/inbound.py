"""Inbound texts: store before answering, then process once in a task.

`store_inbound` runs inside the webhook request and does as little as it
can: one insert keyed by the carrier's MessageSid, plus the task that will
process it, in one transaction. `process_inbound` finds or creates the
contact and conversation, records the message, and applies the keyword
rules: opt-out, opt-in and help. Both are safe to repeat.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from conversations import events
from conversations.consent import lock_recipient_state, record_opt_in, record_opt_out
from conversations.encoding import count_segments
from conversations.keywords import KeywordKind, KeywordMatch, classify
from conversations.models import (
    Consent,
    ConsentRecord,
    Conversation,
    InboundWebhook,
    Message,
    MessagingSettings,
    RecipientState,
)
from conversations.quiet_hours import recipient_state
from conversations.sending import open_conversation, send_sms, touch_conversation
from conversations.signals import message_received
from conversations.state import update_conversation
from integrations.crm.models import Activity, Contact
from integrations.crm.phones import InvalidPhoneNumber
from integrations.crm.services import contact_for_phone, record_activity
from integrations.twilio.models import Sender
from thoughtflow.tasks import enqueue

logger = logging.getLogger(__name__)

# OptOutType values: Twilio's Advanced Opt-Out already answered these.
CARRIER_HANDLED = {
    "STOP": KeywordKind.OPT_OUT,
    "START": KeywordKind.OPT_IN,
    "HELP": KeywordKind.HELP,
}
MAX_MEDIA = 10


def store_inbound(
    *, workspace_id: int, sender_id: int, form: Mapping[str, str]
) -> InboundWebhook | None:
    """Keep the carrier's request and schedule its processing.

    Returns None when this MessageSid was stored before (a carrier retry).
    """
    payload = {key: form[key] for key in form}
    try:
        with transaction.atomic():
            webhook = InboundWebhook.objects.create(
                workspace_id=workspace_id,
                sender_id=sender_id,
                message_sid=payload["MessageSid"],
                payload=payload,
            )
            enqueue("conversations.tasks.process_inbound", webhook.pk)
    except IntegrityError:
        logger.info("inbound sms repeated sid=%s", payload["MessageSid"])
        return None
    return webhook


def process_inbound(webhook_id: int) -> str:
    """Turn a stored inbound request into a message and act on its keywords."""
    with transaction.atomic():
        webhook = (
            InboundWebhook.objects.select_for_update(no_key=True)
            .select_related("sender__workspace")
            .filter(pk=webhook_id)
            .first()
        )
        if webhook is None or webhook.processed_at is not None:
            return "done"
        payload = webhook.payload
        sender = webhook.sender
        contact = _contact_for(sender, payload.get("From", ""))
        if contact is None:
            webhook.processed_at = timezone.now()
            webhook.error = "The sender's address is not a phone number we can text."
            webhook.save(update_fields=["processed_at", "error"])
            logger.warning(
                "inbound sms from unusable address webhook_id=%s", webhook.pk
            )
            return "unusable_sender"

        message = _record_message(webhook, sender, contact, payload)
        state = lock_recipient_state(contact)
        _note_recipient(state, payload, contact)
        match = _keyword(payload, state)
        if match is not None:
            _apply_keyword(match, payload, state, message, sender)
        webhook.processed_at = timezone.now()
        webhook.message = message
        webhook.save(update_fields=["processed_at", "message"])
        transaction.on_commit(
            lambda: message_received.send(
                sender=Message, message=message, keyword=match and match.kind
            )
        )

    logger.info(
        "inbound sms processed message_id=%s conversation_id=%s keyword=%s",
        message.pk,
        message.conversation_id,
        match.kind if match else "-",
    )
    return "processed"


def _contact_for(sender: Sender, address: str) -> Contact | None:
    try:
        return contact_for_phone(sender.workspace, address)
    except InvalidPhoneNumber:
        return None


def _record_message(
    webhook: InboundWebhook, sender: Sender, contact: Contact, payload: dict[str, Any]
) -> Message:
    now = timezone.now()
    body = payload.get("Body", "")
    conversation = open_conversation(contact, sender)
    info = count_segments(body)
    message = Message.objects.create(
        workspace_id=sender.workspace_id,
        conversation=conversation,
        contact=contact,
        sender=sender,
        direction=Message.Direction.INBOUND,
        author=Message.Author.CONTACT,
        body=body,
        media=_media(payload),
        twilio_sid=webhook.message_sid,
        encoding=info.encoding.value,
        segments=info.segments,
        status=Message.Status.RECEIVED,
        status_history=[{"status": "received", "at": now.isoformat()}],
        created_at=now,
    )
    touch_conversation(conversation, now)
    events.message_created(message)
    update_conversation(
        conversation.pk,
        "reopened",
        where=Q(state=Conversation.State.CLOSED),
        state=Conversation.State.WAITING,
    )
    # A reply is what a snooze waits for: the conversation is back in view.
    update_conversation(
        conversation.pk,
        "unsnoozed",
        where=Q(snoozed_until__isnull=False),
        snoozed_until=None,
    )
    record_activity(
        contact,
        Activity.Kind.MESSAGE,
        f"Text received ({len(body)} characters)",
        data={"message_id": message.pk, "direction": "inbound"},
    )
    return message


def _media(payload: dict[str, Any]) -> list[dict[str, str]]:
    try:
        count = min(int(payload.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    return [
        {
            "url": payload.get(f"MediaUrl{n}", ""),
            "content_type": payload.get(f"MediaContentType{n}", ""),
        }
        for n in range(count)
        if payload.get(f"MediaUrl{n}")
    ]


def _note_recipient(
    state: RecipientState, payload: dict[str, Any], contact: Contact
) -> None:
    state.last_inbound_at = timezone.now()
    # The carrier's FromState is better evidence than the area code.
    region = (payload.get("FromState") or "").upper()
    state.region = (
        region if len(region) == 2 else (recipient_state(contact.phone) or "")
    )
    state.save(update_fields=["last_inbound_at", "region"])


def _keyword(payload: dict[str, Any], state: RecipientState) -> KeywordMatch | None:
    handled = CARRIER_HANDLED.get((payload.get("OptOutType") or "").upper())
    match = classify(
        payload.get("Body", ""), opted_out=state.consent == Consent.OPTED_OUT
    )
    if handled is not None and (match is None or match.kind != handled):
        # Twilio recognised a keyword from its own list; trust it.
        return KeywordMatch(
            kind=handled,
            keyword=payload["OptOutType"].upper(),
            plain_language=False,
            reason=f"carrier OptOutType {payload['OptOutType'].upper()}",
        )
    return match


def _apply_keyword(
    match: KeywordMatch,
    payload: dict[str, Any],
    state: RecipientState,
    message: Message,
    sender: Sender,
) -> None:
    carrier_replied = bool(payload.get("OptOutType"))
    source = (
        ConsentRecord.Source.CARRIER
        if carrier_replied
        else ConsentRecord.Source.PLAIN_LANGUAGE
        if match.plain_language
        else ConsentRecord.Source.KEYWORD
    )
    rules = MessagingSettings.for_workspace(state.workspace_id)
    workspace_name = sender.workspace.name

    if match.kind == KeywordKind.OPT_OUT:
        changed = record_opt_out(
            state, source=source, evidence=match.reason, message=message
        )
        flagged = update_conversation(
            message.conversation_id, "opted_out", needs_attention=True
        )
        if changed and not flagged:
            # Flagged already, but the opt-out still belongs in the thread.
            events.conversation_updated(message.conversation_id, "opted_out")
        if changed and not carrier_replied:
            _reply(
                message,
                rules.render(rules.opt_out_reply, workspace_name),
                Message.Purpose.OPT_OUT_CONFIRMATION,
                changed.pk,
            )
    elif match.kind == KeywordKind.OPT_IN:
        changed = record_opt_in(
            state, source=source, evidence=match.reason, message=message
        )
        if changed and not carrier_replied:
            _reply(
                message,
                rules.render(rules.opt_in_reply, workspace_name),
                Message.Purpose.OPT_IN_CONFIRMATION,
                changed.pk,
            )
    elif match.kind == KeywordKind.HELP and not carrier_replied:
        _reply(
            message,
            rules.render(rules.help_reply, workspace_name),
            Message.Purpose.HELP_REPLY,
            message.pk,
        )


def _reply(inbound: Message, body: str, purpose: str, cause_id: int) -> None:
    send_sms(
        contact=inbound.contact,
        sender=inbound.sender,
        body=body,
        author=Message.Author.SYSTEM,
        purpose=purpose,
        idempotency_key=f"{purpose}:{cause_id}",
    )
