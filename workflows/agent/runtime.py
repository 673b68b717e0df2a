"""The SMS agent step in a run: open, answer each burst, remind, finish.

An agent step waits (status WAITING, `wait_key` "agent:<step id>") between
turns. Its due time is when something must happen next: a reply to think
about (an inbound text sets it to now), a reminder, or the reply timeout.
`wake` runs at that time, through the executor, in three parts:

1. Under the step's row lock: decide. Texts not yet answered lease the step
   for a turn (`lease_until`, a token in the step's output); otherwise a
   reminder goes out, or the timeout ends the step, or nothing is due yet.
2. Without any lock or transaction: think (`think.think`, the model calls).
3. Under the lock again: if the lease was lost, drop the turn; if more texts
   arrived meanwhile, drop it too and think again over the whole burst, so
   a burst gets one answer; otherwise send the reply (keyed by turn, so a
   repeat never sends twice), apply the tool calls, and wait or finish.

One lease at a time is what serialises a conversation: a second wake finds
the step leased and leaves. A worker that dies mid-turn leaves a due step
whose lease runs out, and the claimer starts the turn again.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from conversations.compliance import BLOCK_EXPLANATIONS, BlockReason
from conversations.keywords import classify
from conversations.models import Consent, Conversation, Message, RecipientState
from conversations.sending import (
    NoSender,
    default_sender,
    open_conversation,
    send_sms,
)
from conversations.state import flag_for_person, update_conversation
from integrations.crm import services as crm
from integrations.crm.models import Activity, Contact
from thoughtflow.tasks import enqueue
from workflows.agent.brief import ACTIVITY_LINES, Brief, brief_for
from workflows.agent.think import Turn, decide, think
from workflows.engine.context import template_context
from workflows.engine.executor import complete_waiting
from workflows.engine.outcomes import Done, NodeError, Wait
from workflows.models import AgentTurn, Run, Step
from workflows.templates import TemplateError, render

logger = logging.getLogger(__name__)

HISTORY_MESSAGES = 30
# A turn thought out while more texts arrived is thought again this often,
# at most, before it is sent anyway.
MAX_REFOLDS = 3
MICRODOLLAR = Decimal("0.000001")
UNSEEN_STATUSES = (Message.Status.BLOCKED, Message.Status.CANCELED)


def start(step: Step, node: dict[str, Any], ctx: dict[str, Any]) -> Done | Wait:
    """Open the conversation: send the opening text, or let the model write it."""
    config = node["config"]
    contact = step.run.contact
    if _opted_out(contact):
        return Done("opted_out", {"reason": "The contact has opted out."})
    try:
        sender = default_sender(contact.workspace_id)
    except NoSender as exc:
        raise NodeError(exc.message, retryable=False) from None
    conversation = open_conversation(contact, sender)
    update_conversation(
        conversation.pk,
        "agent_started",
        where=~Q(state=Conversation.State.HUMAN_ACTIVE),
        state=Conversation.State.AI_ACTIVE,
    )

    now = timezone.now()
    state: dict[str, Any] = {
        "conversation_id": conversation.pk,
        "turns": 0,
        "seen_id": _seen_before_start(contact, ctx),
        "last_sent_at": now.isoformat(),
        "reminders_sent": 0,
        "refolds": 0,
    }
    opening = config.get("opening_message") or ""
    if opening.strip():
        try:
            body = render(opening, ctx)
        except TemplateError as exc:
            raise NodeError(
                f"The template in 'opening_message' failed: {exc}", retryable=False
            ) from None
        message = send_sms(
            contact=contact,
            body=body,
            author=Message.Author.AGENT,
            sender=conversation.sender,
            idempotency_key=f"step:{step.pk}:opening",
        )
        if message.status == Message.Status.BLOCKED:
            return _not_started(conversation, message, state)
        state["seen_id"] = _latest_inbound_id(contact)
        return Wait(
            wait_key=f"agent:{step.pk}", until=_next_due(config, state), output=state
        )
    # The model writes the opening (or answers the text that started the run).
    state["opening"] = True
    return Wait(wait_key=f"agent:{step.pk}", until=now, output=state)


def _not_started(
    conversation: Conversation, message: Message, state: dict[str, Any]
) -> Done:
    """The opening text may not go out: the conversation ends before it starts."""
    port, reason = _blocked(message)
    update_conversation(
        conversation.pk,
        "agent_finished",
        where=Q(state=Conversation.State.AI_ACTIVE),
        state=Conversation.State.WAITING,
    )
    if port == "handoff":
        flag_for_person(conversation.pk, conversation.workspace_id, reason)
    return Done(port, {**state, "reason": reason})


def _blocked(message: Message) -> tuple[str, str]:
    """The port and reason for a text the compliance gate refused."""
    if message.block_reason == BlockReason.OPTED_OUT:
        return "opted_out", "The contact has opted out."
    explanation = BLOCK_EXPLANATIONS.get(message.block_reason, message.block_reason)
    return "handoff", f"The agent's text was not sent: {explanation}"


def wake(step_id: int) -> str:
    """Do what is due for a waiting agent step; return what happened."""
    now = timezone.now()
    with transaction.atomic():
        step = _lock(step_id)
        if step is None:
            return "done"
        if step.lease_until and step.lease_until > now:
            return "thinking"
        run = step.run
        contact = run.contact
        state = dict(step.output)
        config = run.version.node(step.node_id)["config"]
        if _opted_out(contact):
            _end(step, Done("opted_out", {**state, "reason": "The contact opted out."}))
            return "opted_out"
        # Locked so a reminder sent below cannot cross a take-over.
        conversation = _lock_conversation(state["conversation_id"])
        burst = _unanswered(contact, state["seen_id"])
        if conversation.state == Conversation.State.HUMAN_ACTIVE:
            # A person has the conversation: the agent keeps quiet.
            if burst:
                state["seen_id"] = burst[-1].pk
            return _wait_again(step, config, state)
        if not burst and not state.get("opening"):
            return _remind_or_time_out(step, config, state, now)

        token = uuid.uuid4().hex
        state["token"] = token
        step.output = state
        step.due_at = now
        step.lease_until = now + datetime.timedelta(seconds=settings.AGENT_TURN_LEASE_S)
        step.save(update_fields=["output", "due_at", "lease_until", "claimed_until"])
        ctx = template_context(run)
        brief = brief_for(config, ctx, activity=_activity(contact), now=now)
        history = conversation_history(contact)

    turn = think(brief, history)

    with transaction.atomic():
        step = _lock(step_id)
        if step is None or step.output.get("token") != token:
            _record_turn(step_id, step, turn, AgentTurn.Status.SUPERSEDED, burst)
            return "lease_lost"
        state = dict(step.output)
        newer = _unanswered(contact, burst[-1].pk if burst else state["seen_id"])
        if newer and state.get("refolds", 0) < MAX_REFOLDS:
            _record_turn(step_id, step, turn, AgentTurn.Status.SUPERSEDED, burst)
            state["refolds"] = state.get("refolds", 0) + 1
            state.pop("token")
            step.output = state
            step.lease_until = None
            step.due_at = timezone.now()
            step.save(
                update_fields=["output", "due_at", "lease_until", "claimed_until"]
            )
            transaction.on_commit(_wake_soon(step_id))
            return "refolded"
        return _apply(step, brief, config, state, turn, burst)


def _apply(
    step: Step,
    brief: Brief,
    config: dict[str, Any],
    state: dict[str, Any],
    turn: Turn,
    burst: list[Message],
) -> str:
    """Send the turn's reply and act on its tool calls; wait or finish."""
    contact = step.run.contact
    # A person may have taken the conversation while the model was thinking.
    # Its row lock orders this turn against the take-over: either the
    # take-over commits first and is seen here, or it waits for this reply.
    if (
        _lock_conversation(state["conversation_id"]).state
        == Conversation.State.HUMAN_ACTIVE
    ):
        _record_turn(step.pk, step, turn, AgentTurn.Status.SUPERSEDED, burst)
        state.pop("token", None)
        if burst:
            state["seen_id"] = burst[-1].pk
        _wait_again(step, config, state)
        return "human_active"

    number = state["turns"] + 1
    state.pop("token", None)
    state.update(opening=False, refolds=0, turns=number, reminders_sent=0)
    if burst:
        state["seen_id"] = burst[-1].pk
    state["last_sent_at"] = timezone.now().isoformat()

    if turn.failure is not None:
        _record_turn(step.pk, step, turn, AgentTurn.Status.FAILED, burst, number)
        reason = f"The language model did not answer: {turn.failure}"
        _end(step, Done("handoff", {**state, "reason": reason}), needs_person=True)
        return "model_failed"

    if updates := turn.contact_updates:
        try:
            crm.update_contact(contact, updates)
        except crm.InvalidContact as exc:
            turn.notes.append(f"contact not updated: {exc.message}")

    reply = None
    if turn.reply:
        reply = send_sms(
            contact=contact,
            body=turn.reply,
            author=Message.Author.AGENT,
            sender=Conversation.objects.get(pk=state["conversation_id"]).sender,
            idempotency_key=f"step:{step.pk}:turn:{number}",
        )
    _record_turn(step.pk, step, turn, AgentTurn.Status.ANSWERED, burst, number, reply)
    if reply is not None and reply.status == Message.Status.BLOCKED:
        port, reason = _blocked(reply)
        _end(
            step,
            Done(port, {**state, "reason": reason}),
            needs_person=port == "handoff",
        )
        return port

    decision = decide(brief, turn)
    done = Done(decision.port, {**state, **decision.output}) if decision else None
    if done is None and number >= brief.max_turns:
        reason = f"No outcome after {number} replies, the most this step allows."
        done = Done("handoff", {**state, "reason": reason})
    if done is None:
        _wait_again(step, config, state)
        return "answered"
    _end(step, done, needs_person=done.port == "handoff")
    return done.port


