"""The websocket that tells a browser when a run it shows has changed."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from thoughtflow.models import Membership, User
from workflows.events import run_group
from workflows.models import Run

logger = logging.getLogger(__name__)

# Sent before the handshake is accepted, so the browser sees it refused.
FORBIDDEN = 4403


class RunConsumer(AsyncJsonWebsocketConsumer):
    """Forward `run.changed` hints of one run to a member of its workspace.

    The messages say only that the run changed; the page then refetches
    `GET /api/runs/<id>/`, which stays the truth.
    """

    group: str | None = None

    async def connect(self) -> None:
        run_id = self.scope["url_route"]["kwargs"]["run_id"]
        user = self.scope.get("user")
        if not isinstance(user, User) or not await _may_watch(user, run_id):
            logger.info("run watch refused run_id=%s", run_id)
            await self.close(code=FORBIDDEN)
            return

        self.group = run_group(run_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Nothing is read from the browser; the socket only pushes."""

    async def run_changed(self, message: dict[str, Any]) -> None:
        await self.send_json(message)


@database_sync_to_async
def _may_watch(user: User, run_id: int) -> bool:
    """The run exists in a workspace the user is a member of, in any role."""
    workspaces = Membership.objects.filter(user=user).values("workspace_id")
    return Run.objects.filter(pk=run_id, workspace_id__in=workspaces).exists()
