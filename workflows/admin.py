from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from thoughtflow.admin import WorkspaceAdmin
from thoughtflow.errors import ThoughtflowError
from thoughtflow.tenancy import acting_user
from workflows.engine.runs import cancel_run, retry_run
from workflows.models import (
    AgentTurn,
    Campaign,
    Handoff,
    Run,
    Step,
    Workflow,
    WorkflowVersion,
)


@admin.register(Workflow)
class WorkflowAdmin(WorkspaceAdmin):
    list_display = ["name", "status", "trigger_type", "published_version", "updated_at"]
    list_filter = ["status", "trigger_type"]
    search_fields = ["name"]
    readonly_fields = [
        "published_version",
        "trigger_type",
        "hook_token",
        "draft_revision",
    ]


@admin.register(WorkflowVersion)
class WorkflowVersionAdmin(WorkspaceAdmin):
    list_display = [
        "workflow",
        "number",
        "is_test",
        "published_by",
        "published_at",
        "rolled_back_from",
    ]
    list_filter = ["is_test"]
    search_fields = ["workflow__name"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Published versions are immutable.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class StepInline(admin.TabularInline):
    model = Step
    fields = [
        "node_id",
        "kind",
        "status",
        "attempt",
        "port",
        "error",
        "started_at",
        "finished_at",
    ]
    readonly_fields = [
        "node_id",
        "kind",
        "status",
        "attempt",
        "port",
        "error",
        "started_at",
        "finished_at",
    ]
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(Run)
class RunAdmin(WorkspaceAdmin):
    list_display = ["pk", "workflow", "contact", "status", "result", "started_at"]
    list_filter = ["status"]
    search_fields = ["contact__phone", "workflow__name"]
    readonly_fields = [
        "workflow",
        "version",
        "contact",
        "status",
        "context",
        "trigger_key",
        "result",
        "error",
        "started_at",
        "finished_at",
    ]
    inlines = [StepInline]
    actions = ["cancel_runs", "retry_runs"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Cancel selected runs")
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet) -> None:
        for run in queryset:
            cancel_run(run, acting_user(request))
        self.message_user(request, "The selected active runs were cancelled.")

    @admin.action(description="Retry selected failed runs")
    def retry_runs(self, request: HttpRequest, queryset: QuerySet) -> None:
        for run in queryset:
            try:
                retry_run(run)
            except ThoughtflowError as exc:
                self.message_user(
                    request, f"Run {run.pk}: {exc.message}", messages.WARNING
                )


@admin.register(Handoff)
class HandoffAdmin(WorkspaceAdmin):
    list_display = ["pk", "contact", "queue", "status", "outcome", "created_at"]
    list_filter = ["status", "queue"]
    readonly_fields = [
        "run",
        "step",
        "contact",
        "outcomes",
        "status",
        "outcome",
        "resolved_by",
        "resolved_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AgentTurn)
class AgentTurnAdmin(WorkspaceAdmin):
    """What each SMS agent turn read, did and cost; read-only."""

    list_display = [
        "pk",
        "step",
        "number",
        "status",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "latency_ms",
        "created_at",
    ]
    list_filter = ["status", "model"]
    readonly_fields = [
        "step",
        "number",
        "status",
        "inbound_ids",
        "reply",
        "reply_text",
        "tool_calls",
        "model",
        "failures",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "latency_ms",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(WorkspaceAdmin):
    list_display = [
        "name",
        "workflow",
        "status",
        "started",
        "skipped",
        "position",
        "created_at",
    ]
    list_filter = ["status"]
    readonly_fields = [
        "workflow",
        "contact_ids",
        "position",
        "started",
        "skipped",
        "next_batch_at",
        "created_by",
        "finished_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Campaigns start from the API, which checks the contacts.
