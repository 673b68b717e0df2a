"""Running one step: claim it, execute its node, record what happened, move on.

`execute_step` is the task body; it may run any number of times for one
step (a repeated queue message, a worker that died), and only the attempt
that holds the step's row lock and lease proceeds. The step is persisted as
RUNNING (with its input) before the node executes, and its output, port or
error after; the next step is created and enqueued in the same transaction
as the previous one finishes.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from thoughtflow.claimer import claim_due
from thoughtflow.tasks import enqueue
from workflows.engine import nodes
from workflows.engine.context import template_context
from workflows.engine.outcomes import Done, NodeError, Wait
from workflows.models import Run, Step

logger = logging.getLogger(__name__)

LIVE = (Step.Status.PENDING, Step.Status.RUNNING, Step.Status.WAITING)
# Nodes that only decide where the run goes: they run and finish in one
# transaction. The others are persisted as RUNNING before they act.
INSTANT_KINDS = frozenset({"trigger", "branch", "set_variables", "end"})
# Nodes whose handler reads nothing from the run's context.
CONTEXT_FREE_KINDS = frozenset({"trigger", "end"})
# Waiting kinds whose timeout reads nothing from it either.
CONTEXT_FREE_TIMEOUTS = frozenset({"wait"})
DEFAULT_RETRY = {"max_attempts": 3, "backoff_s": 10}
# Timers the claimer hands to one task: firing one takes a few statements in
# one transaction, less than its own trip through the queue.
TIMER_BATCH = 20


# Steps that follow one another without waiting run in the same task, one
# after another, each still persisted before and after it executes; a
# worker that dies in between leaves a due step the claimer picks up.
# Instant steps that follow a finished step run in its transaction: with no
# side effect, they commit together with it or not at all.
MAX_CHAIN = 50


def _wake_agent(step_id: int) -> str:
    from workflows.agent.runtime import wake

    return wake(step_id)


# Waiting kinds that decide for themselves what a due time means (a reply
# to answer, a reminder, a timeout), in transactions of their own.
WOKEN_KINDS = {"agent_sms": _wake_agent}


def execute_step(step_id: int) -> str:
    """Run the step, and the steps that follow it at once, if they are due.

    Returns what happened to the last step run, for logs and tests.
    """
    result, next_id = _execute_one(step_id)
    for _ in range(MAX_CHAIN):
        if next_id is None:
            break
        result, next_id = _execute_one(next_id)
    else:
        if next_id is not None:
            enqueue("workflows.tasks.execute_step", next_id)
    return result


def _execute_one(step_id: int) -> tuple[str, int | None]:
    """Run one step; return the outcome and the id of a step to run next."""
    now = timezone.now()
    with transaction.atomic():
        step = _lock(step_id)
        if step is None or step.status not in LIVE:
            return "done", None
        run = step.run
        if run.status not in Run.ACTIVE:
            _close(step, Step.Status.CANCELLED, now)
            return "run_finished", None
        if step.due_at and step.due_at > now:
            return "not_due", None
        if step.lease_until and step.lease_until > now:
            return "in_flight", None
        wake = WOKEN_KINDS.get(step.kind)
        started: tuple[str, int | None] | Step | NodeError | None = None
        if step.status != Step.Status.WAITING:
            started = _start(step, run, now)
            if isinstance(started, Step):
                # Instant steps led to one that acts: start it here too, and
                # run its node below, as its own task would.
                step, run = started, started.run
                step.claimed_until = None
                started = _start(step, run, now)
                step_id = step.pk
            if isinstance(started, tuple):
                return started
        elif wake is None:
            return _time_out(step, now)
    if wake is not None and step.status == Step.Status.WAITING:
        # The node takes it from here in its own transactions: it may think
        # for a while, and must not hold the step's row lock meanwhile.
        return wake(step_id), None

    node = run.version.node(step.node_id)
    attempt = step.attempt
    if isinstance(started, NodeError):
        # An instant node failed: record it like any other failure.
        return _record_error(step_id, attempt, node, started), None
    try:
        outcome = _run_handler(step, node, run)
    except NodeError as error:
        return _record_error(step_id, attempt, node, error), None
    except Exception as error:  # A bug in a handler must not leave the step hanging.
        logger.exception("step crashed step_id=%s node_id=%s", step_id, step.node_id)
        failure = NodeError(f"Internal error: {error}")
        return _record_error(step_id, attempt, node, failure), None
    return _record_outcome(step_id, attempt, outcome)


def _start(
    step: Step, run: Run, now: datetime.datetime
) -> tuple[str, int | None] | Step | NodeError | None:
    """Mark the step RUNNING, with its input; run an instant node to its end.

    Returns the result when the step is done here, the next step when the
    instant steps led to one that acts (still pending, in this transaction),
    the error of an instant node that failed, or None when the node executes
    outside the transaction.
    """
    node = run.version.node(step.node_id)
    _mark_running(step, node, now)
    if step.kind in INSTANT_KINDS:
        # No side effect to protect: decide and move on in one transaction.
        try:
            outcome = _run_handler(step, node, run)
        except NodeError as error:
            step.save()
            return error
        assert isinstance(outcome, Done), "instant nodes never wait"
        following = _run_instant(_finish(step, outcome, now, run=run), now)
        if following is not None and following.kind not in INSTANT_KINDS:
            # Written as RUNNING by the caller's next `_start`.
            return following
        _save_scheduled(following)
        return "succeeded", following.pk if following else None
    step.save()
    if run.status != Run.Status.RUNNING:
        Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING)
    return None


def _mark_running(step: Step, node: dict[str, Any], now: datetime.datetime) -> None:
    step.status = Step.Status.RUNNING
    step.attempt += 1
    step.started_at = step.started_at or now
    step.due_at = now
    step.lease_until = now + datetime.timedelta(seconds=settings.STEP_LEASE_S)
    step.input = {"config": node.get("config", {}), "attempt": step.attempt}


def _run_instant(step: Step | None, now: datetime.datetime) -> Step | None:
    """Run the instant steps that follow at once, in the current transaction.

    `step` is the next step `_finish` scheduled and has not been written
    yet, and its run is locked. Each instant step is written once, finished,
    as it would be recorded by a task of its own. Returns the first step left
    for a task, still unwritten (see `_save_scheduled`): one that isn't
    instant, or one whose node failed, which its task runs again to record
    the failure and its retries like any other; None when the run ended.
    The run's context and status are written once, when the chain stops.
    """
    for _ in range(MAX_CHAIN):
        if step is None or step.kind not in INSTANT_KINDS:
            break
        run = step.run
        node = run.version.node(step.node_id)
        try:
            outcome = _run_handler(step, node, run)
        except Exception:
            # Nothing of this step was written yet: its own turn fails it,
            # with the log, retries and error the failure deserves.
            break
        assert isinstance(outcome, Done), "instant nodes never wait"
        step.claimed_until = None
        _mark_running(step, node, now)
        step = _finish(step, outcome, now, run=run)
    if step is not None:
        step.run.save(update_fields=["context", "status"])
    return step


def _run_handler(step: Step, node: dict[str, Any], run: Run) -> Done | Wait:
    context = {} if step.kind in CONTEXT_FREE_KINDS else template_context(run)
    return nodes.HANDLERS[step.kind](step, node, context)


def resume_waiting(wait_key: str, port: str, output: dict[str, Any]) -> Step | None:
    """Finish the step waiting for `wait_key` along `port`. None if none waits."""
    with transaction.atomic():
        step = (
            Step.objects.select_for_update(no_key=True)
            .select_related("run__version")
            .filter(wait_key=wait_key, status=Step.Status.WAITING)
            .first()
        )
        if step is None:
            return None
        complete_waiting(step, Done(port, {**step.output, **output}))
    return step


def complete_waiting(step: Step, outcome: Done) -> Step | None:
    """Finish a waiting step (its row locked by the caller) and wake the next."""
    following = _finish(step, outcome, timezone.now())
    if following is not None:
        following.run.save(update_fields=["context", "status"])
        _save_scheduled(following)
        enqueue("workflows.tasks.execute_step", following.pk)
    return following


def _lock(step_id: int) -> Step | None:
    """The step and its run, both locked, with what running it needs."""
    # Locking the run here, in the same query, spares `_finish` another
    # round trip; every path that finishes a step would lock it anyway.
    step = (
        Step.objects.select_for_update(of=("self", "run"), no_key=True)
        .select_related("run__version", "run__contact__workspace", "run__workflow")
        .filter(pk=step_id)
        .order_by("pk")
        .first()
    )
    if step is not None:
        # The task is running: the claimer's hold on the row has served.
        step.claimed_until = None
    return step


def _record_outcome(
    step_id: int, attempt: int, outcome: Done | Wait
) -> tuple[str, int | None]:
    now = timezone.now()
    with transaction.atomic():
        step = _lock(step_id)
        if (
            step is None
            or step.status != Step.Status.RUNNING
            or step.attempt != attempt
        ):
            return "superseded", None
        if isinstance(outcome, Wait):
            step.status = Step.Status.WAITING
            step.wait_key = outcome.wait_key
            step.due_at = outcome.until
            step.lease_until = None
            step.output = outcome.output
            step.save()
            Run.objects.filter(pk=step.run_id).update(status=Run.Status.WAITING)
            if outcome.until is not None and outcome.until <= now:
                enqueue("workflows.tasks.execute_step", step.pk)
            return "waiting", None
        following = _run_instant(_finish(step, outcome, now, run=step.run), now)
        _save_scheduled(following)
    return "succeeded", following.pk if following else None


def _time_out(step: Step, now: datetime.datetime) -> tuple[str, int | None]:
    """A waiting step's due time passed before its event arrived."""
    node = step.run.version.node(step.node_id)
    handler = nodes.TIMEOUTS.get(step.kind)
    if handler is None:
        step.due_at = None
        step.save(update_fields=["due_at", "claimed_until"])
        return "no_timeout", None
    context = {} if step.kind in CONTEXT_FREE_TIMEOUTS else template_context(step.run)
    outcome = handler(step, node, context)
    assert isinstance(outcome, Done), "a timeout finishes its step"
    following = _run_instant(_finish(step, outcome, now, run=step.run), now)
    _save_scheduled(following)
    return "timed_out", following.pk if following else None


