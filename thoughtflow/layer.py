"""Sending to Channels groups from plain sync code: workers, views, signals.

Both live streams (run updates in workflows/events.py, the inbox in
conversations/events.py) send hints after a commit; the database stays the
truth, so callers log a failed send and carry on.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

SEND_TIMEOUT_S = 5


def send_to_groups(groups: Sequence[str], message: dict[str, Any]) -> None:
    """Send `message` to each of `groups`; raises what the layer raises."""
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, RedisChannelLayer):

        async def send_all() -> None:
            for group in groups:
                await layer.group_send(group, message)

        layer_loop().run(send_all())
    else:
        # The in-memory layer's queues belong to the loop of whoever
        # listens, which async_to_sync finds when there is one.
        for group in groups:
            async_to_sync(layer.group_send)(group, message)


class LayerLoop:
    """An event loop in a thread of its own, kept for the life of the process.

    The Redis channel layer keeps its connections per event loop, and
    `async_to_sync` called from plain sync code starts a new loop each time,
    so every message would connect to Redis anew (about 7 ms, on every
    step of every run). Sending through this loop reuses one connection.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self.loop.run_forever, name="channel-layer", daemon=True
        )
        thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout=SEND_TIMEOUT_S)
        except TimeoutError:
            # Don't leave a stuck send holding the loop's connection.
            future.cancel()
            raise


_layer_loop: LayerLoop | None = None
_layer_loop_lock = threading.Lock()


def layer_loop() -> LayerLoop:
    """This process's loop; a forked worker starts its own."""
    global _layer_loop
    with _layer_loop_lock:
        if _layer_loop is None or _layer_loop.pid != os.getpid():
            _layer_loop = LayerLoop()
        return _layer_loop
