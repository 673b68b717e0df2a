from typing import Any

from django.db.models import Case, CharField, Value, When
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from thoughtflow import services
from thoughtflow.api.permissions import api_actor, workspace_context
from thoughtflow.api.scoping import WorkspaceScopedViewSet
from thoughtflow.api.serializers import (
    ApiKeySerializer,
    IssuedApiKeySerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    WorkspaceSerializer,
)
from thoughtflow.errors import NotFound, ThoughtflowError
from thoughtflow.models import ApiKey, Membership, Role, Workspace
from thoughtflow.tenancy import switch_workspace


class SwitchNeedsSession(ThoughtflowError):
    code = "switch_needs_session"
    message = (
        "An API key always acts in the workspace it was issued for. Use a key "
        "issued in the other workspace instead of switching."
    )


class WorkspaceViewSet(viewsets.ReadOnlyModelViewSet):
    """The workspaces the caller belongs to, and switching between them."""

    serializer_class = WorkspaceSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Workspace.objects.none()
        context = workspace_context(self.request)
        user = api_actor(self.request)
        if context is None:
            return Workspace.objects.none()
        if user is None:
            role_of = {context.workspace_id: context.role}
        else:
            memberships = Membership.objects.filter(user_id=user.pk)
            role_of = dict(memberships.values_list("workspace_id", "role"))
        return Workspace.objects.filter(pk__in=role_of).annotate(
            role=Case(
                *[When(pk=pk, then=Value(role)) for pk, role in role_of.items()],
                output_field=CharField(),
            ),
            is_current=Case(When(pk=context.workspace_id, then=True), default=False),
        )

    @extend_schema(request=None, responses=WorkspaceSerializer)
    @action(detail=True, methods=["post"])
    def switch(self, request: Request, pk: str) -> Response:
        """Make this workspace the current one for the browser session."""
        if isinstance(request.auth, ApiKey):
            raise SwitchNeedsSession()
        if (
            not pk.isdigit()
            or switch_workspace(request.user, request.session, int(pk)) is None
        ):
            raise NotFound()
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)


class MembershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    WorkspaceScopedViewSet,
):
    """Members of the current workspace. Admins add, change and remove them."""

    model = Membership
    serializer_class = MembershipSerializer
    write_role = Role.ADMIN

    def scope(self, queryset: Any) -> Any:
        return queryset.select_related("user")

    @extend_schema(request=MembershipCreateSerializer, responses=MembershipSerializer)
    def create(self, request: Request) -> Response:
        incoming = MembershipCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        membership = services.add_member(
            self.workspace_context.workspace,
            incoming.validated_data["username"],
            incoming.validated_data["role"],
        )
        return Response(
            MembershipSerializer(membership).data, status=status.HTTP_201_CREATED
        )

    def perform_update(self, serializer: Any) -> None:
        role = serializer.validated_data.get("role", serializer.instance.role)
        services.change_role(serializer.instance, role)

    def perform_destroy(self, instance: Membership) -> None:
        services.remove_member(instance)


class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    WorkspaceScopedViewSet,
):
    """API keys of the current workspace. Only admins see or manage them.

    Deleting a key revokes it: the row stays so its use can be audited.
    """

    model = ApiKey
    serializer_class = ApiKeySerializer
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    @extend_schema(request=ApiKeySerializer, responses=IssuedApiKeySerializer)
    def create(self, request: Request) -> Response:
        incoming = ApiKeySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        key, plaintext = services.issue_api_key(
            self.workspace_context.workspace,
            incoming.validated_data["name"],
            incoming.validated_data.get("role", Role.OPERATOR),
            api_actor(request),
        )
        key.key = plaintext  # type: ignore[attr-defined]
        return Response(
            IssuedApiKeySerializer(key).data, status=status.HTTP_201_CREATED
        )

    def perform_destroy(self, instance: ApiKey) -> None:
        services.revoke_api_key(instance)
