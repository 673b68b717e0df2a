"""Starting, finishing, cancelling and retrying runs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.crm.models import Contact
from thoughtflow.errors import Conflict, ThoughtflowError
from thoughtflow.models import User
from workflows.engine.executor import resume_waiting, schedule_step
from workflows.models import Handoff, Run, Step, Workflow, WorkflowVersion

logger = logging.getLogger(__name__)


class NotPublished(ThoughtflowError):
    code = "not_published"
    message = "'{name}' has no published version yet. Publish it, then start runs."


class WorkflowArchived(Conflict):
    code = "workflow_archived"
    message = (
        "'{name}' is archived, so it starts no new runs; runs already going "
        "carry on. Set its status back to active to start runs again."
    )


class NotRetryable(Conflict):
    code = "not_retryable"
    message = "Only a failed run can be retried; this one is {status}."


class HandoffClosed(Conflict):
    code = "handoff_closed"
    message = "This handoff was already {status}; nothing changed."


class UnknownOutcome(ThoughtflowError):
    code = "unknown_outcome"
    message = "'{outcome}' is not an outcome of this handoff. Choose one of: {choices}."


def start_run(
    workflow: Workflow,
    contact: Contact,
    trigger: dict[str, Any],
    *,
    trigger_key: str | None = None,
) -> Run | None:
    """Start a run of the published version for `contact`.

    Applies the workflow's policy when the contact already has an active run
    of it: skip (returns None), queue, or cancel and restart. The same
    `trigger_key` twice returns the first run. Raises WorkflowArchived for
    an archived workflow, and NotPublished for one never published.
    """
    if workflow.status == Workflow.Status.ARCHIVED:
        raise WorkflowArchived(name=workflow.name)
    version = workflow.published_version
    if version is None:
        raise NotPublished(name=workflow.name)
    if trigger_key and (existing := _by_key(workflow, trigger_key)):
        return existing

    try:
        with transaction.atomic():
            # The contact row is the lock that makes "one active run per
            # workflow and contact" hold between concurrent triggers. No key
            # update, so rows that other steps add about the contact meanwhile
            # can still commit.
            Contact.objects.select_for_update(no_key=True).get(pk=contact.pk)
            # Test runs of the draft don't count toward the policy. Only the
            # runs' rows are locked, not the version they share.
            active = list(
                Run.objects.select_for_update(of=("self",), no_key=True)
                .select_related("version")
                .filter(
                    workflow=workflow,
                    contact=contact,
                    status__in=Run.ACTIVE,
                    version__is_test=False,
                )
            )
            policy = workflow.active_run_policy
            if active and policy == Workflow.ActiveRunPolicy.SKIP:
                logger.info(
                    "run skipped workflow_id=%s contact_id=%s", workflow.pk, contact.pk
                )
                return None
            if active and policy == Workflow.ActiveRunPolicy.RESTART:
                for run in active:
                    _cancel(run, reason="Restarted by a new trigger.")
            queued = bool(active) and policy == Workflow.ActiveRunPolicy.QUEUE
            run = _new_run(
                version,
                contact,
                trigger,
                status=Run.Status.QUEUED if queued else Run.Status.RUNNING,
                trigger_key=trigger_key,
            )
            if not queued:
                schedule_step(run, _trigger_node(run), timezone.now())
    except IntegrityError:
        if trigger_key and (existing := _by_key(workflow, trigger_key)):
            return existing
        raise
    logger.info(
        "run started run_id=%s workflow_id=%s version=%s status=%s",
        run.pk,
        workflow.pk,
        version.number,
        run.status,
    )
    return run


def start_test_run(
    version: WorkflowVersion, contact: Contact, trigger: dict[str, Any]
) -> Run:
    """Start a run of a test version for `contact`, whatever the policy says.

    The contact's other active test runs of the workflow are cancelled
    first, so a test starts over cleanly; live runs are left alone.
    """
    assert version.is_test, "test runs run test versions"
    with transaction.atomic():
        Contact.objects.select_for_update(no_key=True).get(pk=contact.pk)
        earlier = (
            Run.objects.select_for_update(of=("self",), no_key=True)
            .select_related("version")
            .filter(
                workflow_id=version.workflow_id,
                contact=contact,
                status__in=Run.ACTIVE,
                version__is_test=True,
            )
        )
        for run in earlier:
            _cancel(run, reason="Replaced by a new test run.")
        run = _new_run(version, contact, trigger, status=Run.Status.RUNNING)
        schedule_step(run, _trigger_node(run), timezone.now())
    logger.info(
        "test run started run_id=%s workflow_id=%s", run.pk, version.workflow_id
    )
    return run


def _new_run(
    version: WorkflowVersion,
    contact: Contact,
    trigger: dict[str, Any],
    *,
    status: str,
    trigger_key: str | None = None,
) -> Run:
    return Run.objects.create(
        workspace_id=version.workspace_id,
        workflow_id=version.workflow_id,
        version=version,
        contact=contact,
        status=status,
        context={"trigger": trigger, "steps": {}, "vars": {}},
        trigger_key=trigger_key,
    )


def finish_run(
    run: Run,
    status: str,
    *,
    result: str = "",
    error: str = "",
    save: Sequence[str] = (),
) -> None:
    """End a run (its row locked by the caller) and start the next queued one.

    `save` names other fields the caller changed, written in the same update.
    """
    run.status = status
    run.result = result[:120]
    run.error = error
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "result", "error", "finished_at", *save])
    logger.info("run finished run_id=%s status=%s", run.pk, status)

    if run.version.is_test:
        return  # Runs queue only behind live runs.
    queued = (
        Run.objects.select_for_update(no_key=True)
        .filter(
            workflow_id=run.workflow_id,
            contact_id=run.contact_id,
            status=Run.Status.QUEUED,
        )
        .order_by("started_at", "id")
        .first()
    )
    if queued is not None:
        queued.status = Run.Status.RUNNING
        queued.save(update_fields=["status"])
        schedule_step(queued, _trigger_node(queued), timezone.now())


def cancel_run(run: Run, actor: User | None = None) -> Run:
    with transaction.atomic():
        run = Run.objects.select_for_update(no_key=True).get(pk=run.pk)
        if run.status in Run.ACTIVE:
            who = f" by {actor.username}" if actor else ""
            _cancel(run, reason=f"Cancelled{who}.")
    return run


def retry_run(run: Run) -> Step:
    """Run a failed run's failed step again, from a fresh attempt."""
    with transaction.atomic():
        run = Run.objects.select_for_update(no_key=True).get(pk=run.pk)
        if run.status != Run.Status.FAILED:
            raise NotRetryable(status=run.get_status_display().lower())
        failed = run.steps.filter(status=Step.Status.FAILED).order_by("-id").first()
        run.status = Run.Status.RUNNING
        run.error = ""
        run.finished_at = None
        run.save(update_fields=["status", "error", "finished_at"])
        node_id = failed.node_id if failed else _trigger_node(run)
        step = schedule_step(run, node_id, timezone.now())
    logger.info("run retried run_id=%s step_id=%s", run.pk, step.pk)
    return step


