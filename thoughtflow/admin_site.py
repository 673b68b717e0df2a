from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest

from thoughtflow.models import Membership, Role, User


class WorkspaceAdminLoginForm(AdminAuthenticationForm):
    """Let workspace admins in without Django's `is_staff` flag."""

    def confirm_login_allowed(self, user: User) -> None:
        if not user.is_active:
            super().confirm_login_allowed(user)
        if user.is_superuser or is_workspace_admin(user.pk):
            return
        raise forms.ValidationError(
            "This account is not an admin of any workspace. Ask a workspace "
            "admin to give it the admin role.",
            code="invalid_login",
        )


class ThoughtflowAdminSite(admin.AdminSite):
    """Django admin for superusers and for admins of at least one workspace.

    Workspace admins see only the rows of the workspaces they administer;
    `thoughtflow.admin.WorkspaceAdmin` does the scoping.
    """

    site_header = "Thoughtflow administration"
    site_title = "Thoughtflow admin"
    index_title = "Workspaces, people, contacts and numbers"
    login_form = WorkspaceAdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not user.is_active:
            return False
        if user.is_superuser:
            return True
        return bool(admin_workspace_ids(request))


def is_workspace_admin(user_id: int) -> bool:
    return Membership.objects.filter(user_id=user_id, role=Role.ADMIN).exists()


def admin_workspace_ids(request: HttpRequest) -> frozenset[int]:
    """Workspaces the request's user administers; cached for the request."""
    if not hasattr(request, "_admin_workspace_ids"):
        ids = (
            frozenset(
                Membership.objects.filter(
                    user_id=request.user.pk, role=Role.ADMIN
                ).values_list("workspace_id", flat=True)
            )
            if request.user.is_authenticated
            else frozenset()
        )
        request._admin_workspace_ids = ids  # type: ignore[attr-defined]
    return request._admin_workspace_ids  # type: ignore[attr-defined]
