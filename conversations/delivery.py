"""Delivering the outbox: exactly one copy of each message to the carrier.

A message moves QUEUED -> SUBMITTING -> ACCEPTED (then SENT, DELIVERED by
status callbacks). The move to SUBMITTING commits, under the recipient's
lock and after a fresh gate check, before the carrier is called, with a
lease a little longer than the HTTP timeout. If the worker dies during the
call, the lease expires, the claimer hands the message to a task again, and
that task first asks the carrier whether it already has the message: found,
it is recorded; not found, it is sent. So a killed worker neither loses a
message nor sends it twice.
"""

from __future__ import annotations

import datetime
import logging
import random
import time
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from conversations import compliance, events
from conversations.compliance import Verdict
from conversations.consent import lock_recipient_state, record_opt_out
from conversations.models import ConsentRecord, Message, MessagingSettings
from conversations.sending import apply_decision, recipient_of
from integrations.twilio import client as carrier
from integrations.twilio.models import Sender
from integrations.twilio.results import CarrierError, Submission
from thoughtflow.claimer import claim_due
from thoughtflow.logs import mask_phone

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0
# Waits for a pacing slot shorter than this happen in the task; longer
# ones go back to the outbox.
MAX_INLINE_PACING_S = 2.0

PENDING = (Message.Status.QUEUED, Message.Status.DEFERRED, Message.Status.SUBMITTING)


def deliver_message(message_id: int) -> str:
    """Deliver one outbox message if it is due. Safe to run any number of times.

    Returns a short word saying what happened, for logs and tests.
    """
    now = timezone.now()
    with transaction.atomic():
        message = _lock(message_id)
        if message is None or message.status not in PENDING:
            return "done"
        if message.next_attempt_at and message.next_attempt_at > now:
            return "not_due"
        before = message.status
        if message.status == Message.Status.SUBMITTING:
            if message.lease_until and message.lease_until > now:
                return "in_flight"
            outcome = _reconcile(message, now)
            if outcome != "not_found":
                _status_changed(message, before)
                return outcome

        state = lock_recipient_state(message.contact)
        rules = MessagingSettings.for_workspace(message.workspace_id)
        decision = compliance.evaluate(
            message, recipient_of(message.contact, state, now), rules, now
        )
        if decision.verdict != Verdict.SEND:
            apply_decision(message, decision, now)
            message.lease_until = None
            message.save()
            _status_changed(message, before)
            logger.info(
                "sms held message_id=%s status=%s reason=%s",
                message.pk,
                message.status,
                decision.reason,
            )
            return message.status

        slot = _reserve_slot(message.sender, now)
        if (slot - now).total_seconds() > MAX_INLINE_PACING_S:
            message.next_attempt_at = slot
            message.save(update_fields=["next_attempt_at", "claimed_until"])
            return "paced"

        message.status = Message.Status.SUBMITTING
        message.attempts += 1
        message.attempt_started_at = now
        message.lease_until = now + datetime.timedelta(
            seconds=settings.SMS_SEND_LEASE_S
        )
        message.add_history(Message.Status.SUBMITTING, attempt=message.attempts)
        if message.purpose == Message.Purpose.OPT_OUT_CONFIRMATION:
            state.opt_out_confirmation = message
            state.save(update_fields=["opt_out_confirmation"])
        message.save()
        _status_changed(message, before)
        attempt = message.attempts

    if (wait := (slot - timezone.now()).total_seconds()) > 0:
        time.sleep(wait)
    try:
        submission = carrier.submit_message(
            message.sender,
            to=message.contact.phone,
            body=message.body,
            media_urls=[item["url"] for item in message.media],
            status_callback=status_callback_url(message),
        )
    except CarrierError as error:
        return _record_failure(message_id, attempt, error)
    return _record_submission(message_id, attempt, submission)


def claim_due_messages(limit: int = 200) -> int:
    """Hand every due outbox message to a task; return how many were handed.

    A submission in flight is left to its worker until its lease ends.
    """
    return claim_due(
        lambda now: Message.objects.filter(
            status__in=PENDING, next_attempt_at__lte=now
        ).exclude(status=Message.Status.SUBMITTING, lease_until__gt=now),
        order_by="next_attempt_at",
        task="conversations.tasks.deliver_message",
        lease_s=settings.SMS_CLAIM_LEASE_S,
        limit=limit,
    )


def status_callback_url(message: Message) -> str:
    # The message id rides along so a callback finds its message even when
    # the worker died before recording the SID.
    path = reverse("twilio:status")
    return f"{settings.PUBLIC_BASE_URL}{path}?m={message.pk}"


def _lock(message_id: int) -> Message | None:
    message = (
        Message.objects.select_for_update(no_key=True)
        .select_related("contact__workspace", "sender__account")
        .filter(pk=message_id)
        .first()
    )
    if message is not None:
        # The task is running: the claimer's hold on the row has served.
        message.claimed_until = None
    return message