def _remind_or_time_out(
    step: Step, config: dict[str, Any], state: dict[str, Any], now: datetime.datetime
) -> str:
    since = parse_datetime(state["last_sent_at"]) or now
    reminders = sorted(config.get("reminders") or [], key=lambda r: r["after_s"])
    sent = state.get("reminders_sent", 0)
    due = [
        index
        for index, reminder in enumerate(reminders)
        if index >= sent
        and since + datetime.timedelta(seconds=reminder["after_s"]) <= now
    ]
    timeout_at = since + datetime.timedelta(
        seconds=config.get("reply_timeout_s", 86400)
    )
    if timeout_at <= now:
        reason = "The contact did not reply in time."
        _end(step, Done("timeout", {**state, "reason": reason}))
        return "timed_out"
    if due:
        # Only the latest due reminder goes out: a worker that was down
        # must not send several at once.
        index = due[-1]
        try:
            body = render(reminders[index]["body"], template_context(step.run))
        except TemplateError as exc:
            logger.warning("reminder template failed step_id=%s error=%s", step.pk, exc)
        else:
            send_sms(
                contact=step.run.contact,
                body=body,
                author=Message.Author.AGENT,
                sender=Conversation.objects.get(pk=state["conversation_id"]).sender,
                idempotency_key=f"step:{step.pk}:reminder:{state['turns']}:{index}",
            )
        state["reminders_sent"] = index + 1
        _wait_again(step, config, state)
        return "reminded"
    return _wait_again(step, config, state)


