"""The inbox websocket: a workspace's events, replayed and live, and who is
typing in or looking at a conversation.

See docs/architecture.md, "The inbox". Frames from the browser:

- `{"type": "resume", "after": <id>}` asks for every event numbered above
  `after`, read from the database, then the live ones. No event is sent
  before the first resume.
- `{"type": "join" | "leave", "conversation": <id>}` shows the user as
  looking at a conversation of the workspace, or no longer.
- `{"type": "typing", "conversation": <id>}` tells the others looking at a
  joined conversation that the user is typing.
- `{"type": "ping"}`, every 30 seconds, keeps the user online and is
  answered `{"type": "pong", "online": [<user id>, ...]}`, the members
  online now.

Who is online in the workspace is stored (conversations/presence.py); a
connection that has pinged hears `{"type": "agent_presence", "user": ...,
"online": <bool>}` when someone comes online or goes offline. Those
frames, typing and who looks at a conversation are not stored: a dropped
connection may lose them.

Every few seconds (INBOX_CATCH_UP_SECONDS) the consumer also reads the
events a lost push left behind, so a push is only ever a hint.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from conversations import presence
from conversations.events import (
    conversation_group,
    events_after,
    last_seq,
    workspace_group,
)
from conversations.models import Conversation
from thoughtflow.models import Role, User
from thoughtflow.tenancy import resolve_for_session

logger = logging.getLogger(__name__)

# Sent before the handshake is accepted, so the browser sees it refused.
FORBIDDEN = 4403
REPLAY_BATCH = 200
# A client further behind than this reloads the inbox from the API
# instead of replaying every event one by one.
REPLAY_LIMIT = 2000


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """Send a member of a workspace its inbox events, in order, exactly once.

    Events are numbered without gaps per workspace, so one arriving out of
    turn (a push overtaken by a later one, or lost) is read back from the
    database before it is sent. Channels hands a consumer one message at a
    time, so live events that arrive during a replay wait until it ends and
    are then dropped if the replay already sent them.
    """

    workspace_id: int | None = None
    user: User
    # The last event id sent to the browser; None until it asks to resume.
    last_sent: int | None = None
    catching_up: asyncio.Task | None = None
    # Whether the browser pings. Only those hear who comes and goes: a
    # client that does not keep presence gets no frames it cannot read.
    keeps_presence = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        workspace_id = None
        if isinstance(user, User):
            workspace_id = await _inbox_workspace(user, self.scope["session"])
        if workspace_id is None:
            logger.info("inbox connection refused")
            await self.close(code=FORBIDDEN)
            return

        self.user = user
        self.workspace_id = workspace_id
        self.joined: set[int] = set()
        await self.channel_layer.group_add(
            workspace_group(workspace_id), self.channel_name
        )
        came_online = await database_sync_to_async(presence.connect)(
            workspace_id, user.pk, self.channel_name
        )
        if came_online:
            await self._announce(user, online=True)
        await self.accept()
        self.catching_up = asyncio.create_task(self._catch_up_now_and_then())

    async def disconnect(self, code: int) -> None:
        if self.catching_up is not None:
            self.catching_up.cancel()
        if self.workspace_id is None:
            return
        for conversation_id in list(self.joined):
            await self._leave(conversation_id)
        went_offline = await database_sync_to_async(presence.disconnect)(
            self.workspace_id, self.user.pk, self.channel_name
        )
        if went_offline:
            await self._announce(self.user, online=False)
        await self.channel_layer.group_discard(
            workspace_group(self.workspace_id), self.channel_name
        )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "resume":
            await self._resume(content.get("after", 0))
        elif kind == "ping":
            await self._ping()
        elif kind in ("join", "leave", "typing"):
            conversation_id = content.get("conversation")
            if isinstance(conversation_id, bool) or not isinstance(
                conversation_id, int
            ):
                await self._error("invalid_conversation", "Name a conversation id.")
                return
            await self._conversation_frame(kind, conversation_id)
        else:
            logger.warning("inbox frame not understood type=%s", str(kind)[:40])
            await self._error(
                "unknown_frame", "Send resume, ping, join, leave or typing."
            )

    async def inbox_event(self, message: dict[str, Any]) -> None:
        """Forward a live event, or fill the gap before it from the database."""
        event_id = message["event"]["id"]
        if self.last_sent is None or event_id <= self.last_sent:
            return
        if event_id == self.last_sent + 1:
            await self.send_json(message["event"])
            self.last_sent = event_id
        else:
            await self._catch_up()

    async def inbox_catch_up(self, message: dict[str, Any]) -> None:
        if self.last_sent is not None:
            await self._catch_up()

    async def _catch_up_now_and_then(self) -> None:
        """Ask this consumer to read missed events, every few seconds.

        A push can be lost, and the in-memory layer never carries one from
        another process (the worker's, under `make demo`). The request goes
        through the consumer's own channel so the read takes its turn with
        live events instead of racing them.
        """
        while True:
            await asyncio.sleep(settings.INBOX_CATCH_UP_SECONDS)
            await self.channel_layer.send(self.channel_name, {"type": "inbox.catch_up"})

    async def inbox_typing(self, message: dict[str, Any]) -> None:
        if message["sender"] != self.channel_name:
            await self.send_json(message["frame"])

    async def inbox_agent_presence(self, message: dict[str, Any]) -> None:
        # A connection is not told of its own arrival: its pong says so, and
        # a channel layer may deliver the frame only after that first ping.
        if message["sender"] == self.channel_name and message["about_me"]:
            return
        if self.keeps_presence:
            await self.send_json(message["frame"])

    async def inbox_presence(self, message: dict[str, Any]) -> None:
        if message["sender"] == self.channel_name:
            return
        await self.send_json(message["frame"])
        # Whoever joins learns who was already there.
        conversation_id = message["frame"]["conversation"]
        if message["frame"]["state"] == "joined" and conversation_id in self.joined:
            await self.channel_layer.send(
                message["sender"], self._presence(conversation_id, "here")
            )

    async def _resume(self, after: Any) -> None:
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            await self._error("invalid_resume", "'after' must be an event id, or 0.")
            return
        assert self.workspace_id is not None
        # Every reconnect resumes, so someone removed from the workspace is
        # cut off at their next one.
        current = await _inbox_workspace(self.user, self.scope["session"])
        if current != self.workspace_id:
            logger.info("inbox resume refused workspace_id=%s", self.workspace_id)
            await self.close(code=FORBIDDEN)
            return
        newest = await database_sync_to_async(last_seq)(self.workspace_id)
        if after > newest or newest - after > REPLAY_LIMIT:
            # The client's id is from another stream, or too old to replay:
            # it reloads what it shows and continues from the newest event.
            self.last_sent = newest
            await self.send_json({"type": "reset", "last_id": newest})
            return
        self.last_sent = after
        await self._catch_up()

    async def _ping(self) -> None:
        """Keep the user online, say who else is, and sweep stale connections.

        Every open inbox pings, so connections a killed server left behind
        are noticed within a ping of going stale.
        """
        assert self.workspace_id is not None
        self.keeps_presence = True
        came_back = await database_sync_to_async(presence.refresh)(
            self.workspace_id, self.user.pk, self.channel_name
        )
        if came_back:
            await self._announce(self.user, online=True)
        for user in await database_sync_to_async(presence.sweep)(self.workspace_id):
            await self._announce(user, online=False)
        online = await database_sync_to_async(presence.online_user_ids)(
            self.workspace_id
        )
        await self.send_json({"type": "pong", "online": sorted(online)})

    async def _announce(self, user: User, online: bool) -> None:
        assert self.workspace_id is not None
        frame = {"type": "agent_presence", "user": _user_frame(user), "online": online}
        await self.channel_layer.group_send(
            workspace_group(self.workspace_id),
            {
                "type": "inbox.agent_presence",
                "frame": frame,
                "sender": self.channel_name,
                "about_me": user.pk == self.user.pk,
            },
        )

    async def _catch_up(self) -> None:
        """Send every stored event after the last one sent, in order."""
        assert self.workspace_id is not None and self.last_sent is not None
        while True:
            frames = await database_sync_to_async(events_after)(
                self.workspace_id, self.last_sent, REPLAY_BATCH
            )
            for frame in frames:
                await self.send_json(frame)
                self.last_sent = frame["id"]
            if len(frames) < REPLAY_BATCH:
                return

    async def _conversation_frame(self, kind: str, conversation_id: int) -> None:
        if kind == "leave":
            if conversation_id in self.joined:
                await self._leave(conversation_id)
            return
        if kind == "typing":
            if conversation_id not in self.joined:
                await self._error("not_joined", "Join the conversation first.")
                return
            frame = {
                "type": "typing",
                "conversation": conversation_id,
                "user": _user_frame(self.user),
            }
            await self.channel_layer.group_send(
                conversation_group(conversation_id),
                {"type": "inbox.typing", "sender": self.channel_name, "frame": frame},
            )
            return

        assert self.workspace_id is not None
        if conversation_id in self.joined:
            return
        if not await _in_workspace(conversation_id, self.workspace_id):
            # A conversation of another workspace reads like a missing one.
            await self._error("conversation_not_found", "No such conversation.")
            return
        self.joined.add(conversation_id)
        group = conversation_group(conversation_id)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.channel_layer.group_send(
            group, self._presence(conversation_id, "joined")
        )

    async def _leave(self, conversation_id: int) -> None:
        self.joined.discard(conversation_id)
        group = conversation_group(conversation_id)
        await self.channel_layer.group_send(
            group, self._presence(conversation_id, "left")
        )
        await self.channel_layer.group_discard(group, self.channel_name)

    def _presence(self, conversation_id: int, state: str) -> dict[str, Any]:
        frame = {
            "type": "presence",
            "conversation": conversation_id,
            "state": state,
            "user": _user_frame(self.user),
        }
        return {"type": "inbox.presence", "sender": self.channel_name, "frame": frame}

    async def _error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})


def _user_frame(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username}


@database_sync_to_async
def _inbox_workspace(user: User, session: Any) -> int | None:
    """The session's current workspace if the user may use its inbox."""
    context = resolve_for_session(user, session)
    if context is None or not context.allows(Role.AGENT):
        return None
    return context.workspace_id


@database_sync_to_async
def _in_workspace(conversation_id: int, workspace_id: int) -> bool:
    return (
        Conversation.objects.for_workspace(workspace_id)
        .filter(pk=conversation_id)
        .exists()
    )
