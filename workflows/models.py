"""Workflows, their published versions, and the runs that execute them.

A workflow keeps an editable draft; publishing freezes the draft into a
numbered `WorkflowVersion`. A `Run` is pinned to the version it started on
and advances one `Step` at a time. Every step is a row before and after it
executes, and every delay (a wait, a retry, a timeout) is a step with a due
time, so the engine's state lives in the database and a worker can die at
any moment. See docs/architecture.md, "Workflow engine".
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.crm.models import Contact
from thoughtflow.models import User, WorkspaceOwned


def empty_graph() -> dict[str, Any]:
    return {"nodes": [], "edges": []}


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Workflow(WorkspaceOwned):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    class ActiveRunPolicy(models.TextChoices):
        SKIP = "skip", "Skip the new trigger"
        QUEUE = "queue", "Queue it until the active run ends"
        RESTART = "restart", "Cancel the active run and start again"

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    draft = models.JSONField(default=empty_graph)
    # Bumped on every draft save; a save naming an older revision is refused,
    # so two editors never overwrite each other silently.
    draft_revision = models.PositiveIntegerField(default=1)
    active_run_policy = models.CharField(
        max_length=10, choices=ActiveRunPolicy.choices, default=ActiveRunPolicy.SKIP
    )
    published_version = models.ForeignKey(
        "WorkflowVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Copied from the published version's trigger, so a trigger event finds
    # its workflows with one indexed query.
    trigger_type = models.CharField(max_length=20, blank=True, db_index=True)
    hook_token = models.CharField(max_length=40, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WorkflowVersion(WorkspaceOwned):
    """An immutable copy of a workflow's graph: published, or frozen for a test.

    Published versions are numbered 1, 2, 3... in the order they were
    published. A test version freezes the draft for test runs only: it has
    no number, so it is outside the history (never listed, never rolled
    back to, never published, never started by a trigger).
    """

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(null=True, blank=True)
    is_test = models.BooleanField(default=False)
    graph = models.JSONField()
    published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)
    rolled_back_from = models.PositiveIntegerField(
        null=True, blank=True, help_text="The version number this one republished."
    )

    class Meta:
        ordering = ["workflow", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "number"], name="version_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(is_test=False, number__isnull=False)
                | Q(is_test=True, number__isnull=True),
                name="version_numbered_unless_test",
            ),
        ]

    def __str__(self) -> str:
        if self.is_test:
            return f"{self.workflow} test of {self.published_at:%Y-%m-%d %H:%M}"
        return f"{self.workflow} v{self.number}"

    def node(self, node_id: str) -> dict[str, Any]:
        return next(n for n in self.graph["nodes"] if n["id"] == node_id)

    def target_of(self, node_id: str, port: str) -> str | None:
        for edge in self.graph["edges"]:
            if edge["source"] == node_id and edge["port"] == port:
                return edge.get("target")
        return None


class Run(WorkspaceOwned):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued behind an active run"
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.WAITING)
    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="runs"
    )
    version = models.ForeignKey(
        WorkflowVersion, on_delete=models.PROTECT, related_name="runs"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    context = models.JSONField(default=dict)
    # What started the run, e.g. "hook:<uuid>" or "call:<CallSid>"; the same
    # event delivered twice starts one run.
    trigger_key = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001
    result = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "trigger_key"],
                condition=Q(trigger_key__isnull=False),
                name="run_trigger_key_unique",
            )
        ]
        indexes = [
            models.Index(fields=["contact", "status"], name="run_contact_status")
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.workflow_id} ({self.status})"


class Step(WorkspaceOwned):
    """One node executed (or waiting) in a run."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    node_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=20)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempt = models.PositiveSmallIntegerField(default=0)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(default=dict, blank=True)
    port = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # When the step is due to (re)run, or a waiting step times out.
    due_at = models.DateTimeField(null=True, blank=True)
    # Set while the step's node executes; a RUNNING step whose lease ran out
    # belonged to a worker that died, and is taken again.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set by the claimer when it hands the step to a task: a lost task only
    # delays the step until this passes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # What a waiting step waits for, e.g. "handoff:12" or "reply:contact:7".
    wait_key = models.CharField(max_length=120, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "created_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["pending", "running", "waiting"]),
                name="step_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.node_id} ({self.status})"


class Handoff(WorkspaceOwned):
    """A run waiting for a person to resolve a conversation with an outcome."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        CANCELLED = "cancelled", "Cancelled"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="handoffs")
    step = models.OneToOneField(Step, on_delete=models.CASCADE, related_name="handoff")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="handoffs"
    )
    queue = models.CharField(max_length=60, default="default")
    note = models.TextField(blank=True)
    outcomes = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.CharField(max_length=64, blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Handoff {self.pk} ({self.status})"


class AgentTurn(WorkspaceOwned):
    """One answer of an SMS agent: what it read, what it did, what it cost.

    A turn answers a burst of the contact's texts (or opens the
    conversation). A turn thought out while more texts arrived is kept as
    SUPERSEDED, for its cost, and the burst is answered again as a whole.
    """

    class Status(models.TextChoices):
        ANSWERED = "answered", "Answered"
        SUPERSEDED = "superseded", "Superseded by newer texts"
        FAILED = "failed", "Model failed"

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="agent_turns")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices)
    inbound_ids = models.JSONField(default=list, blank=True)
    reply = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reply_text = models.TextField(blank=True)
    tool_calls = models.JSONField(default=list, blank=True)
    model = models.CharField(max_length=200, blank=True)
    failures = models.JSONField(default=list, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["step", "number", "id"]

    def __str__(self) -> str:
        return f"Turn {self.number} of step {self.step_id} ({self.status})"


class Campaign(WorkspaceOwned):
    """A workflow started for a list of contacts, paced and resumable.

    `position` is how far through `contact_ids` the campaign has started
    runs; each run's trigger key names the campaign and the contact, so a
    batch repeated after a crash starts no run twice.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(max_length=120)
    contact_ids = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    per_minute = models.PositiveIntegerField(default=60)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    started = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    next_batch_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name