def _wait_again(step: Step, config: dict[str, Any], state: dict[str, Any]) -> str:
    step.output = state
    step.lease_until = None
    step.due_at = _next_due(config, state)
    step.save(update_fields=["output", "due_at", "lease_until", "claimed_until"])
    return "waiting"


def _next_due(config: dict[str, Any], state: dict[str, Any]) -> datetime.datetime:
    """The next reminder's time, or the reply timeout's."""
    since = parse_datetime(state["last_sent_at"]) or timezone.now()
    reminders = sorted(r["after_s"] for r in config.get("reminders") or [])
    pending = reminders[state.get("reminders_sent", 0) :]
    seconds = [*pending[:1], config.get("reply_timeout_s", 86400)]
    return since + datetime.timedelta(seconds=min(seconds))


def _end(step: Step, done: Done, *, needs_person: bool = False) -> None:
    """Finish the step: totals and a summary on the output and the timeline."""
    totals = AgentTurn.objects.filter(step=step).aggregate(
        prompt=Sum("prompt_tokens"),
        completion=Sum("completion_tokens"),
        cost=Sum("cost_usd"),
    )
    output = {key: value for key, value in done.output.items() if key != "token"}
    output["tokens"] = {
        "prompt": totals["prompt"] or 0,
        "completion": totals["completion"] or 0,
    }
    output["cost_usd"] = str(Decimal(totals["cost"] or 0).quantize(MICRODOLLAR))
    output["summary"] = output.get("summary") or _summary(done.port, output)
    output.pop("opening", None)
    contact = step.run.contact
    crm.record_activity(
        contact,
        Activity.Kind.OUTCOME,
        f"SMS agent: {output['summary']}"[:300],
        data={
            "step_id": step.pk,
            "run_id": step.run_id,
            "port": done.port,
            "outcome": output.get("outcome"),
            "fields": output.get("fields", {}),
        },
    )
    update_conversation(
        output["conversation_id"],
        "agent_finished",
        where=Q(state=Conversation.State.AI_ACTIVE),
        state=Conversation.State.WAITING,
    )
    if needs_person:
        flag_for_person(
            output["conversation_id"],
            step.workspace_id,
            output.get("reason") or output["summary"],
            run_id=step.run_id,
        )
    step.lease_until = None
    complete_waiting(step, Done(done.port, output))
    logger.info("agent step finished step_id=%s port=%s", step.pk, done.port)


