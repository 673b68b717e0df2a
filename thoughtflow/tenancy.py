"""Which workspace a request acts in, and with which role.

A browser session remembers the workspace its user last switched to; an API
key always acts in the workspace it was issued for. Everything downstream
reads the resulting `WorkspaceContext` and nothing else.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from thoughtflow.logs import workspace_id_var
from thoughtflow.models import Membership, Role, User, Workspace

SESSION_KEY = "workspace_id"


@dataclass(frozen=True)
class WorkspaceContext:
    workspace: Workspace
    role: str

    @property
    def workspace_id(self) -> int:
        return self.workspace.pk

    def allows(self, minimum_role: str) -> bool:
        return Role.at_least(self.role, minimum_role)


def resolve_for_session(
    user: User | AnonymousUser, session: SessionBase
) -> WorkspaceContext | None:
    """Return the session's workspace, falling back to the user's first one.

    A workspace the user has since left is never returned: membership is
    checked on every request, not only at switch time.
    """
    if not isinstance(user, User):
        return None

    memberships = Membership.objects.filter(user_id=user.pk).select_related("workspace")
    chosen_id = session.get(SESSION_KEY)
    membership = None
    if chosen_id is not None:
        membership = memberships.filter(workspace_id=chosen_id).first()
    if membership is None:
        membership = memberships.order_by("workspace__name", "workspace_id").first()
    if membership is None:
        return None

    if session.get(SESSION_KEY) != membership.workspace_id:
        session[SESSION_KEY] = membership.workspace_id
    return WorkspaceContext(workspace=membership.workspace, role=membership.role)


def switch_workspace(
    user: User | AnonymousUser, session: SessionBase, workspace_id: int
) -> WorkspaceContext | None:
    """Make `workspace_id` the session's workspace if the user belongs to it."""
    if not isinstance(user, User):
        return None

    membership = (
        Membership.objects.filter(user_id=user.pk, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
    )
    if membership is None:
        return None

    session[SESSION_KEY] = membership.workspace_id
    return WorkspaceContext(workspace=membership.workspace, role=membership.role)


def acting_user(request: HttpRequest) -> User | None:
    """The signed-in user, or None for anonymous requests and API keys."""
    return request.user if isinstance(request.user, User) else None


def context_for_request(request: HttpRequest) -> WorkspaceContext | None:
    """Resolve the session's workspace once per request and remember it."""
    if not hasattr(request, "_workspace_context"):
        context = resolve_for_session(request.user, request.session)
        request._workspace_context = context  # type: ignore[attr-defined]
        if context is not None:
            workspace_id_var.set(context.workspace_id)
    return request._workspace_context  # type: ignore[attr-defined]
