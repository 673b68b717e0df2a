"""Who is online in the inbox, kept in the database.

See docs/architecture.md, "The inbox". Each open inbox websocket is an
`AgentPresence` row: written when it connects, seen again at each of the
browser's pings (every 30 seconds) and deleted when it closes. A person is
online in a workspace while one of their rows was seen within
`ONLINE_WINDOW_S`, so the connections of a server process that was killed
stop counting on their own; `sweep` deletes them and says who went offline.

The changes of one person in one workspace take the row lock of their
membership first. A connection closing while another opens therefore
never leaves both believing the person went offline, nor online twice.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from conversations.models import AgentPresence
from thoughtflow.models import Membership, User

logger = logging.getLogger(__name__)

# Three missed pings: long enough for a slow network, short enough that a
# dead server's connections stop counting within a minute and a half.
ONLINE_WINDOW_S = 90


def online_user_ids(workspace_id: int) -> set[int]:
    """The workspace's members with an inbox connection seen recently."""
    fresh = AgentPresence.objects.for_workspace(workspace_id).filter(
        last_seen_at__gte=_cutoff()
    )
    return set(
        Membership.objects.for_workspace(workspace_id)
        .filter(user_id__in=fresh.values("user_id"), user__is_active=True)
        .values_list("user_id", flat=True)
    )


def connect(workspace_id: int, user_id: int, channel_name: str) -> bool:
    """Record an open connection; return whether the person just came online."""
    now = timezone.now()
    with transaction.atomic():
        _lock_member(workspace_id, user_id)
        was_online = _is_online(workspace_id, user_id)
        AgentPresence.objects.create(
            workspace_id=workspace_id,
            user_id=user_id,
            channel_name=channel_name,
            connected_at=now,
            last_seen_at=now,
        )
    return not was_online


def refresh(workspace_id: int, user_id: int, channel_name: str) -> bool:
    """Mark the connection seen now; return whether the person came back.

    A connection whose pings came too late may have been swept: it is
    recorded again.
    """
    now = timezone.now()
    with transaction.atomic():
        _lock_member(workspace_id, user_id)
        was_online = _is_online(workspace_id, user_id)
        seen = AgentPresence.objects.filter(channel_name=channel_name).update(
            last_seen_at=now
        )
        if not seen:
            AgentPresence.objects.create(
                workspace_id=workspace_id,
                user_id=user_id,
                channel_name=channel_name,
                connected_at=now,
                last_seen_at=now,
            )
    return not was_online


def disconnect(workspace_id: int, user_id: int, channel_name: str) -> bool:
    """Forget a closed connection; return whether the person is now offline.

    False when the connection was already swept, since the sweep said so.
    """
    with transaction.atomic():
        _lock_member(workspace_id, user_id)
        deleted, _ = AgentPresence.objects.filter(channel_name=channel_name).delete()
        return bool(deleted) and not _is_online(workspace_id, user_id)


def sweep(workspace_id: int) -> list[User]:
    """Delete the workspace's stale connections; return who went offline."""
    cutoff = _cutoff()
    stale = AgentPresence.objects.for_workspace(workspace_id).filter(
        last_seen_at__lt=cutoff
    )
    gone = []
    for user_id in sorted(set(stale.values_list("user_id", flat=True))):
        with transaction.atomic():
            _lock_member(workspace_id, user_id)
            deleted, _ = stale.filter(user_id=user_id).delete()
            if deleted and not _is_online(workspace_id, user_id):
                gone.append(user_id)
    if gone:
        logger.info(
            "inbox connections gone stale workspace_id=%s users=%d",
            workspace_id,
            len(gone),
        )
    return list(User.objects.filter(pk__in=gone).order_by("pk"))


def _is_online(workspace_id: int, user_id: int) -> bool:
    return (
        AgentPresence.objects.for_workspace(workspace_id)
        .filter(user_id=user_id, last_seen_at__gte=_cutoff())
        .exists()
    )


def _lock_member(workspace_id: int, user_id: int) -> None:
    list(
        Membership.objects.select_for_update(no_key=True)
        .for_workspace(workspace_id)
        .filter(user_id=user_id)
        .values_list("pk", flat=True)
    )


def _cutoff() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=ONLINE_WINDOW_S)
