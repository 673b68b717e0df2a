"""The inbox's conversation list and one conversation's side panel, as queries.

A list row needs the last message, the unread count and how long the
contact has waited. They are subqueries on the conversation query, so a
page of any size costs a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from conversations.models import Conversation, Message, Note, ReadState
from thoughtflow.models import User
from workflows.models import Run

VIEWS = ("needs_human", "mine", "unassigned", "open", "snoozed", "resolved")
# Outbound texts that answer the contact: written by the agent or a person,
# and not stopped on the way out.
ANSWERING_AUTHORS = (Message.Author.AGENT, Message.Author.USER)
UNSENT_STATUSES = (Message.Status.BLOCKED, Message.Status.CANCELED)


def inbox_rows(
    conversations: QuerySet[Conversation],
    user: User | None,
    view: str,
    q: str,
    team_id: int | None = None,
) -> QuerySet[Conversation]:
    """Narrow the workspace's conversations to one inbox view and search.

    With `team_id`, only that team's conversations are left.
    """
    rows = _in_view(conversations, user, view)
    if team_id is not None:
        rows = rows.filter(team_id=team_id)
    if q := q.strip():
        rows = rows.filter(_matching(q))
    return annotate_rows(rows, user).order_by("-last_message_at", "-id")


def annotate_rows(
    conversations: QuerySet[Conversation], user: User | None
) -> QuerySet[Conversation]:
    """Add the last message, unread count and waiting time to each row."""
    thread = Message.objects.filter(conversation=OuterRef("pk"))
    last = thread.order_by("-created_at", "-id")
    answered = (
        thread.filter(
            direction=Message.Direction.OUTBOUND, author__in=ANSWERING_AUTHORS
        )
        .exclude(status__in=UNSENT_STATUSES)
        .order_by("-id")
        .values("id")[:1]
    )
    read_to = ReadState.objects.filter(
        conversation=OuterRef("pk"), user_id=user.pk if user else 0
    ).values("last_read_message_id")[:1]

    rows = conversations.select_related("contact", "assignee", "team").annotate(
        last_body=Subquery(last.values("body")[:1]),
        last_direction=Subquery(last.values("direction")[:1]),
        last_at=Subquery(last.values("created_at")[:1]),
        answered_id=Coalesce(Subquery(answered), Value(0)),
        read_to=Coalesce(Subquery(read_to), Value(0)),
    )
    inbound = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Message.Direction.INBOUND
    )
    return rows.annotate(
        waiting_since=Subquery(
            inbound.filter(pk__gt=OuterRef("answered_id"))
            .order_by("id")
            .values("created_at")[:1]
        ),
        unread=Coalesce(
            Subquery(
                inbound.filter(pk__gt=OuterRef("read_to"))
                .values("conversation")
                .annotate(count=Count("pk"))
                .values("count"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )


def _in_view(
    conversations: QuerySet[Conversation], user: User | None, view: str
) -> QuerySet[Conversation]:
    if view == "resolved":
        return conversations.filter(state=Conversation.State.CLOSED)

    now = timezone.now()
    open_ = conversations.exclude(state=Conversation.State.CLOSED)
    snoozed = Q(snoozed_until__gt=now)
    if view == "snoozed":
        return open_.filter(snoozed)
    awake = open_.exclude(snoozed)
    if view == "needs_human":
        return awake.filter(needs_attention=True)
    if view == "mine":
        return awake.filter(assignee=user) if user else awake.none()
    if view == "unassigned":
        return awake.filter(assignee__isnull=True)
    return awake


def _matching(q: str) -> Q:
    """A contact's name or number, or any text or note, containing `q`."""
    matches = (
        Q(contact__first_name__icontains=q)
        | Q(contact__last_name__icontains=q)
        | Q(contact__phone__contains=q)
        | Exists(Message.objects.filter(conversation=OuterRef("pk"), body__icontains=q))
        | Exists(Note.objects.filter(conversation=OuterRef("pk"), body__icontains=q))
    )
    # "Maya Lopez" should find Maya Lopez: try the words as first and last.
    first, _, last = q.partition(" ")
    if last:
        matches |= Q(contact__first_name__icontains=first) & Q(
            contact__last_name__icontains=last.strip()
        )
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 3 and digits != q:
        matches |= Q(contact__phone__contains=digits)
    return matches


def thread(conversation: Conversation) -> list[dict[str, Any]]:
    """The conversation's messages and notes in one list, oldest first."""
    messages = conversation.messages.select_related("author_user")
    notes = conversation.notes.select_related("author")
    items = [
        {"kind": "message", "message": message, "at": message.created_at}
        for message in messages
    ]
    items += [{"kind": "note", "note": note, "at": note.created_at} for note in notes]
    return sorted(items, key=lambda item: (item["at"], item["kind"] == "note"))


def latest_run(conversation: Conversation) -> Run | None:
    return (
        Run.objects.filter(contact_id=conversation.contact_id)
        .select_related("workflow")
        .prefetch_related("steps")
        .order_by("-started_at", "-id")
        .first()
    )
