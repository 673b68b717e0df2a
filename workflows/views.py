import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from integrations.crm.models import Contact
from thoughtflow.api.permissions import api_actor
from thoughtflow.api.scoping import WorkspaceScopedModelViewSet, WorkspaceScopedViewSet
from thoughtflow.errors import ThoughtflowError
from thoughtflow.models import Role
from workflows import catalog, services, variables
from workflows.agent import scenarios
from workflows.definition import kind_schemas
from workflows.engine import campaigns, runs
from workflows.models import Campaign, Handoff, Run, Workflow
from workflows.serializers import (
    AgentTestReportSerializer,
    AgentTestRequestSerializer,
    CampaignRequestSerializer,
    CampaignSerializer,
    DraftRunSerializer,
    DraftSerializer,
    FromTemplateSerializer,
    HandoffSerializer,
    ProblemSerializer,
    ResolveSerializer,
    RollbackSerializer,
    RunDetailSerializer,
    RunSerializer,
    StartSerializer,
    VariableSerializer,
    VersionSerializer,
    WorkflowSerializer,
    WorkflowTemplateSerializer,
    as_problems,
)


class UnknownNode(ThoughtflowError):
    code = "unknown_node"
    status_code = 404
    message = "The draft has no step '{node}'. Use the id of one of its steps."


