"""`/healthz`: can this installation do its work right now?

Reports the database, the channel layer and the task broker (including
whether a worker is running). 200 when all are fine, 503 otherwise, with the
failing part named, so a load balancer and a person read the same answer.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker
from django_q.status import Stat

logger = logging.getLogger(__name__)

CHANNEL_LAYER_TIMEOUT_S = 2.0


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def check_channel_layer() -> dict[str, Any]:
    """Send a message to a private channel and read it back."""
    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "error": "No channel layer is configured."}

    async def round_trip() -> bool:
        channel = await layer.new_channel(prefix="healthz")
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz.ping", "token": token})
        message = await layer.receive(channel)
        return message.get("token") == token

    ok = async_to_sync(_with_timeout(round_trip))()
    return {"ok": ok, "backend": type(layer).__name__}


def check_task_broker() -> dict[str, Any]:
    """The queue must answer and at least one worker cluster must be alive."""
    broker = get_broker()
    queued = broker.queue_size()
    clusters = Stat.get_all(broker=broker)
    result: dict[str, Any] = {
        "ok": bool(clusters),
        "broker": broker.info(),
        "queued": queued,
        "workers": len(clusters),
    }
    if not clusters:
        result["error"] = (
            "No worker is running. Start one with `python manage.py worker`."
        )
    return result


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "task_broker": check_task_broker,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            results[name] = check()
        except Exception as exc:
            # The detail goes to the log; the public answer names only the kind.
            logger.warning(
                "health check failed check=%s error=%r", name, str(exc)[:200]
            )
            results[name] = {"ok": False, "error": type(exc).__name__}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)

    healthy = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )


def _with_timeout(coroutine_function: Callable[[], Any]) -> Callable[[], Any]:
    async def run() -> Any:
        return await asyncio.wait_for(coroutine_function(), CHANNEL_LAYER_TIMEOUT_S)

    return run
