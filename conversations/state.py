"""Changes to a conversation's row that the inbox must hear about.

Every change of state or flags made outside the inbox goes through
`update_conversation`, which records a `conversation.updated` event in the
same transaction (conversations/events.py), so an open inbox never shows a
stale state.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from conversations import events
from conversations.models import Conversation, Team


def update_conversation(
    conversation_id: int, change: str, where: Q | None = None, **fields: Any
) -> bool:
    """Set `fields` on the conversation if it matches `where`.

    Returns whether anything changed; only a change is recorded, with
    `change` naming what caused it.
    """
    with transaction.atomic():
        updated = (
            Conversation.objects.filter(where or Q(), pk=conversation_id)
            .exclude(Q(**fields))
            .update(**fields)
        )
        if updated:
            events.conversation_updated(conversation_id, change)
    return bool(updated)


def flag_for_person(
    conversation_id: int,
    workspace_id: int,
    reason: str,
    *,
    team: Team | None = None,
    **details: Any,
) -> None:
    """Put the conversation in the inbox's "needs a human" view, saying why.

    A `team` becomes the conversation's team; without one it keeps its own.
    """
    fields: dict[str, Any] = {"needs_attention": True}
    if team is not None:
        fields["team"] = team
    with transaction.atomic():
        update_conversation(conversation_id, "flagged", **fields)
        events.handoff_requested(conversation_id, workspace_id, reason, **details)


def latest_open_conversation(contact_id: int) -> Conversation | None:
    """The contact's most recently active conversation that is not closed."""
    return (
        Conversation.objects.filter(contact_id=contact_id)
        .exclude(state=Conversation.State.CLOSED)
        .order_by("-last_message_at", "-id")
        .first()
    )