def _summary(port: str, output: dict[str, Any]) -> str:
    turns = output.get("turns", 0)
    if output.get("outcome") and port == output["outcome"]:
        fields = ", ".join(f"{k} {v}" for k, v in (output.get("fields") or {}).items())
        text = f"{port}" + (f" ({fields})" if fields else "")
    else:
        text = f"{port}: {output.get('reason', '')}".strip(": ").rstrip(".")
    return f"{text}, after {turns} repl{'y' if turns == 1 else 'ies'}."


def _record_turn(
    step_id: int,
    step: Step | None,
    turn: Turn,
    status: str,
    burst: list[Message],
    number: int | None = None,
    reply: Message | None = None,
) -> None:
    workspace_id = (
        step.workspace_id if step else Step.objects.get(pk=step_id).workspace_id
    )
    if number is None:
        number = (step.output.get("turns", 0) + 1) if step else 0
    AgentTurn.objects.create(
        workspace_id=workspace_id,
        step_id=step_id,
        number=number,
        status=status,
        inbound_ids=[message.pk for message in burst],
        reply=reply,
        reply_text=turn.reply,
        tool_calls=turn.call_log(),
        model=turn.model,
        failures=turn.failures + [{"note": note} for note in turn.notes],
        prompt_tokens=turn.prompt_tokens,
        completion_tokens=turn.completion_tokens,
        cost_usd=turn.cost_usd,
        latency_ms=turn.latency_ms,
    )


def conversation_history(contact: Contact) -> list[dict[str, str]]:
    """The contact's recent texts, every number and author, as model messages."""
    recent = (
        Message.objects.filter(contact=contact)
        .exclude(direction=Message.Direction.OUTBOUND, status__in=UNSEEN_STATUSES)
        .exclude(body="")
        .order_by("-id")[:HISTORY_MESSAGES]
    )
    return [
        {
            "role": "user"
            if message.direction == Message.Direction.INBOUND
            else "assistant",
            "content": message.body,
        }
        for message in reversed(recent)
    ]


