"""Who takes a conversation: the team a handoff names.

See docs/architecture.md, "The inbox".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver

from conversations.models import Team
from thoughtflow.models import Membership


def find_team(workspace_id: int, queue: str) -> Team | None:
    """The workspace's team a handoff queue names, or None.

    Names match without regard to case, and a queue's underscores may stand
    for spaces, since a queue cannot hold one: `front_desk` finds a team
    called "Front desk". A team named exactly like the queue comes first.
    """
    spaced = queue.replace("_", " ")
    matches = list(
        Team.objects.for_workspace(workspace_id).filter(
            Q(name__iexact=queue) | Q(name__iexact=spaced)
        )
    )
    matches.sort(key=lambda team: team.name.lower() != queue.lower())
    return matches[0] if matches else None


@receiver(post_delete, sender=Membership)
def leave_teams(sender: Any, instance: Membership, **kwargs: Any) -> None:
    """Take someone who leaves a workspace out of its teams.

    Rejoining later does not put them back in a team unasked.
    """
    Team.members.through.objects.filter(
        team__workspace_id=instance.workspace_id, user_id=instance.user_id
    ).delete()
