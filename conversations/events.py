"""The inbox's event stream: stored, numbered per workspace, then pushed.

See docs/architecture.md, "The inbox". `record` is the only way an event is
made: it writes an `Event` row, without a number, in the caller's
transaction, so the event exists exactly when the change it describes does.
After that transaction commits, `number_pending` gives the workspace's
unnumbered events the next numbers (`seq`) in a short transaction of its
own, and the numbered events are pushed to the workspace's group (and the
conversation's).

Numbering holds the workspace's `EventCounter` row lock only for that short
transaction, never while the change itself is made, so it cannot deadlock
with the row locks of messages, conversations or recipients. Because the
numbering transactions of one workspace are serialised by that lock, once
event N is visible every event before it is too, and numbers have no gaps:
a client that holds N and receives N + 2 can read N + 1 from the database.

A numbering lost with its process (killed between the commit and the
numbering) is done by the next one in the workspace, or when a client
resumes (`events_after`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from conversations.models import Conversation, Event, EventCounter, Message, Note
from thoughtflow.layer import send_to_groups

logger = logging.getLogger(__name__)

# The channel-layer message type; Channels calls `inbox_event` on consumers.
PUSH_TYPE = "inbox.event"


def workspace_group(workspace_id: int) -> str:
    return f"workspace.{workspace_id}.inbox"


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}.inbox"


def record(
    workspace_id: int,
    kind: str,
    payload: dict[str, Any],
    conversation_id: int | None = None,
) -> Event:
    """Store an event in the current transaction; number and push it after.

    The event is rolled back with the change it describes.
    """
    event = Event.objects.create(
        workspace_id=workspace_id,
        kind=kind,
        conversation_id=conversation_id,
        payload=payload,
    )
    _publish_after_commit(workspace_id)
    return event


class Publish:
    """Number and push a workspace's pending events once the commit is done."""

    def __init__(self, workspace_id: int) -> None:
        self.workspace_id = workspace_id
        self.has_run = False

    def __call__(self) -> None:
        self.has_run = True
        for event in number_pending(self.workspace_id):
            push(event)


def _publish_after_commit(workspace_id: int) -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # One numbering per workspace and transaction numbers all its events.
        # Django drops the entries of a rolled-back savepoint from this list,
        # so a callback found here will run.
        for _, callback, _ in connection.run_on_commit:
            if (
                isinstance(callback, Publish)
                and callback.workspace_id == workspace_id
                and not callback.has_run
            ):
                return
    transaction.on_commit(Publish(workspace_id), robust=True)


def number_pending(workspace_id: int) -> list[Event]:
    """Number the workspace's committed events that have no number yet.

    Returns them in order. Holds the counter's row lock only for this short
    transaction.
    """
    unnumbered = Event.objects.filter(workspace_id=workspace_id, seq__isnull=True)
    if not unnumbered.exists():
        return []

    with transaction.atomic():
        counter = _locked_counter(workspace_id)
        # Read after taking the lock: whatever an earlier holder numbered is
        # committed and no longer listed here.
        pending = list(unnumbered.order_by("id").select_for_update(no_key=True))
        for event in pending:
            counter.last_seq += 1
            event.seq = counter.last_seq
        Event.objects.bulk_update(pending, ["seq"])
        counter.save(update_fields=["last_seq"])

    return pending


def _locked_counter(workspace_id: int) -> EventCounter:
    counters = EventCounter.objects.select_for_update(no_key=True)
    counter = counters.filter(workspace_id=workspace_id).first()
    if counter is None:
        EventCounter.objects.bulk_create(
            [EventCounter(workspace_id=workspace_id)], ignore_conflicts=True
        )
        counter = counters.get(workspace_id=workspace_id)
    return counter


def last_seq(workspace_id: int) -> int:
    """The newest event number of the workspace, 0 before its first event."""
    counter = EventCounter.objects.filter(workspace_id=workspace_id).first()
    return counter.last_seq if counter else 0