def _finish(
    step: Step, outcome: Done, now: datetime.datetime, *, run: Run | None = None
) -> Step | None:
    """Record a finished step; return the next step, or end the run.

    `run` is the step's run when the caller already holds its row lock and
    the run is fresh; otherwise it is locked and read here. The next step is
    returned unwritten, and the run's new context and status unsaved: the
    caller either runs the step at once (`_run_instant`, `_start`) or saves
    both. A run that ends is saved here.
    """
    step.status = Step.Status.SUCCEEDED
    step.port = outcome.port
    step.output = outcome.output
    step.error = ""
    step.finished_at = now
    step.due_at = None
    step.lease_until = None
    step.save()

    # The version, contact and workflow ride along (unlocked) so the next
    # node is found and run without more queries.
    if run is None:
        run = (
            Run.objects.select_for_update(of=("self",), no_key=True)
            .select_related("version", "contact__workspace", "workflow")
            .get(pk=step.run_id)
        )
    steps = dict(run.context.get("steps", {}))
    steps[step.node_id] = {**outcome.output, "port": outcome.port}
    run.context = {
        **run.context,
        "steps": steps,
        "vars": {**run.context.get("vars", {}), **outcome.output.get("vars", {})},
    }
    target = run.version.target_of(step.node_id, outcome.port) if outcome.port else None
    if target is None:
        result = outcome.output.get("result") or outcome.port or "completed"
        from workflows.engine.runs import finish_run

        finish_run(run, Run.Status.COMPLETED, result=str(result), save=["context"])
        return None

    run.status = Run.Status.RUNNING
    return _next_step(run, target, now)


