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

from conversations.models import Conversation, Event, Message, Note, ReadState
from thoughtflow.models import User
from workflows.models import Run, Step

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
        last_author=Subquery(last.values("author")[:1]),
        last_author_user_id=Subquery(last.values("author_user_id")[:1]),
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


# Changes of a conversation the thread shows; "flagged" is left out because
# the handoff request beside it says why.
SHOWN_CHANGES = (
    "taken_over",
    "assigned",
    "handed_back",
    "resolved",
    "reopened",
    "snoozed",
    "unsnoozed",
    "opted_out",
    "agent_started",
    "agent_finished",
    "edited_in_admin",
)
# Workflow steps that did something worth a line in the thread.
SHOWN_STEP_STATUSES = (Step.Status.SUCCEEDED, Step.Status.FAILED)
MAX_STEPS_SHOWN = 200


def thread(conversation: Conversation) -> list[dict[str, Any]]:
    """Messages, notes and what happened around them, oldest first.

    Besides texts and notes the thread shows activity: changes of the
    conversation (taken over, handed back, opted out, ...), handoff requests
    with their reason, and the contact's workflow steps that finished since
    the conversation began.
    """
    messages = conversation.messages.select_related("author_user")
    notes = conversation.notes.select_related("author")
    items = [
        {"kind": "message", "message": message, "at": message.created_at}
        for message in messages
    ]
    items += [{"kind": "note", "note": note, "at": note.created_at} for note in notes]
    items += [
        {"kind": "activity", "activity": activity, "at": activity["at"]}
        for activity in _activity(conversation)
    ]
    order = {"message": 0, "note": 1, "activity": 2}
    return sorted(items, key=lambda item: (item["at"], order[item["kind"]]))


def _activity(conversation: Conversation) -> list[dict[str, Any]]:
    events = list(
        conversation.events.filter(
            Q(kind=Event.Kind.HANDOFF_REQUESTED)
            | Q(
                kind=Event.Kind.CONVERSATION_UPDATED,
                payload__change__in=SHOWN_CHANGES,
            )
        ).order_by("id")
    )
    assignee_ids = {
        event.payload["conversation"].get("assignee_id")
        for event in events
        if event.kind == Event.Kind.CONVERSATION_UPDATED
    }
    people = User.objects.in_bulk([pk for pk in assignee_ids if pk is not None])

    activity: list[dict[str, Any]] = []
    for event in events:
        if event.kind == Event.Kind.HANDOFF_REQUESTED:
            activity.append(
                _activity_item(
                    "handoff", event.created_at, reason=event.payload.get("reason")
                )
            )
            continue
        state = event.payload["conversation"]
        activity.append(
            _activity_item(
                "change",
                event.created_at,
                change=event.payload["change"],
                assignee=people.get(state.get("assignee_id")),
                snoozed_until=state.get("snoozed_until"),
            )
        )

    steps = (
        Step.objects.filter(
            run__contact_id=conversation.contact_id,
            status__in=SHOWN_STEP_STATUSES,
            finished_at__gte=conversation.created_at,
        )
        .exclude(kind="trigger")
        .select_related("run__workflow")
        .order_by("-finished_at", "-id")[:MAX_STEPS_SHOWN]
    )
    activity += [
        _activity_item(
            "step",
            step.finished_at,
            step={
                "node_id": step.node_id,
                "kind": step.kind,
                "status": step.status,
                "port": step.port,
                "workflow": step.run.workflow.name,
                "run_id": step.run_id,
            },
        )
        for step in steps
    ]
    return activity


def _activity_item(type_: str, at: Any, **fields: Any) -> dict[str, Any]:
    """An activity with every field present; those not given are None."""
    empty = dict.fromkeys(("change", "assignee", "snoozed_until", "reason", "step"))
    return {"type": type_, "at": at, **empty, **fields}


def latest_run(conversation: Conversation) -> Run | None:
    return (
        Run.objects.filter(contact_id=conversation.contact_id)
        .select_related("workflow")
        .prefetch_related("steps")
        .order_by("-started_at", "-id")
        .first()
    )