def _unanswered(contact: Contact, after_id: int) -> list[Message]:
    """Texts from the contact after `after_id`, less STOP, HELP and START."""
    texts = Message.objects.filter(
        contact=contact, direction=Message.Direction.INBOUND, pk__gt=after_id
    ).order_by("pk")
    return [message for message in texts if classify(message.body) is None]


def _seen_before_start(contact: Contact, ctx: dict[str, Any]) -> int:
    """Texts up to here are history; the text that started the run is not."""
    message_id = (ctx.get("trigger") or {}).get("message", {}).get("id")
    if isinstance(message_id, int):
        return message_id - 1
    return _latest_inbound_id(contact)


def _latest_inbound_id(contact: Contact) -> int:
    latest = (
        Message.objects.filter(contact=contact, direction=Message.Direction.INBOUND)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return latest or 0


def _activity(contact: Contact) -> tuple[str, ...]:
    entries = contact.activities.exclude(kind=Activity.Kind.MESSAGE).order_by(
        "-created_at", "-id"
    )[:ACTIVITY_LINES]
    lines = []
    for entry in reversed(entries):
        detail = entry.data.get("summary") or entry.data.get("text") or ""
        line = f"{entry.created_at:%Y-%m-%d %H:%M} {entry.summary}"
        if detail and detail not in entry.summary:
            line += f" ({' '.join(str(detail).split())[:300]})"
        lines.append(line)
    return tuple(lines)


def _opted_out(contact: Contact) -> bool:
    return RecipientState.objects.filter(
        contact=contact, consent=Consent.OPTED_OUT
    ).exists()


def _lock(step_id: int) -> Step | None:
    step = (
        Step.objects.select_for_update(of=("self",), no_key=True)
        .select_related("run__version", "run__contact__workspace", "run__workflow")
        .filter(pk=step_id, status=Step.Status.WAITING, run__status__in=Run.ACTIVE)
        .first()
    )
    if step is not None:
        step.claimed_until = None
    return step


def _lock_conversation(conversation_id: int) -> Conversation:
    return Conversation.objects.select_for_update(of=("self",), no_key=True).get(
        pk=conversation_id
    )


def _wake_soon(step_id: int) -> Callable[[], None]:
    return lambda: enqueue("workflows.tasks.execute_step", step_id)


def resume_after_person(contact: Contact) -> Step | None:
    """A person handed the conversation back: answer what they left open.

    Texts that arrived while the person had the conversation were marked
    seen without an answer. Those after the last reply anyone sent become
    the agent's next burst; with none, the agent waits for the next text.
    """
    with transaction.atomic():
        step = _waiting_step(contact)
        step = _lock(step.pk) if step else None
        if step is None:
            return None
        answered = (
            Message.objects.filter(
                contact=contact,
                direction=Message.Direction.OUTBOUND,
                author__in=(Message.Author.AGENT, Message.Author.USER),
            )
            .exclude(status__in=UNSEEN_STATUSES)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        ) or 0
        state = dict(step.output)
        after = answered or state["seen_id"]
        if not _unanswered(contact, after):
            return step
        state["seen_id"] = after
        step.output = state
        step.due_at = timezone.now()
        step.save(update_fields=["output", "due_at", "claimed_until"])
        transaction.on_commit(_wake_soon(step.pk))
    return step


def _waiting_step(contact: Contact) -> Step | None:
    return (
        Step.objects.filter(
            run__contact=contact,
            kind="agent_sms",
            status=Step.Status.WAITING,
            run__status__in=Run.ACTIVE,
        )
        .order_by("-id")
        .first()
    )


def wake_for_reply(contact: Contact) -> Step | None:
    """A text arrived: make the contact's waiting agent step due now."""
    step = _waiting_step(contact)
    if step is None:
        return None
    Step.objects.filter(pk=step.pk, status=Step.Status.WAITING).update(
        due_at=timezone.now()
    )
    transaction.on_commit(_wake_soon(step.pk))
    return step
