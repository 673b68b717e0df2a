"""Small builders for test data, with defaults a test can override."""

import itertools
from typing import Any

from integrations.crm import services as crm
from integrations.crm.models import Contact
from thoughtflow.models import ApiKey, Membership, Role, User, Workspace

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def make_workspace(name: str | None = None, **fields: Any) -> Workspace:
    n = next(_sequence)
    name = name or f"Workspace {n}"
    return Workspace.objects.create(name=name, slug=f"ws-{n}", **fields)


def make_user(
    username: str | None = None,
    *,
    workspace: Workspace | None = None,
    role: str = Role.AGENT,
    **fields: Any,
) -> User:
    username = username or f"user{next(_sequence)}"
    user = User.objects.create_user(username=username, password=PASSWORD, **fields)
    if workspace is not None:
        Membership.objects.create(workspace=workspace, user=user, role=role)
    return user


def make_contact(workspace: Workspace, **values: Any) -> Contact:
    n = next(_sequence)
    values.setdefault("phone", f"+1212555{n % 10000:04d}")
    values.setdefault("first_name", f"Contact{n}")
    return crm.create_contact(workspace, values)


def make_api_key(workspace: Workspace, role: str = Role.OPERATOR) -> tuple[ApiKey, str]:
    return ApiKey.issue(workspace=workspace, name="test key", role=role)
