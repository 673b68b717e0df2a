"""Delivery status from the carrier's callbacks, which may arrive in any order.

Each callback is appended to the message's history; the status itself only
moves forward (queued < sent < delivered, undelivered or failed), so a late
`sent` never overwrites `delivered`. Some error codes also change what the
gate knows: 21610 is an opt-out, 30003/30005/30006 mark the number
unreachable, 30007 raises a filtering alert on the sender.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from conversations import events
from conversations.consent import lock_recipient_state, record_opt_out
from conversations.models import ConsentRecord, Message
from integrations.twilio.models import Sender

logger = logging.getLogger(__name__)

CARRIER_STATUS = {
    "accepted": Message.Status.ACCEPTED,
    "scheduled": Message.Status.ACCEPTED,
    "queued": Message.Status.ACCEPTED,
    "sending": Message.Status.ACCEPTED,
    "sent": Message.Status.SENT,
    "delivered": Message.Status.DELIVERED,
    "read": Message.Status.DELIVERED,
    "undelivered": Message.Status.UNDELIVERED,
    "failed": Message.Status.FAILED,
    "canceled": Message.Status.CANCELED,
}
RANK = {
    Message.Status.QUEUED: 0,
    Message.Status.DEFERRED: 0,
    Message.Status.SUBMITTING: 1,
    Message.Status.ACCEPTED: 2,
    Message.Status.SENT: 3,
    Message.Status.DELIVERED: 4,
    Message.Status.UNDELIVERED: 4,
    Message.Status.FAILED: 4,
    Message.Status.CANCELED: 4,
}
UNREACHABLE_CODES = frozenset({30003, 30005, 30006})
FILTERED_CODE = 30007
OPTED_OUT_CODE = 21610


def record_status(
    message_id: int,
    *,
    sid: str,
    carrier_status: str,
    error_code: int | None = None,
    error_message: str = "",
) -> Message | None:
    """Apply one status callback. Returns the message, or None if unknown."""
    new_status = CARRIER_STATUS.get(carrier_status)
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(no_key=True)
            .select_related("contact")
            .filter(pk=message_id, direction=Message.Direction.OUTBOUND)
            .first()
        )
        if message is None:
            return None
        if any(
            entry.get("sid") == sid and entry.get("carrier_status") == carrier_status
            for entry in message.status_history
        ):
            return message  # A repeated callback.
        before = (message.status, message.error_code)

        message.add_history(
            new_status or carrier_status,
            sid=sid,
            carrier_status=carrier_status,
            error_code=error_code,
            source="callback",
        )
        if not message.twilio_sid:
            message.twilio_sid = sid
        if new_status and RANK.get(new_status, -1) > RANK.get(message.status, 99):
            message.status = new_status
            if message.status != Message.Status.SUBMITTING:
                message.lease_until = None
                message.next_attempt_at = None
                message.submitted_at = (
                    message.submitted_at or message.attempt_started_at
                )
        if error_code:
            message.error_code = error_code
            message.error_message = error_message[:300]
            _act_on_error(message, error_code)
        message.save()
        if (message.status, message.error_code) != before:
            events.message_status(message)
    return message


def _act_on_error(message: Message, code: int) -> None:
    if code == OPTED_OUT_CODE:
        record_opt_out(
            lock_recipient_state(message.contact),
            source=ConsentRecord.Source.CARRIER,
            evidence=f"Carrier reported error {code} for message {message.pk}.",
            message=message,
        )
    elif code in UNREACHABLE_CODES:
        state = lock_recipient_state(message.contact)
        state.unreachable_code = code
        state.unreachable_at = timezone.now()
        state.save(update_fields=["unreachable_code", "unreachable_at"])
        logger.warning(
            "number unreachable contact_id=%s code=%s", message.contact_id, code
        )
    elif code == FILTERED_CODE:
        Sender.objects.filter(pk=message.sender_id).update(
            filtered_at=timezone.now(), filtered_count=F("filtered_count") + 1
        )
        logger.warning(
            "carrier filtered a message sender_id=%s message_id=%s",
            message.sender_id,
            message.pk,
        )