def _reconcile(message: Message, now: datetime.datetime) -> str:
    """Settle a message whose previous attempt's outcome was lost."""
    known = set(
        Message.objects.filter(
            sender=message.sender, contact=message.contact, twilio_sid__isnull=False
        ).values_list("twilio_sid", flat=True)
    )
    try:
        found = carrier.find_submitted(
            message.sender,
            to=message.contact.phone,
            body=message.body,
            since=message.attempt_started_at or message.created_at,
            exclude_sids=known,
        )
    except CarrierError as error:
        # Not knowing is no licence to send again: look later.
        message.next_attempt_at = now + _backoff(message.attempts)
        message.lease_until = None
        message.add_history("reconcile_failed", error=str(error)[:200])
        message.save()
        logger.warning("sms reconcile failed message_id=%s error=%s", message.pk, error)
        return "reconcile_failed"

    if found is None:
        logger.warning(
            "sms attempt lost before the carrier message_id=%s attempt=%s",
            message.pk,
            message.attempts,
        )
        return "not_found"
    _accept(message, found, source="reconcile")
    message.save()
    logger.info("sms reconciled message_id=%s sid=%s", message.pk, found.sid)
    return "reconciled"


def _record_submission(message_id: int, attempt: int, submission: Submission) -> str:
    with transaction.atomic():
        message = _lock(message_id)
        if message is None:
            return "done"
        if message.twilio_sid and message.twilio_sid != submission.sid:
            logger.error(
                "sms has two carrier sids message_id=%s sid=%s other_sid=%s",
                message.pk,
                message.twilio_sid,
                submission.sid,
            )
        before = message.status
        if message.status == Message.Status.SUBMITTING and message.attempts == attempt:
            _accept(message, submission, source="api")
        elif not message.twilio_sid:
            # A status callback overtook this answer; keep its status.
            message.twilio_sid = submission.sid
        message.save()
        _status_changed(message, before)
    logger.info(
        "sms sent message_id=%s sid=%s to=%s attempt=%s",
        message_id,
        submission.sid,
        mask_phone(message.contact.phone),
        attempt,
    )
    return "accepted"


def _accept(message: Message, submission: Submission, *, source: str) -> None:
    message.twilio_sid = submission.sid
    message.status = Message.Status.ACCEPTED
    message.submitted_at = message.attempt_started_at or timezone.now()
    message.lease_until = None
    message.next_attempt_at = None
    message.add_history(Message.Status.ACCEPTED, sid=submission.sid, source=source)


def _record_failure(message_id: int, attempt: int, error: CarrierError) -> str:
    now = timezone.now()
    with transaction.atomic():
        message = _lock(message_id)
        if message is None or message.status != Message.Status.SUBMITTING:
            return "done"
        if message.attempts != attempt:
            return "superseded"
        before = message.status

        message.add_history(
            "attempt_failed", attempt=attempt, code=error.code, error=str(error)[:200]
        )
        message.error_code = error.code
        message.error_message = str(error)[:300]
        if error.code in carrier.OPTED_OUT_CODES:
            state = lock_recipient_state(message.contact)
            record_opt_out(
                state,
                source=ConsentRecord.Source.CARRIER,
                evidence=f"Carrier refused a message with error {error.code}.",
                message=message,
            )
        if not error.retryable or attempt >= MAX_ATTEMPTS:
            message.status = Message.Status.FAILED
            message.lease_until = None
            message.next_attempt_at = None
            message.add_history(Message.Status.FAILED, code=error.code)
            result = "failed"
        elif error.outcome_known:
            message.status = Message.Status.QUEUED
            message.lease_until = None
            message.next_attempt_at = now + _backoff(attempt)
            result = "retry"
        else:
            # Leave it SUBMITTING: the next attempt reconciles before sending.
            message.lease_until = now
            message.next_attempt_at = now + _backoff(attempt)
            result = "retry_after_reconcile"
        message.save()
        _status_changed(message, before)

    log = logger.warning if result != "failed" else logger.error
    log(
        "sms attempt failed message_id=%s attempt=%s code=%s http_status=%s result=%s",
        message_id,
        attempt,
        error.code,
        error.http_status,
        result,
    )
    return result


def _reserve_slot(sender: Sender, now: datetime.datetime) -> datetime.datetime:
    """Take the sender's next send slot, pacing it to its messages per second."""
    locked = Sender.objects.select_for_update(no_key=True).get(pk=sender.pk)
    slot = max(locked.next_send_at or now, now)
    interval = datetime.timedelta(
        seconds=float(1 / max(locked.messages_per_second, Decimal("0.01")))
    )
    Sender.objects.filter(pk=sender.pk).update(next_send_at=slot + interval)
    return slot


def _backoff(attempt: int) -> datetime.timedelta:
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(attempt - 1, 0))
    # Full jitter spreads retries of many messages after one carrier outage.
    return datetime.timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311


def _status_changed(message: Message, before: str) -> None:
    if message.status != before:
        events.message_status(message)