def schedule_step(run: Run, node_id: str, now: datetime.datetime) -> Step:
    """Create the run's next step, due now, and enqueue a task for it."""
    step = _next_step(run, node_id, now)
    step.save()
    enqueue("workflows.tasks.execute_step", step.pk)
    return step


def _next_step(run: Run, node_id: str, now: datetime.datetime) -> Step:
    """The run's next step, due now, not yet written."""
    node = run.version.node(node_id)
    return Step(
        workspace_id=run.workspace_id,
        run=run,
        node_id=node_id,
        kind=node["kind"],
        due_at=now,
        # A task runs it right away (a new one, or the current one): keep the
        # claimer, which is only the safety net, off it meanwhile.
        claimed_until=now + datetime.timedelta(seconds=settings.STEP_CLAIM_LEASE_S),
    )


def _save_scheduled(step: Step | None) -> None:
    """Write a step `_run_instant` left for a task, as PENDING."""
    if step is not None and step._state.adding:
        step.save()


def _record_error(step_id: int, attempt: int, node: dict, error: NodeError) -> str:
    now = timezone.now()
    retry = retry_policy(node)
    with transaction.atomic():
        step = _lock(step_id)
        if (
            step is None
            or step.status != Step.Status.RUNNING
            or step.attempt != attempt
        ):
            return "superseded"
        step.error = str(error)
        step.lease_until = None
        if error.retryable and attempt < retry["max_attempts"]:
            step.status = Step.Status.PENDING
            step.due_at = now + datetime.timedelta(
                seconds=retry["backoff_s"] * 2 ** (attempt - 1)
            )
            step.save()
            logger.warning(
                "step failed, will retry step_id=%s node_id=%s attempt=%s",
                step.pk,
                step.node_id,
                attempt,
            )
            return "retry"

        _close(step, Step.Status.FAILED, now)
        from workflows.engine.runs import finish_run

        label = node.get("label") or step.node_id
        finish_run(
            Run.objects.select_for_update(no_key=True).get(pk=step.run_id),
            Run.Status.FAILED,
            error=f"Step '{label}' failed after {attempt} attempt(s): {error}",
        )
    logger.error(
        "step failed run_id=%s step_id=%s node_id=%s attempt=%s",
        step.run_id,
        step.pk,
        step.node_id,
        attempt,
    )
    return "failed"


