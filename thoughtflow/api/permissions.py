from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from thoughtflow.models import ApiKey, Role, User
from thoughtflow.tenancy import WorkspaceContext, acting_user, context_for_request


def workspace_context(request: Request) -> WorkspaceContext | None:
    """The workspace and role the request acts with, however it authenticated."""
    if isinstance(request.auth, ApiKey):
        return WorkspaceContext(
            workspace=request.auth.workspace, role=request.auth.role
        )
    return context_for_request(request._request)


def api_actor(request: Request) -> User | None:
    """The person behind a request, or None when a program calls with a key."""
    return None if isinstance(request.auth, ApiKey) else acting_user(request._request)


class IsWorkspaceMember(BasePermission):
    """Allow members of the current workspace; views may ask for a higher role.

    A view sets `read_role` and `write_role` (both default to agent and
    operator) to say who may read and who may change its resource.
    """

    message = "You are not a member of any workspace. Ask an admin to add you."

    def has_permission(self, request: Request, view: Any) -> bool:
        context = workspace_context(request)
        if context is None:
            return False

        if request.method in SAFE_METHODS:
            needed = getattr(view, "read_role", Role.AGENT)
        else:
            needed = getattr(view, "write_role", Role.OPERATOR)
        if not context.allows(needed):
            self.message = (
                f"This needs the {Role(needed).label.lower()} role in "
                f"{context.workspace.name}; you are {Role(context.role).label.lower()}."
            )
            return False
        return True
