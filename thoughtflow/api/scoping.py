"""The API's half of workspace scoping.

`WorkspaceScopedViewSet` builds every queryset through the model's
`for_workspace`, and `ScopedRelatedField` does the same for ids a client
sends, so a row of another workspace is indistinguishable from one that
does not exist.
"""

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets

from thoughtflow.api.permissions import workspace_context
from thoughtflow.models import WorkspaceOwned
from thoughtflow.tenancy import WorkspaceContext


class WorkspaceScopedViewSet(viewsets.GenericViewSet):
    """Base for viewsets over `WorkspaceOwned` models."""

    model: type[WorkspaceOwned]

    @property
    def workspace_context(self) -> WorkspaceContext:
        context = workspace_context(self.request)
        # IsWorkspaceMember has already refused requests without one.
        assert context is not None
        return context

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.scope(
            self.model.objects.for_workspace(self.workspace_context.workspace)
        )

    def scope(self, queryset: QuerySet) -> QuerySet:
        """Narrow or annotate the already workspace-scoped queryset."""
        return queryset

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save(workspace=self.workspace_context.workspace)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["workspace"] = self.workspace_context.workspace
        return context


class WorkspaceScopedModelViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    WorkspaceScopedViewSet,
):
    """Create, read, update, delete and list, all within one workspace."""

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        # CreateModelMixin's own perform_create comes first in the MRO.
        serializer.save(workspace=self.workspace_context.workspace)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key field that only resolves rows of the request's workspace."""

    def get_queryset(self) -> QuerySet:
        workspace = self.context.get("workspace")
        queryset: Any = super().get_queryset()
        if workspace is None:
            return queryset.none()
        return queryset.for_workspace(workspace)