def retry_policy(node: dict[str, Any]) -> dict[str, int]:
    """How often and how patiently a node's step is retried.

    An HTTP step's own `retries` setting counts first; a node-level `retry`
    block, when present, decides.
    """
    policy = dict(DEFAULT_RETRY)
    config = node.get("config") or {}
    if node.get("kind") == "http_request" and "retries" in config:
        policy["max_attempts"] = int(config["retries"]) + 1
    return {**policy, **(node.get("retry") or {})}


def _close(step: Step, status: str, now: datetime.datetime) -> None:
    step.status = status
    step.finished_at = now
    step.due_at = None
    step.lease_until = None
    step.save()


def fire_timers(step_ids: list[int]) -> list[str]:
    """Finish the waits whose time ran out, each in a transaction of its own.

    A step that acts after a wait gets a task of its own rather than running
    here, so a slow node never holds up the rest of the batch. A timer that
    fails is logged and left to the claimer, which takes it again once its
    claim runs out, as it would after its own task failed.
    """
    results = []
    for step_id in step_ids:
        try:
            result, next_id = _execute_one(step_id)
        except Exception:
            logger.exception("timer failed step_id=%s", step_id)
            results.append("crashed")
            continue
        if next_id is not None:
            enqueue("workflows.tasks.execute_step", next_id)
        results.append(result)
    return results


def claim_due_steps(limit: int = 200) -> int:
    """Hand every due step (new, retrying, timed out, or abandoned) to a task.

    Waits whose time ran out go to `fire_timers` in batches; a thousand
    of them falling due at once is ordinary (a campaign's pause).
    """
    timers = claim_due(
        lambda now: _due_steps(now).filter(kind="wait", status=Step.Status.WAITING),
        order_by="due_at",
        task="workflows.tasks.fire_timers",
        lease_s=settings.STEP_CLAIM_LEASE_S,
        limit=limit,
        batch_size=TIMER_BATCH,
    )
    others = claim_due(
        lambda now: _due_steps(now).exclude(kind="wait", status=Step.Status.WAITING),
        order_by="due_at",
        task="workflows.tasks.execute_step",
        lease_s=settings.STEP_CLAIM_LEASE_S,
        limit=limit,
    )
    return timers + others


def _due_steps(now: datetime.datetime) -> QuerySet[Step]:
    return Step.objects.filter(status__in=LIVE, due_at__lte=now).exclude(
        lease_until__gt=now
    )
