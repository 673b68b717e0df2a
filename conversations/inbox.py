"""What people do in the inbox: take over, reply, note, assign, resolve.

See docs/architecture.md, "The inbox". Each action locks the conversation's
row first, so two people acting on one conversation, or a person and the
agent about to send (workflows/agent/runtime.py), take turns. Changes go
through `update_conversation`, which records the inbox event.
"""

from __future__ import annotations

import datetime
import enum
import logging
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from conversations import events
from conversations.compliance import BLOCK_EXPLANATIONS
from conversations.models import Conversation, Message, Note, ReadState, Team
from conversations.sending import send_sms
from conversations.state import update_conversation
from thoughtflow.errors import Conflict, ThoughtflowError
from thoughtflow.models import Membership, User
from workflows.agent.runtime import resume_after_person
from workflows.engine.runs import resolve_handoff
from workflows.models import Handoff, Run, Step

logger = logging.getLogger(__name__)


class ConversationClosed(Conflict):
    code = "conversation_closed"
    message = (
        "This conversation is resolved. A new text from the contact opens a new one."
    )


class ReplyBlocked(ThoughtflowError):
    code = "reply_blocked"
    status_code = 422
    message = "Your reply was not sent: {explanation}"


class NotAMember(ThoughtflowError):
    code = "not_a_member"
    message = (
        "That person is not a member of this workspace. Add them under "
        "Members first, then assign again."
    )


class UnknownTeam(ThoughtflowError):
    code = "unknown_team"
    message = (
        "That team is not in this workspace. Pick one of its teams, or create "
        "the team under Teams in the admin, then assign again."
    )


