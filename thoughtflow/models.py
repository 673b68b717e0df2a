"""Workspaces, the people in them, and the keys that act for them.

Every domain row belongs to exactly one workspace and inherits from
`WorkspaceOwned`, whose manager is the single way to scope a query:
`Contact.objects.for_workspace(workspace)`. Views, the admin and consumers
all go through it; see docs/architecture.md, "Tenancy".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Self

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from collections.abc import Iterable


class User(AbstractUser):
    """A person who signs in. What they may do depends on their memberships."""

    def membership_in(self, workspace_id: int) -> Membership | None:
        return self.memberships.filter(workspace_id=workspace_id).first()


class Workspace(models.Model):
    """An organization's account: it owns contacts, numbers and workflows."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    default_country = models.CharField(
        max_length=2,
        default="US",
        help_text="ISO country used to read phone numbers written without +.",
    )
    default_time_zone = models.CharField(
        max_length=64,
        default="America/New_York",
        help_text="Used for contacts whose number does not tell their time zone.",
    )
    allow_private_http = models.BooleanField(
        default=False,
        help_text="Let workflow HTTP steps call private and loopback addresses "
        "(an internal CRM, say). Off by default: a workflow could otherwise reach "
        "services inside this network.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    # Declared from most to least powerful; `Role.rank` relies on it.
    ADMIN = "admin", "Admin"
    OPERATOR = "operator", "Operator"
    AGENT = "agent", "Agent"

    @classmethod
    def rank(cls, role: str) -> int:
        """Higher is more powerful: admin 3, operator 2, agent 1."""
        order = [cls.AGENT, cls.OPERATOR, cls.ADMIN]
        return order.index(cls(role)) + 1

    @classmethod
    def at_least(cls, role: str, minimum: str) -> bool:
        return cls.rank(role) >= cls.rank(minimum)


class WorkspaceQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace | int) -> Self:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        return self.filter(workspace_id=workspace_id)

    def for_workspaces(self, workspace_ids: Iterable[int]) -> Self:
        return self.filter(workspace_id__in=list(workspace_ids))


WorkspaceManager = models.Manager.from_queryset(WorkspaceQuerySet)


class WorkspaceOwned(models.Model):
    """Base for every row that belongs to one workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")

    objects = WorkspaceManager()

    class Meta:
        abstract = True


class Membership(WorkspaceOwned):
    """A user's place in a workspace, with the role that decides what they may do."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"], name="membership_unique_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


API_KEY_PREFIX = "tf"


class ApiKeyQuerySet(WorkspaceQuerySet):
    def active(self) -> Self:
        return self.filter(revoked_at__isnull=True)


class ApiKey(WorkspaceOwned):
    """A secret that lets a program act in one workspace with one role.

    Only a SHA-256 digest of the key is stored. Keys carry 256 bits of
    randomness, so a fast digest is enough: there is nothing to brute-force.
    The full key is returned once, by `ApiKey.issue`.
    """

    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.OPERATOR)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = models.Manager.from_queryset(ApiKeyQuerySet)()  # type: ignore[misc]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({API_KEY_PREFIX}_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(
        cls,
        *,
        workspace: Workspace,
        name: str,
        role: str = Role.OPERATOR,
        created_by: User | None = None,
    ) -> tuple[ApiKey, str]:
        """Create a key and return it with its plaintext, which is not kept."""
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        plaintext = f"{API_KEY_PREFIX}_{prefix}_{secret}"
        key = cls.objects.create(
            workspace=workspace,
            name=name,
            role=role,
            prefix=prefix,
            digest=_digest(plaintext),
            created_by=created_by,
        )
        return key, plaintext

    @classmethod
    def find_active(cls, plaintext: str) -> ApiKey | None:
        """Return the active key matching `plaintext`, or None."""
        parts = plaintext.split("_", 2)
        if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
            return None

        key = (
            cls.objects.active()
            .select_related("workspace")
            .filter(prefix=parts[1])
            .first()
        )
        if key is None or not hmac.compare_digest(key.digest, _digest(plaintext)):
            return None
        return key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Record use, at most once a minute, to keep writes off the hot path."""
        now = timezone.now()
        if self.last_used_at and (now - self.last_used_at).total_seconds() < 60:
            return
        ApiKey.objects.filter(pk=self.pk).filter(
            Q(last_used_at__isnull=True)
            | Q(last_used_at__lt=now - timedelta(seconds=60))
        ).update(last_used_at=now)
        self.last_used_at = now


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()
