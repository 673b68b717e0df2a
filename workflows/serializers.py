from typing import Any

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from integrations.crm.models import Contact
from thoughtflow.api.scoping import ScopedRelatedField
from workflows.models import Campaign, Handoff, Run, Step, Workflow, WorkflowVersion


class WorkflowSerializer(serializers.ModelSerializer):
    published_version = serializers.IntegerField(
        source="published_version.number", read_only=True, default=None
    )
    hook_url = serializers.SerializerMethodField()
    runs_last_7_days = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Workflow
        fields = [
            "id",
            "name",
            "description",
            "status",
            "active_run_policy",
            "published_version",
            "trigger_type",
            "hook_url",
            "draft",
            "draft_revision",
            "runs_last_7_days",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "trigger_type",
            "draft_revision",
            "created_at",
            "updated_at",
        ]

    def get_hook_url(self, workflow: Workflow) -> str | None:
        if workflow.trigger_type != "webhook":
            return None
        path = reverse("workflows:hook", args=[workflow.hook_token])
        return f"{settings.PUBLIC_BASE_URL}{path}"


class WorkflowTemplateSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    trigger_type = serializers.CharField()
    node_count = serializers.IntegerField()


class FromTemplateSerializer(serializers.Serializer):
    template = serializers.CharField(
        max_length=100, help_text="The slug of a workflow template."
    )
    name = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text="The new workflow's name; the template's when empty.",
    )


class VariableSerializer(serializers.Serializer):
    path = serializers.CharField(
        help_text="What a template writes, e.g. contact.first_name."
    )
    group = serializers.CharField(help_text="Where it comes from, for grouping.")
    description = serializers.CharField()


class DraftSerializer(serializers.Serializer):
    graph = serializers.JSONField()
    revision = serializers.IntegerField(
        help_text="The draft_revision the editor loaded; a newer one refuses the save."
    )


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    node = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True)


class VersionSerializer(serializers.ModelSerializer):
    published_by = serializers.CharField(
        source="published_by.username", default=None, read_only=True
    )

    class Meta:
        model = WorkflowVersion
        fields = ["number", "graph", "published_by", "published_at", "rolled_back_from"]


class RollbackSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1)


class AgentTestRequestSerializer(serializers.Serializer):
    node_id = serializers.CharField(required=False, allow_blank=True, default="")
    model = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="A litellm model string; empty uses each node's own model.",
    )
    version = serializers.ChoiceField(
        choices=["draft", "published"],
        default="draft",
        help_text="Test the draft, or the published version.",
    )


class AgentTestResultSerializer(serializers.Serializer):
    node_id = serializers.CharField()
    name = serializers.CharField()
    passed = serializers.BooleanField()
    port = serializers.CharField()
    expected_port = serializers.CharField()
    captured = serializers.DictField()
    expected_fields = serializers.DictField()
    problems = serializers.ListField(child=serializers.CharField())
    transcript = serializers.ListField(child=serializers.DictField())
    model = serializers.CharField()
    tokens = serializers.IntegerField()
    cost_usd = serializers.CharField()


class AgentTestReportSerializer(serializers.Serializer):
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = AgentTestResultSerializer(many=True)


class StartSerializer(serializers.Serializer):
    contact = ScopedRelatedField(queryset=Contact.objects.all())
    payload = serializers.DictField(required=False, default=dict)


class DraftRunSerializer(serializers.Serializer):
    contact = ScopedRelatedField(
        queryset=Contact.objects.all(),
        help_text="Who the test run texts; use a contact whose phone you hold.",
    )
    payload = serializers.DictField(
        required=False,
        default=dict,
        help_text="What the trigger would have given, read as trigger.*, "
        'e.g. {"form": {"service": "gutters"}} for a webhook trigger.',
    )


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = [
            "id",
            "node_id",
            "kind",
            "status",
            "attempt",
            "input",
            "output",
            "port",
            "error",
            "due_at",
            "created_at",
            "started_at",
            "finished_at",
        ]


class RunSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(
        source="version.number",
        read_only=True,
        allow_null=True,
        help_text="The published version run; null for a test run of the draft.",
    )
    is_test = serializers.BooleanField(
        source="version.is_test",
        read_only=True,
        help_text="A test run of the draft, started from the builder.",
    )
    contact_label = serializers.CharField(
        source="contact.__str__",
        read_only=True,
        help_text="The contact's name, or their number when they have none.",
    )

    class Meta:
        model = Run
        fields = [
            "id",
            "workflow",
            "version",
            "is_test",
            "contact",
            "contact_label",
            "status",
            "result",
            "error",
            "started_at",
            "finished_at",
        ]


class RunDetailSerializer(RunSerializer):
    steps = StepSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "context", "steps"]


class HandoffSerializer(serializers.ModelSerializer):
    class Meta:
        model = Handoff
        fields = [
            "id",
            "run",
            "contact",
            "queue",
            "note",
            "outcomes",
            "status",
            "outcome",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = fields


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=64)


def as_problems(problems: list[Any]) -> list[dict[str, Any]]:
    return [
        {"code": p.code, "message": p.message, "node": p.node, "field": p.field}
        for p in problems
    ]


class CampaignRequestSerializer(serializers.Serializer):
    contacts = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )
    tag = serializers.CharField(
        required=False, allow_blank=True, help_text="Or every contact with this tag."
    )
    per_minute = serializers.IntegerField(min_value=1, max_value=6000, default=60)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)


class CampaignSerializer(serializers.ModelSerializer):
    total = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "workflow",
            "name",
            "status",
            "per_minute",
            "position",
            "total",
            "started",
            "skipped",
            "next_batch_at",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_total(self, campaign: Campaign) -> int:
        return len(campaign.contact_ids)