class WorkflowViewSet(WorkspaceScopedModelViewSet):
    """Workflows of the current workspace: drafts, versions and runs."""

    model = Workflow
    serializer_class = WorkflowSerializer

    def scope(self, queryset: QuerySet) -> QuerySet:
        week_ago = timezone.now() - datetime.timedelta(days=7)
        if status_filter := self.request.query_params.get("status"):
            queryset = queryset.filter(status=status_filter)
        # Meta.ordering does not apply to a grouped query: order explicitly.
        return (
            queryset.select_related("published_version")
            .annotate(
                runs_last_7_days=Count(
                    "runs",
                    filter=Q(
                        runs__started_at__gte=week_ago, runs__version__is_test=False
                    ),
                )
            )
            .order_by("name", "id")
        )

    @extend_schema(request=DraftSerializer, responses=WorkflowSerializer)
    @action(detail=True, methods=["put"])
    def draft(self, request: Request, pk: str) -> Response:
        """Save the draft graph; refused if someone saved since `revision`."""
        incoming = DraftSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        workflow = services.save_draft(
            self.get_object(),
            incoming.validated_data["graph"],
            incoming.validated_data["revision"],
        )
        return Response(
            WorkflowSerializer(workflow, context=self.get_serializer_context()).data
        )

    @extend_schema(request=None, responses=ProblemSerializer(many=True))
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk: str) -> Response:
        """Every problem in the draft, each tied to its node and field."""
        return Response(as_problems(services.problems_of(self.get_object().draft)))

    @extend_schema(request=None, responses=VersionSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        try:
            version = services.publish(self.get_object(), api_actor(request))
        except services.InvalidWorkflow as exc:
            return _invalid(exc)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str) -> Response:
        """The published versions, newest first; test versions are not listed."""
        versions = (
            self.get_object()
            .versions.filter(is_test=False)
            .select_related("published_by")
        )
        return Response(VersionSerializer(versions, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "node", str, required=True, description="The id of a step of the draft."
            )
        ],
        responses=VariableSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def variables(self, request: Request, pk: str) -> Response:
        """What a template in one step of the draft may read, for autocomplete."""
        node_id = request.query_params.get("node", "").strip()
        if not node_id:
            raise ValidationError({"node": ["Name the step: ?node=<step id>."]})
        workflow = self.get_object()
        found = variables.variables_at(
            workflow.draft,
            node_id,
            variables.custom_field_names(workflow.workspace_id),
        )
        if found is None:
            raise UnknownNode(node=node_id)
        return Response([variable.as_dict() for variable in found])

    @extend_schema(request=DraftRunSerializer, responses=RunSerializer)
    @action(detail=True, methods=["post"], url_path="test-runs")
    def test_runs(self, request: Request, pk: str) -> Response:
        """Run the draft for one contact, as a test outside the version history.

        The contact's earlier test run of this workflow, if still going, is
        cancelled; the workflow's active-run policy does not apply.
        """
        workflow = self.get_object()
        incoming = DraftRunSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        incoming.is_valid(raise_exception=True)
        try:
            run = services.start_test_run(
                workflow,
                incoming.validated_data["contact"],
                incoming.validated_data["payload"],
                api_actor(request),
            )
        except services.InvalidWorkflow as exc:
            return _invalid(exc)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RollbackSerializer, responses=VersionSerializer)
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: str) -> Response:
        incoming = RollbackSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        version = services.rollback(
            self.get_object(), incoming.validated_data["number"], api_actor(request)
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        workflow = self.get_object()
        response = Response(services.export_workflow(workflow))
        response["Content-Disposition"] = (
            f'attachment; filename="workflow-{workflow.pk}.json"'
        )
        return response

    @extend_schema(request=dict, responses=WorkflowSerializer)
    @action(detail=False, methods=["post"], url_path="import")
    def import_(self, request: Request) -> Response:
        workflow = services.import_workflow(
            self.workspace_context.workspace, request.data
        )
        return Response(
            WorkflowSerializer(workflow, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=FromTemplateSerializer, responses=WorkflowSerializer)
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request: Request) -> Response:
        """Create a workflow whose draft is a template's graph, unpublished."""
        incoming = FromTemplateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        workflow = services.create_from_template(
            self.workspace_context.workspace,
            incoming.validated_data["template"],
            incoming.validated_data["name"],
        )
        return Response(
            WorkflowSerializer(workflow, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=WorkflowSerializer)
    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, pk: str) -> Response:
        """Copy the workflow as "Copy of <name>": same draft, not published."""
        workflow = services.duplicate_workflow(self.get_object())
        return Response(
            WorkflowSerializer(workflow, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=AgentTestRequestSerializer, responses=AgentTestReportSerializer
    )
    @action(detail=True, methods=["post"], url_path="test-agents")
    def test_agents(self, request: Request, pk: str) -> Response:
        """Run the test conversations of the workflow's SMS agent steps.

        Nothing is texted; each test reports its transcript, where it ended,
        and pass or fail.
        """
        incoming = AgentTestRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        workflow = self.get_object()
        graph = workflow.draft
        if data["version"] == "published":
            if workflow.published_version is None:
                raise runs.NotPublished(name=workflow.name)
            graph = workflow.published_version.graph
        results = scenarios.run_workflow_tests(
            workflow, model=data["model"] or None, node_id=data["node_id"], graph=graph
        )
        passed = sum(result.passed for result in results)
        return Response(
            {
                "passed": passed,
                "failed": len(results) - passed,
                "results": [result.as_dict() for result in results],
            }
        )

    @extend_schema(request=CampaignRequestSerializer, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def campaign(self, request: Request, pk: str) -> Response:
        """Start the workflow for a list of contacts (ids, or a tag), paced."""
        incoming = CampaignRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        workflow = self.get_object()
        ids = list(data["contacts"])
        if data.get("tag"):
            ids += list(
                Contact.objects.for_workspace(workflow.workspace_id)
                .filter(tags__name=data["tag"])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        created = campaigns.create_campaign(
            workflow,
            ids,
            per_minute=data["per_minute"],
            name=data.get("name", ""),
            user=api_actor(request),
        )
        return Response(
            CampaignSerializer(created).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=StartSerializer, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        """Start a run for one contact now."""
        incoming = StartSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        incoming.is_valid(raise_exception=True)
        run = runs.start_run(
            self.get_object(),
            incoming.validated_data["contact"],
            {"manual": incoming.validated_data["payload"]},
        )
        if run is None:
            return Response(
                {"code": "skipped", "detail": "The contact already has an active run."},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


def _invalid(exc: services.InvalidWorkflow) -> Response:
    """The answer to a draft that can't be published or tested: every problem."""
    return Response(
        {
            "code": exc.code,
            "detail": exc.message,
            "problems": as_problems(exc.problems),
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("workflow", int),
            OpenApiParameter("status", str),
            OpenApiParameter("contact", int),
            OpenApiParameter(
                "test", bool, description="Only test runs (true) or live runs (false)."
            ),
        ]
    )
)
class RunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet
):
    """Runs, newest first; a run's detail has its steps in order."""

    model = Run
    write_role = Role.OPERATOR

    def get_serializer_class(self) -> Any:
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    def scope(self, queryset: QuerySet) -> QuerySet:
        params = self.request.query_params
        for name in ("workflow", "contact"):
            if (value := params.get(name, "")).isdigit():
                queryset = queryset.filter(**{f"{name}_id": int(value)})
        if run_status := params.get("status"):
            queryset = queryset.filter(status=run_status)
        if (test := params.get("test")) is not None:
            if test not in ("true", "false"):
                raise ValidationError({"test": ["Use true or false."]})
            queryset = queryset.filter(version__is_test=test == "true")
        return queryset.select_related("version", "contact")

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return Response(
            RunSerializer(runs.cancel_run(self.get_object(), api_actor(request))).data
        )

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        runs.retry_run(run)
        run.refresh_from_db()
        return Response(RunSerializer(run).data)


class HandoffViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet
):
    """Runs waiting for a person; resolving one continues its run."""

    model = Handoff
    serializer_class = HandoffSerializer
    write_role = Role.AGENT

    def scope(self, queryset: QuerySet) -> QuerySet:
        if handoff_status := self.request.query_params.get("status"):
            queryset = queryset.filter(status=handoff_status)
        return queryset

    @extend_schema(request=ResolveSerializer, responses=HandoffSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        incoming = ResolveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        handoff = runs.resolve_handoff(
            self.get_object(), incoming.validated_data["outcome"], api_actor(request)
        )
        return Response(HandoffSerializer(handoff).data)


class CampaignViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet
):
    """Campaigns of the current workspace, with pause, resume and cancel."""

    model = Campaign
    serializer_class = CampaignSerializer

    def _set(self, new_status: str) -> Response:
        changed = campaigns.set_campaign_status(self.get_object(), new_status)
        return Response(CampaignSerializer(changed).data)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        return self._set(Campaign.Status.PAUSED)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return self._set(Campaign.Status.RUNNING)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._set(Campaign.Status.CANCELLED)


@extend_schema(responses=WorkflowTemplateSerializer(many=True))
@api_view(["GET"])
def workflow_templates(request: Request) -> Response:
    """The example workflows a new workflow can start from."""
    return Response(WorkflowTemplateSerializer(catalog.templates(), many=True).data)


@extend_schema(responses=dict)
@api_view(["GET"])
def node_kinds(request: Request) -> Response:
    """The JSON Schema of each node kind's config, for building forms."""
    return Response(kind_schemas())
