from typing import Any

from django.http import HttpRequest

from thoughtflow.models import Membership, Workspace
from thoughtflow.tenancy import context_for_request


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The current workspace and the others the user may switch to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "workspace_context": context_for_request(request),
        "user_workspaces": Workspace.objects.filter(
            pk__in=Membership.objects.filter(user_id=user.pk).values("workspace_id")
        ),
    }
