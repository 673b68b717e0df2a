"""Who takes a conversation: the team a handoff names, the person next in
turn, and the people who can work the inbox.

See docs/architecture.md, "The inbox".
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver

from conversations import presence
from conversations.models import Conversation, MessagingSettings, Team
from thoughtflow.models import Membership, Role

logger = logging.getLogger(__name__)

# Everyone from agent up works the inbox and may take conversations.
INBOX_ROLES = [role for role in Role if Role.at_least(role, Role.AGENT)]


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


def advance_rotation(conversation: Conversation) -> int | None:
    """Choose who takes the conversation next in turn, and remember it.

    Returns the user id, or None when the workspace does not assign by
    rotation or nobody who may take it is online. The people in turn are
    the conversation's team when it has one, else the whole workspace; the
    one chosen is the first online, by user id, after whoever the same
    rotation chose last, coming round again after the highest. Call it in
    the transaction that assigns the conversation, so a rollback also takes
    back the turn.
    """
    # The settings row's lock serialises every rotation of the workspace,
    # a team's too: two handoffs at once never choose by the same cursor.
    settings = (
        MessagingSettings.objects.select_for_update(no_key=True)
        .filter(workspace_id=conversation.workspace_id, round_robin_assignment=True)
        .first()
    )
    if settings is None:
        return None

    team = None
    if conversation.team_id is not None:
        team = Team.objects.select_for_update(no_key=True).get(pk=conversation.team_id)
    cursor = team or settings
    chosen = _next_in_turn(
        _people_in_turn(conversation.workspace_id, team), cursor.rotation_last_user_id
    )
    if chosen is None:
        logger.debug(
            "nobody online to take conversation conversation_id=%s team_id=%s",
            conversation.pk,
            conversation.team_id,
        )
        return None

    cursor.rotation_last_user_id = chosen
    cursor.save(update_fields=["rotation_last_user"])

    return chosen


def _people_in_turn(workspace_id: int, team: Team | None) -> list[int]:
    """The ids of the people online who may take a conversation, ascending."""
    people = Membership.objects.for_workspace(workspace_id).filter(
        role__in=INBOX_ROLES,
        user__is_active=True,
        user_id__in=presence.online_user_ids(workspace_id),
    )
    if team is not None:
        people = people.filter(user__teams=team)
    return sorted(people.values_list("user_id", flat=True))


def _next_in_turn(user_ids: list[int], last_id: int | None) -> int | None:
    if not user_ids:
        return None
    if last_id is None:
        return user_ids[0]
    return next((user_id for user_id in user_ids if user_id > last_id), user_ids[0])


def inbox_people(workspace_id: int) -> dict[str, Any]:
    """The workspace's people, who of them is online, and its teams.

    Members are sorted by name and teams by name, both without regard to
    case; a team lists only the ids of people still in the workspace.
    """
    memberships = (
        Membership.objects.for_workspace(workspace_id)
        .filter(role__in=INBOX_ROLES, user__is_active=True)
        .select_related("user")
    )
    online = presence.online_user_ids(workspace_id)
    members = [
        {
            "id": membership.user_id,
            "username": membership.user.username,
            "name": membership.user.get_full_name() or membership.user.username,
            "role": membership.role,
            "online": membership.user_id in online,
        }
        for membership in memberships
    ]
    members.sort(key=lambda member: (member["name"].casefold(), member["id"]))

    return {
        "round_robin": is_round_robin(workspace_id),
        "members": members,
        "teams": _teams(workspace_id, {member["id"] for member in members}),
    }


def is_round_robin(workspace_id: int) -> bool:
    """Whether the workspace hands flagged conversations out in turn."""
    return MessagingSettings.objects.filter(
        workspace_id=workspace_id, round_robin_assignment=True
    ).exists()


def _teams(workspace_id: int, member_ids: set[int]) -> list[dict[str, Any]]:
    teams = {
        team.pk: {"id": team.pk, "name": team.name, "members": []}
        for team in Team.objects.for_workspace(workspace_id)
    }
    seats = Team.members.through.objects.filter(team_id__in=teams).order_by("user_id")
    for team_id, user_id in seats.values_list("team_id", "user_id"):
        if user_id in member_ids:
            teams[team_id]["members"].append(user_id)
    return sorted(
        teams.values(), key=lambda team: (team["name"].casefold(), team["id"])
    )


@receiver(post_delete, sender=Membership)
def leave_teams(sender: Any, instance: Membership, **kwargs: Any) -> None:
    """Take someone who leaves a workspace out of its teams.

    Rejoining later does not put them back in a team unasked.
    """
    Team.members.through.objects.filter(
        team__workspace_id=instance.workspace_id, user_id=instance.user_id
    ).delete()
