"""Changes to workspaces, memberships and API keys."""

import logging

from django.db import transaction

from thoughtflow.errors import LastAdmin, ThoughtflowError
from thoughtflow.models import ApiKey, Membership, Role, User, Workspace

logger = logging.getLogger(__name__)


class UnknownRole(ThoughtflowError):
    code = "unknown_role"
    message = "Role must be admin, operator or agent; got {role!r}."


def add_member(workspace: Workspace, user: User, role: str) -> Membership:
    """Add `user` to `workspace`, or change their role if already a member."""
    if role not in Role.values:
        raise UnknownRole(role=role)

    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            workspace=workspace, user=user, defaults={"role": role}
        )
        if not created and membership.role != role:
            change_role(membership, role)
    logger.info(
        "member added workspace_id=%s user_id=%s role=%s", workspace.pk, user.pk, role
    )
    return membership


def change_role(membership: Membership, role: str) -> Membership:
    """Give a member another role; refuse to demote the last admin."""
    if role not in Role.values:
        raise UnknownRole(role=role)

    with transaction.atomic():
        _lock_admins(membership.workspace_id)
        if membership.role == Role.ADMIN and role != Role.ADMIN:
            _ensure_another_admin(membership)
        membership.role = role
        membership.save(update_fields=["role"])
    logger.info(
        "member role changed workspace_id=%s user_id=%s role=%s",
        membership.workspace_id,
        membership.user_id,
        role,
    )
    return membership


def remove_member(membership: Membership) -> None:
    """Remove a member; refuse to remove the last admin."""
    with transaction.atomic():
        _lock_admins(membership.workspace_id)
        if membership.role == Role.ADMIN:
            _ensure_another_admin(membership)
        membership.delete()
    logger.info(
        "member removed workspace_id=%s user_id=%s",
        membership.workspace_id,
        membership.user_id,
    )


def issue_api_key(
    workspace: Workspace, name: str, role: str, created_by: User | None
) -> tuple[ApiKey, str]:
    if role not in Role.values:
        raise UnknownRole(role=role)

    key, plaintext = ApiKey.issue(
        workspace=workspace, name=name, role=role, created_by=created_by
    )
    logger.info(
        "api key issued workspace_id=%s api_key_id=%s role=%s",
        workspace.pk,
        key.pk,
        role,
    )
    return key, plaintext


def revoke_api_key(key: ApiKey) -> None:
    key.revoke()
    logger.info(
        "api key revoked workspace_id=%s api_key_id=%s", key.workspace_id, key.pk
    )


def _lock_admins(workspace_id: int) -> None:
    # Two admins demoting each other at once must not both succeed: lock the
    # workspace's admin rows before counting them.
    list(
        Membership.objects.select_for_update(no_key=True)
        .for_workspace(workspace_id)
        .filter(role=Role.ADMIN)
        .values_list("pk", flat=True)
    )


def _ensure_another_admin(membership: Membership) -> None:
    others = (
        Membership.objects.for_workspace(membership.workspace_id)
        .filter(role=Role.ADMIN)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise LastAdmin()
