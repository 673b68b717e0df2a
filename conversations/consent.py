"""Consent changes: opt-outs, opt-ins, and the lock that orders them with sends.

Every change appends a `ConsentRecord` (the audit history) and updates the
contact's `RecipientState` under a row lock. The delivery task takes the
same lock before a message leaves, so a send either happens before an
opt-out is recorded or sees it.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import Consent, ConsentRecord, Message, RecipientState
from integrations.crm.models import Activity, Contact
from integrations.crm.services import record_activity
from thoughtflow.models import User

logger = logging.getLogger(__name__)


def lock_recipient_state(contact: Contact) -> RecipientState:
    """Return the contact's state row, locked until the transaction ends."""
    assert transaction.get_connection().in_atomic_block, "lock inside a transaction"
    state = (
        RecipientState.objects.select_for_update(no_key=True)
        .filter(contact=contact)
        .first()
    )
    if state is not None:
        return state
    try:
        with transaction.atomic():
            RecipientState.objects.create(
                workspace_id=contact.workspace_id, contact=contact
            )
    except IntegrityError:
        pass  # Created by a concurrent transaction; lock that one.
    return RecipientState.objects.select_for_update(no_key=True).get(contact=contact)


def record_opt_out(
    state: RecipientState,
    *,
    source: str,
    evidence: str = "",
    channel: str = "sms",
    message: Message | None = None,
    actor: User | None = None,
) -> ConsentRecord | None:
    """Opt the contact out. Returns None when they already were."""
    if state.consent == Consent.OPTED_OUT:
        return None

    now = timezone.now()
    state.consent = Consent.OPTED_OUT
    state.consent_changed_at = now
    state.opted_out_at = now
    state.opt_out_confirmation = None
    state.save(
        update_fields=[
            "consent",
            "consent_changed_at",
            "opted_out_at",
            "opt_out_confirmation",
        ]
    )
    record = _record(
        state, Consent.OPTED_OUT, source, channel, evidence, message, actor
    )
    logger.info(
        "contact opted out workspace_id=%s contact_id=%s source=%s",
        state.workspace_id,
        state.contact_id,
        source,
    )
    return record


def record_opt_in(
    state: RecipientState,
    *,
    source: str,
    evidence: str = "",
    channel: str = "sms",
    message: Message | None = None,
    actor: User | None = None,
) -> ConsentRecord | None:
    """Opt the contact in. Returns None when they already were."""
    if state.consent == Consent.OPTED_IN:
        return None

    state.consent = Consent.OPTED_IN
    state.consent_changed_at = timezone.now()
    state.save(update_fields=["consent", "consent_changed_at"])
    record = _record(state, Consent.OPTED_IN, source, channel, evidence, message, actor)
    logger.info(
        "contact opted in workspace_id=%s contact_id=%s source=%s",
        state.workspace_id,
        state.contact_id,
        source,
    )
    return record


def _record(
    state: RecipientState,
    status: str,
    source: str,
    channel: str,
    evidence: str,
    message: Message | None,
    actor: User | None,
) -> ConsentRecord:
    record = ConsentRecord.objects.create(
        workspace_id=state.workspace_id,
        contact_id=state.contact_id,
        status=status,
        source=source,
        channel=channel,
        evidence=evidence[:2000],
        message=message,
        actor=actor,
    )
    label = "Opted out" if status == Consent.OPTED_OUT else "Opted in"
    record_activity(
        state.contact,
        Activity.Kind.FIELD_CHANGE,
        f"{label} ({record.get_source_display().lower()})",
        data={"consent": status, "consent_record_id": record.pk},
        actor=actor,
    )
    return record
