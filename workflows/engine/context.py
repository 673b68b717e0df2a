"""What a node sees: the template context of a run at one step."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects

from integrations.crm.models import Contact
from workflows.models import Run

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "time_zone")


def contact_view(contact: Contact) -> dict[str, Any]:
    """The contact as templates and conditions read it, fresh from the database.

    The tags are read once per contact object: the steps one task runs in a
    row share their run's contact, and changing the tags forgets them.
    """
    view: dict[str, Any] = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    view["id"] = contact.pk
    view["full_name"] = contact.full_name
    prefetch_related_objects([contact], "tags")
    view["tags"] = sorted(tag.name for tag in contact.tags.all())
    view["fields"] = dict(contact.custom_fields)
    return view


def template_context(run: Run) -> dict[str, Any]:
    """The names a template or branch condition may read at this point of the run."""
    context = run.context
    return {
        "contact": contact_view(run.contact),
        "trigger": context.get("trigger", {}),
        "steps": context.get("steps", {}),
        "vars": context.get("vars", {}),
        "run": {"id": run.pk, "started_at": run.started_at.isoformat()},
        "workspace": {"name": run.contact.workspace.name},
    }


def lookup(data: Any, path: str) -> Any:
    """Read a dotted path (`steps.ask.outcome`, `contact.tags`); None when missing."""
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current
