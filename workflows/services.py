"""A workflow's lifecycle: draft, test, publish, roll back, export, import."""

from __future__ import annotations

import copy
import logging
from typing import Any

from django.db import transaction
from django.db.models import Max

from integrations.crm.models import Contact
from thoughtflow.errors import Conflict, InvalidImport, ThoughtflowError
from thoughtflow.models import User, Workspace
from workflows import catalog
from workflows.definition import Problem, validate_graph
from workflows.engine import runs
from workflows.models import Run, Workflow, WorkflowVersion

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "thoughtflow.workflow/1"


class StaleDraft(Conflict):
    code = "stale_draft"
    message = (
        "Someone saved this workflow after you opened it (revision {current}, you "
        "had {given}). Reload to see their changes; yours were not saved."
    )


class InvalidWorkflow(ThoughtflowError):
    code = "invalid_workflow"
    message = "Can't {action}: {count} problem(s) need fixing first. {first}"

    def __init__(self, problems: list[Problem], action: str = "publish") -> None:
        self.problems = problems
        super().__init__(action=action, count=len(problems), first=problems[0].message)


class UnknownVersion(ThoughtflowError):
    code = "unknown_version"
    status_code = 404
    message = "This workflow has no version {number}."


def save_draft(workflow: Workflow, graph: Any, revision: int) -> Workflow:
    """Replace the draft, if `revision` is the one the editor loaded."""
    with transaction.atomic():
        locked = Workflow.objects.select_for_update(no_key=True).get(pk=workflow.pk)
        if locked.draft_revision != revision:
            raise StaleDraft(current=locked.draft_revision, given=revision)
        locked.draft = graph
        locked.draft_revision += 1
        locked.save(update_fields=["draft", "draft_revision", "updated_at"])
    return locked


def problems_of(graph: Any) -> list[Problem]:
    """Every problem that stops `graph` from being published."""
    return list(validate_graph(graph))


def publish(workflow: Workflow, user: User | None = None) -> WorkflowVersion:
    """Freeze the draft into the next numbered version and make it current."""
    with transaction.atomic():
        locked = Workflow.objects.select_for_update(no_key=True).get(pk=workflow.pk)
        if problems := problems_of(locked.draft):
            raise InvalidWorkflow(problems)
        version = _new_version(locked, copy.deepcopy(locked.draft), user)
    logger.info(
        "workflow published workflow_id=%s version=%s", workflow.pk, version.number
    )
    return version


def start_test_run(
    workflow: Workflow,
    contact: Contact,
    trigger: dict[str, Any],
    user: User | None = None,
) -> Run:
    """Run the draft as it is now for `contact`, outside the version history.

    The draft is frozen into a test version (reused while the draft is
    unchanged), which no trigger, rollback or publish ever uses. Raises
    InvalidWorkflow when the draft could not be published either, and
    WorkflowArchived for an archived workflow.
    """
    with transaction.atomic():
        locked = Workflow.objects.select_for_update(no_key=True).get(pk=workflow.pk)
        if locked.status == Workflow.Status.ARCHIVED:
            raise runs.WorkflowArchived(name=locked.name)
        if problems := problems_of(locked.draft):
            raise InvalidWorkflow(problems, action="test")
        version = _test_version(locked, user)
        return runs.start_test_run(version, contact, trigger)


def _test_version(workflow: Workflow, user: User | None) -> WorkflowVersion:
    latest = workflow.versions.filter(is_test=True).order_by("-id").first()
    if latest is not None and latest.graph == workflow.draft:
        return latest
    return WorkflowVersion.objects.create(
        workspace_id=workflow.workspace_id,
        workflow=workflow,
        is_test=True,
        graph=copy.deepcopy(workflow.draft),
        published_by=user,
    )


def rollback(
    workflow: Workflow, number: int, user: User | None = None
) -> WorkflowVersion:
    """Republish version `number` as a new version; running runs keep theirs."""
    with transaction.atomic():
        locked = Workflow.objects.select_for_update(no_key=True).get(pk=workflow.pk)
        old = locked.versions.filter(is_test=False, number=number).first()
        if old is None:
            raise UnknownVersion(number=number)
        version = _new_version(
            locked, copy.deepcopy(old.graph), user, rolled_back_from=number
        )
    logger.info(
        "workflow rolled back workflow_id=%s to=%s as=%s",
        workflow.pk,
        number,
        version.number,
    )
    return version


def export_workflow(workflow: Workflow) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "name": workflow.name,
        "description": workflow.description,
        "active_run_policy": workflow.active_run_policy,
        "graph": workflow.draft,
    }


def import_workflow(workspace: Workspace, data: Any) -> Workflow:
    """Create a workflow from an export; its graph becomes the new draft."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise InvalidImport(
            f"This is not a Thoughtflow workflow export (expected format "
            f"{EXPORT_FORMAT!r}). Export a workflow from its menu and import that file."
        )
    graph = data.get("graph")
    if not isinstance(graph, dict):
        raise InvalidImport("The export has no graph.")
    policy = data.get("active_run_policy", Workflow.ActiveRunPolicy.SKIP)
    if policy not in Workflow.ActiveRunPolicy.values:
        policy = Workflow.ActiveRunPolicy.SKIP
    return Workflow.objects.create(
        workspace=workspace,
        name=str(data.get("name") or "Imported workflow")[:120],
        description=str(data.get("description") or ""),
        active_run_policy=policy,
        draft=graph,
    )


def create_from_template(workspace: Workspace, slug: str, name: str = "") -> Workflow:
    """Create a workflow whose draft is the template's graph; raises UnknownTemplate."""
    export = catalog.get_template(slug).copy_of_export()
    if name:
        export["name"] = name
    workflow = import_workflow(workspace, export)
    logger.info(
        "workflow created from template workflow_id=%s template=%s",
        workflow.pk,
        slug,
    )
    return workflow


def duplicate_workflow(workflow: Workflow) -> Workflow:
    """Copy the draft, description and run policy into a new, unpublished workflow."""
    copied = Workflow.objects.create(
        workspace_id=workflow.workspace_id,
        name=f"Copy of {workflow.name}"[:120],
        description=workflow.description,
        active_run_policy=workflow.active_run_policy,
        draft=copy.deepcopy(workflow.draft),
    )
    logger.info("workflow duplicated workflow_id=%s from=%s", copied.pk, workflow.pk)
    return copied


def _new_version(
    workflow: Workflow,
    graph: dict[str, Any],
    user: User | None,
    rolled_back_from: int | None = None,
) -> WorkflowVersion:
    last = workflow.versions.aggregate(last=Max("number"))["last"] or 0
    version = WorkflowVersion.objects.create(
        workspace_id=workflow.workspace_id,
        workflow=workflow,
        number=last + 1,
        graph=graph,
        published_by=user,
        rolled_back_from=rolled_back_from,
    )
    trigger = next(n for n in graph["nodes"] if n["kind"] == "trigger")
    workflow.published_version = version
    workflow.trigger_type = trigger["config"]["type"]
    workflow.save(update_fields=["published_version", "trigger_type", "updated_at"])
    return version