class Keep(enum.Enum):
    """Leave a field as it is, where None would mean "nobody"."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


class NoHandoff(ThoughtflowError):
    code = "no_open_handoff"
    message = (
        "No workflow is waiting on this conversation, so there is no outcome "
        "to choose. Resolve it without an outcome."
    )


class SnoozeInPast(ThoughtflowError):
    code = "snooze_in_past"
    message = "A snooze must end in the future. Pick a later time."


class NotInConversation(ThoughtflowError):
    code = "not_in_conversation"
    message = "That message is not part of this conversation."


def take_over(conversation: Conversation, user: User | None) -> Conversation:
    """Give the conversation to a person: the agent stays quiet until handed back.

    The requester becomes the assignee if there is none. Repeating it
    changes nothing.
    """
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        _take(conversation, user)
    return _fresh(conversation)


def reply(conversation: Conversation, user: User | None, body: str) -> Message:
    """Text the contact as a person, through the compliance gate and outbox.

    A person replying takes the conversation over, so the agent does not
    answer the same text. Raises `ReplyBlocked` with the gate's reason when
    the text may not go out; the blocked message stays in the thread.
    """
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        _take(conversation, user)
        message = send_sms(
            contact=conversation.contact,
            sender=conversation.sender,
            body=body,
            author=Message.Author.USER,
            user=user,
        )

    if message.status in (Message.Status.BLOCKED, Message.Status.CANCELED):
        explanation = BLOCK_EXPLANATIONS.get(message.block_reason, "")
        raise ReplyBlocked(explanation=explanation or message.block_reason)
    return message


def add_note(conversation: Conversation, user: User | None, body: str) -> Note:
    """Write a private note; it is shown to the team and never texted."""
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        note = Note.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            author=user,
            body=body,
        )
        events.note_created(note)
    return note


def assign(
    conversation: Conversation,
    user: User | Keep | None = KEEP,
    team: Team | Keep | None = KEEP,
) -> Conversation:
    """Give the conversation to a member, to a team, or both; None to nobody.

    What is left out stays as it was. Raises `NotAMember` for a person and
    `UnknownTeam` for a team outside the conversation's workspace. The
    member need not be in the team.
    """
    fields: dict[str, Any] = {}
    if user is not KEEP:
        if user is not None and not _is_member(conversation.workspace_id, user):
            raise NotAMember()
        fields["assignee"] = user
    if team is not KEEP:
        if team is not None and team.workspace_id != conversation.workspace_id:
            raise UnknownTeam()
        fields["team"] = team
    if not fields:
        return conversation

    with transaction.atomic():
        conversation = _locked(conversation.pk)
        update_conversation(conversation.pk, "assigned", **fields)
    return _fresh(conversation)


def _is_member(workspace_id: int, user: User) -> bool:
    return Membership.objects.for_workspace(workspace_id).filter(user=user).exists()


def hand_back(conversation: Conversation) -> Conversation:
    """Let the agent carry on; it reads the people's texts in its history.

    With an agent step still waiting for the contact the conversation is
    the agent's again and no longer needs attention, and the agent answers
    texts nobody answered meanwhile; without one it only waits, flagged as
    before.
    """
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        if conversation.state == Conversation.State.CLOSED:
            raise ConversationClosed()
        if _agent_waiting(conversation):
            update_conversation(
                conversation.pk,
                "handed_back",
                state=Conversation.State.AI_ACTIVE,
                needs_attention=False,
            )
        else:
            update_conversation(
                conversation.pk, "handed_back", state=Conversation.State.WAITING
            )

    # After the commit: the agent locks its step before the conversation,
    # so taking the step's lock while holding the conversation's could
    # deadlock with a turn about to send.
    resume_after_person(conversation.contact)
    return _fresh(conversation)


def resolve(
    conversation: Conversation, outcome: str, user: User | None
) -> Conversation:
    """Close the conversation; a waiting handoff continues on `outcome`.

    Raises `UnknownOutcome` (listing the allowed ones) for an outcome the
    handoff does not offer, and `NoHandoff` for an outcome with no
    handoff to take it. Resolving a resolved conversation changes nothing.
    """
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        if conversation.state == Conversation.State.CLOSED:
            return conversation
        handoff = open_handoff(conversation)
        if handoff is not None:
            resolve_handoff(handoff, outcome, user)
        elif outcome:
            raise NoHandoff()
        update_conversation(
            conversation.pk,
            "resolved",
            state=Conversation.State.CLOSED,
            needs_attention=False,
            snoozed_until=None,
            closed_at=timezone.now(),
        )
    logger.info(
        "conversation resolved conversation_id=%s handoff_id=%s",
        conversation.pk,
        handoff.pk if handoff else "-",
    )
    return _fresh(conversation)


def snooze(conversation: Conversation, until: datetime.datetime) -> Conversation:
    """Hide the conversation from the open views until `until` or a reply."""
    if until <= timezone.now():
        raise SnoozeInPast()

    with transaction.atomic():
        conversation = _locked(conversation.pk)
        if conversation.state == Conversation.State.CLOSED:
            raise ConversationClosed()
        update_conversation(conversation.pk, "snoozed", snoozed_until=until)
    return _fresh(conversation)


def mark_read(conversation: Conversation, user: User, message_id: int) -> ReadState:
    """Move the person's read mark up to `message_id`; it never moves back."""
    if not conversation.messages.filter(pk=message_id).exists():
        raise NotInConversation()

    with transaction.atomic():
        _locked(conversation.pk)
        state, _ = ReadState.objects.get_or_create(
            user=user,
            conversation=conversation,
            defaults={"workspace_id": conversation.workspace_id},
        )
        if message_id > state.last_read_message_id:
            state.last_read_message_id = message_id
            state.save(update_fields=["last_read_message_id", "updated_at"])
    return state


def open_handoff(conversation: Conversation) -> Handoff | None:
    """The newest handoff still waiting for a person about this contact."""
    return (
        Handoff.objects.filter(
            contact_id=conversation.contact_id, status=Handoff.Status.OPEN
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _take(conversation: Conversation, user: User | None) -> None:
    if conversation.state == Conversation.State.CLOSED:
        raise ConversationClosed()
    fields: dict[str, Any] = {"state": Conversation.State.HUMAN_ACTIVE}
    if conversation.assignee_id is None and user is not None:
        fields["assignee"] = user
    update_conversation(conversation.pk, "taken_over", **fields)


def _agent_waiting(conversation: Conversation) -> bool:
    return Step.objects.filter(
        run__contact_id=conversation.contact_id,
        kind="agent_sms",
        status=Step.Status.WAITING,
        run__status__in=Run.ACTIVE,
    ).exists()


def _locked(conversation_id: int) -> Conversation:
    return (
        Conversation.objects.select_for_update(of=("self",), no_key=True)
        .select_related("contact", "sender")
        .get(pk=conversation_id)
    )


def _fresh(conversation: Conversation) -> Conversation:
    conversation.refresh_from_db()
    return conversation