def events_after(workspace_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` frames of the workspace's events numbered above `after`.

    Oldest first, with no gaps. Numbers events a lost numbering left behind
    first, so none stays invisible.
    """
    number_pending(workspace_id)
    events = (
        Event.objects.for_workspace(workspace_id)
        .filter(seq__gt=after)
        .order_by("seq")[:limit]
    )
    return [as_frame(event) for event in events]


def as_frame(event: Event) -> dict[str, Any]:
    """The event as a client receives it."""
    return {
        "type": "event",
        "id": event.seq,
        "kind": event.kind,
        "conversation": event.conversation_id,
        "payload": event.payload,
        "at": event.created_at.isoformat(),
    }


def push(event: Event) -> None:
    """Send a numbered event to its groups; a failure is logged, never raised.

    The database holds the event, so a lost push costs a client only a delay:
    it reads the event back at its next event or reconnect.
    """
    message = {"type": PUSH_TYPE, "event": as_frame(event)}
    groups = [workspace_group(event.workspace_id)]
    if event.conversation_id is not None:
        groups.append(conversation_group(event.conversation_id))
    try:
        send_to_groups(groups, message)
    except Exception:
        logger.warning("inbox push failed seq=%s", event.seq, exc_info=True)


def message_created(message: Message) -> Event:
    return record(
        message.workspace_id,
        Event.Kind.MESSAGE_CREATED,
        {"message": message_payload(message)},
        conversation_id=message.conversation_id,
    )


def message_status(message: Message) -> Event:
    return record(
        message.workspace_id,
        Event.Kind.MESSAGE_STATUS,
        {
            "message_id": message.pk,
            "status": message.status,
            "block_reason": message.block_reason,
            "error_code": message.error_code,
        },
        conversation_id=message.conversation_id,
    )


def conversation_updated(conversation_id: int, change: str) -> Event:
    """Record the conversation's current state; `change` says what moved it."""
    conversation = Conversation.objects.get(pk=conversation_id)
    return record(
        conversation.workspace_id,
        Event.Kind.CONVERSATION_UPDATED,
        {"change": change, "conversation": conversation_payload(conversation)},
        conversation_id=conversation.pk,
    )


def handoff_requested(
    conversation_id: int | None, workspace_id: int, reason: str, **details: Any
) -> Event:
    """Record that the conversation needs a person, and why."""
    return record(
        workspace_id,
        Event.Kind.HANDOFF_REQUESTED,
        {"reason": reason, **details},
        conversation_id=conversation_id,
    )


def note_created(note: Note) -> Event:
    return record(
        note.workspace_id,
        Event.Kind.NOTE_CREATED,
        {"note": note_payload(note)},
        conversation_id=note.conversation_id,
    )


def note_payload(note: Note) -> dict[str, Any]:
    return {
        "id": note.pk,
        "author_user_id": note.author_id,
        "body": note.body,
        "created_at": note.created_at.isoformat(),
    }


def message_payload(message: Message) -> dict[str, Any]:
    """What a thread needs to show a message; the body is plain text."""
    return {
        "id": message.pk,
        "direction": message.direction,
        "author": message.author,
        "author_user_id": message.author_user_id,
        "purpose": message.purpose,
        "body": message.body,
        "media": message.media,
        "status": message.status,
        "block_reason": message.block_reason,
        "created_at": message.created_at.isoformat(),
    }


def conversation_payload(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "contact_id": conversation.contact_id,
        "state": conversation.state,
        "assignee_id": conversation.assignee_id,
        "team_id": conversation.team_id,
        "needs_attention": conversation.needs_attention,
        "closed_at": (
            conversation.closed_at.isoformat() if conversation.closed_at else None
        ),
        "snoozed_until": (
            conversation.snoozed_until.isoformat()
            if conversation.snoozed_until
            else None
        ),
    }
