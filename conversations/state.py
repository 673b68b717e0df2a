"""Changes to a conversation's row that the inbox must hear about.

Every change of state or flags made outside the inbox goes through
`update_conversation`, which records a `conversation.updated` event in the
same transaction (conversations/events.py), so an open inbox never shows a
stale state.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q

from conversations import assignment, events
from conversations.models import Conversation, Team

logger = logging.getLogger(__name__)


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
    When the workspace assigns by rotation and nobody has the conversation,
    it goes to the next person online in turn (conversations/assignment.py).
    """
    fields: dict[str, Any] = {"needs_attention": True}
    if team is not None:
        fields["team"] = team
    with transaction.atomic():
        update_conversation(conversation_id, "flagged", **fields)
        events.handoff_requested(conversation_id, workspace_id, reason, **details)
        _assign_in_turn(conversation_id)


def _assign_in_turn(conversation_id: int) -> None:
    # Locked so that a person assigning it by hand meanwhile either comes
    # first, and the rotation leaves it alone, or waits and overrides it.
    conversation = Conversation.objects.select_for_update(
        of=("self",), no_key=True
    ).get(pk=conversation_id)
    if conversation.assignee_id is not None:
        return

    user_id = assignment.advance_rotation(conversation)
    if user_id is None:
        return

    update_conversation(conversation_id, "assigned", assignee_id=user_id)
    logger.info(
        "conversation assigned in turn workspace_id=%s conversation_id=%s "
        "user_id=%s team_id=%s",
        conversation.workspace_id,
        conversation_id,
        user_id,
        conversation.team_id,
    )


def latest_open_conversation(contact_id: int) -> Conversation | None:
    """The contact's most recently active conversation that is not closed."""
    return (
        Conversation.objects.filter(contact_id=contact_id)
        .exclude(state=Conversation.State.CLOSED)
        .order_by("-last_message_at", "-id")
        .first()
    )