def resolve_handoff(
    handoff: Handoff, outcome: str, actor: User | None = None
) -> Handoff:
    """Close a handoff with an outcome; the waiting run continues on that port."""
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update(no_key=True).get(pk=handoff.pk)
        if handoff.status != Handoff.Status.OPEN:
            raise HandoffClosed(status=handoff.get_status_display().lower())
        if outcome not in handoff.outcomes:
            raise UnknownOutcome(outcome=outcome, choices=", ".join(handoff.outcomes))
        handoff.status = Handoff.Status.RESOLVED
        handoff.outcome = outcome
        handoff.resolved_by = actor
        handoff.resolved_at = timezone.now()
        handoff.save()
        resume_waiting(
            f"handoff:{handoff.pk}",
            outcome,
            {"outcome": outcome, "resolved_by": actor.username if actor else None},
        )
    return handoff


def _cancel(run: Run, reason: str) -> None:
    now = timezone.now()
    run.steps.filter(
        status__in=[Step.Status.PENDING, Step.Status.RUNNING, Step.Status.WAITING]
    ).update(status=Step.Status.CANCELLED, finished_at=now, due_at=None)
    Handoff.objects.filter(run=run, status=Handoff.Status.OPEN).update(
        status=Handoff.Status.CANCELLED, resolved_at=now
    )
    finish_run(run, Run.Status.CANCELLED, error=reason)


def _trigger_node(run: Run) -> str:
    return next(n["id"] for n in run.version.graph["nodes"] if n["kind"] == "trigger")


def _by_key(workflow: Workflow, trigger_key: str) -> Run | None:
    return Run.objects.filter(workflow=workflow, trigger_key=trigger_key).first()
