"""Delivery latency of a new inbox message to 200 websocket clients.

Serves websockets as the README recommends for production (daphne,
PostgreSQL, the Redis channel layer) and connects 200 clients to
ws/inbox/, each signed in as its own agent of one workspace. Each resumes
after the newest event but one: that event's replay shows it is live.

Then inbound texts are processed one at a time, as a worker processes them
(`conversations.inbound.process_inbound`), and each client's latency is
measured from just before the processing starts to the text's
`message.created` event arriving. The next text goes once every client has
the last one.

The baseline, in the same run: 200 receivers on the channel layer itself
(channels_redis, as daphne holds it) and a `group_send` to all of them,
timed the same way. The ratio says what the inbox adds to the layer: the
database work of recording and numbering the event, and daphne and the
websocket on the way out.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/thoughtflow \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m bench.inbox

The benchmark uses its own database (the URL's name + "_bench") and Redis
prefix, and creates them if needed. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from typing import Any

# Locked already, with the twilio SDK; its websocket client serves here.
import aiohttp

from bench.common import (
    bench_database,
    daphne,
    free_port,
    production_env,
    setup_django,
    stop,
    wait_for_port,
)

SENDER_NUMBER = "+15005550009"
CONTACT_NUMBER = "+12125550142"
WARM_UP = 3  # rounds before the measured ones, not counted
ARRIVAL_TIMEOUT_S = 30


class Arrivals:
    """When each client received each tagged message."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.times: dict[str, list[float]] = defaultdict(list)
        self.complete: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def note(self, tag: str) -> None:
        self.times[tag].append(time.perf_counter())
        if len(self.times[tag]) == self.clients:
            self.complete[tag].set()

    async def wait(self, tag: str) -> None:
        try:
            await asyncio.wait_for(self.complete[tag].wait(), ARRIVAL_TIMEOUT_S)
        except TimeoutError:
            raise SystemExit(
                f"Only {len(self.times[tag])} of {self.clients} clients received "
                f"{tag} within {ARRIVAL_TIMEOUT_S}s: these figures are not valid."
            ) from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--gap-ms", type=int, default=50, help="pause between texts")
    args = parser.parse_args()

    database_url = bench_database(os.environ.get("DATABASE_URL", ""))
    port = free_port()
    env = production_env(database_url, port)
    setup_django(env)
    sender_id, cookies = prepare(args.clients)

    server = daphne("thoughtflow.asgi:application", port, env)
    try:
        wait_for_port(port)
        results = asyncio.run(measure(args, port, sender_id, cookies))
    finally:
        stop([server])
    report(args, results)


def prepare(clients: int) -> tuple[int, list[str]]:
    """Give the bench workspace a local number, one text, and signed-in agents.

    Returns the number's id and one session cookie per agent.
    """
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
    from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from integrations.twilio.models import CarrierAccount, Sender
    from thoughtflow.models import Membership, Role, User, Workspace
    from thoughtflow.tenancy import SESSION_KEY as WORKSPACE_SESSION_KEY

    workspace, _ = Workspace.objects.get_or_create(
        slug="bench-inbox", defaults={"name": "Bench inbox"}
    )
    sender = Sender.objects.filter(phone_number=SENDER_NUMBER).first()
    if sender is None:
        account = CarrierAccount.create_local(workspace.pk)
        sender = Sender.objects.create(
            workspace=workspace, account=account, phone_number=SENDER_NUMBER
        )
    # The clients resume after the newest event but one, so there must be one.
    process_text(sender.pk, "bench: first text")

    cookies = []
    for n in range(clients):
        user, created = User.objects.get_or_create(username=f"bench-agent-{n:03d}")
        if created:
            user.set_unusable_password()
            user.save()
        Membership.objects.get_or_create(
            user=user, workspace=workspace, defaults={"role": Role.AGENT}
        )
        # What logging in stores, without a password hash per agent.
        session = SessionStore()
        session[USER_SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[WORKSPACE_SESSION_KEY] = workspace.pk
        session.create()
        cookies.append(f"sessionid={session.session_key}")

    with connection.cursor() as cursor:
        # Nothing runs the tasks the texts queue; the next run starts clean.
        cursor.execute("DELETE FROM django_q_ormq")
    return sender.pk, cookies


def process_text(sender_id: int, body: str) -> float:
    """Receive one text as the webhook and a worker would.

    Returns the moment the worker's part, which records the inbox event,
    began.
    """
    from conversations.inbound import process_inbound, store_inbound
    from integrations.twilio.models import Sender

    sender = Sender.objects.get(pk=sender_id)
    sid = "SM" + secrets.token_hex(16)
    form = {
        "MessageSid": sid,
        "AccountSid": sender.account.account_sid,
        "From": CONTACT_NUMBER,
        "To": SENDER_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    webhook = store_inbound(
        workspace_id=sender.workspace_id, sender_id=sender.pk, form=form
    )
    assert webhook is not None
    started = time.perf_counter()
    process_inbound(webhook.pk)
    return started


async def measure(
    args: argparse.Namespace, port: int, sender_id: int, cookies: list[str]
) -> dict[str, Any]:
    from channels_redis.core import RedisChannelLayer
    from django.conf import settings

    # Groups outlive the processes of earlier runs: members left there would
    # each still get a copy of every event.
    await RedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"]).flush()
    results: dict[str, Any] = {}
    inbox = await measure_inbox(args, port, sender_id, cookies, results)
    raw = await measure_raw(args)
    results["inbox"], results["raw"] = inbox, raw
    return results


async def measure_inbox(
    args: argparse.Namespace,
    port: int,
    sender_id: int,
    cookies: list[str],
    results: dict[str, Any],
) -> list[list[float]]:
    from conversations.events import last_seq
    from integrations.twilio.models import Sender

    # One thread, like one worker process with its database connection.
    worker = ThreadPoolExecutor(1)
    loop = asyncio.get_running_loop()
    workspace_id = await loop.run_in_executor(
        worker, lambda: Sender.objects.get(pk=sender_id).workspace_id
    )
    newest = await loop.run_in_executor(worker, last_seq, workspace_id)

    arrivals = Arrivals(len(cookies))
    url = f"http://127.0.0.1:{port}/ws/inbox/"
    origin = f"http://127.0.0.1:{port}"
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        sockets = await asyncio.gather(
            *(resume(http, url, origin, cookie, newest - 1) for cookie in cookies)
        )
        results["connect_s"] = time.perf_counter() - started
        listeners = [asyncio.create_task(listen(ws, arrivals)) for ws in sockets]

        async def send(tag: str) -> float:
            return await loop.run_in_executor(worker, process_text, sender_id, tag)

        latencies = await rounds(send, arrivals, args)
        for task in listeners:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets))
    worker.shutdown()
    return latencies


async def resume(
    http: aiohttp.ClientSession, url: str, origin: str, cookie: str, after: int
) -> aiohttp.ClientWebSocketResponse:
    """Connect, resume after `after`, and wait for the one event replayed."""
    ws = await http.ws_connect(url, origin=origin, headers={"Cookie": cookie})
    await ws.send_json({"type": "resume", "after": after})
    frame = await ws.receive_json(timeout=ARRIVAL_TIMEOUT_S)
    if frame.get("type") != "event" or frame.get("id") != after + 1:
        raise SystemExit(f"The inbox answered a resume with {frame!r}.")
    return ws


async def listen(ws: aiohttp.ClientWebSocketResponse, arrivals: Arrivals) -> None:
    async for message in ws:
        if message.type != aiohttp.WSMsgType.TEXT:
            continue
        frame = json.loads(message.data)
        # A text also flags its conversation; only the message is timed.
        if frame.get("type") == "event" and frame.get("kind") == "message.created":
            arrivals.note(frame["payload"]["message"]["body"])


async def measure_raw(args: argparse.Namespace) -> list[list[float]]:
    """Time a group_send to as many channel-layer receivers as clients."""
    from channels_redis.core import RedisChannelLayer
    from django.conf import settings

    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    # Two layers, as the server and the worker each hold their own.
    receiving, sending = RedisChannelLayer(**config), RedisChannelLayer(**config)
    group = "bench.raw"
    arrivals = Arrivals(args.clients)
    channels = [await receiving.new_channel() for _ in range(args.clients)]
    for channel in channels:
        await receiving.group_add(group, channel)

    async def drain(channel: str) -> None:
        while True:
            message = await receiving.receive(channel)
            arrivals.note(message["tag"])

    async def send(tag: str) -> float:
        started = time.perf_counter()
        await sending.group_send(group, {"type": "bench.ping", "tag": tag})
        return started

    receivers = [asyncio.create_task(drain(channel)) for channel in channels]
    latencies = await rounds(send, arrivals, args)
    for task in receivers:
        task.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    await receiving.flush()
    return latencies


async def rounds(
    send: Callable[[str], Awaitable[float]],
    arrivals: Arrivals,
    args: argparse.Namespace,
) -> list[list[float]]:
    """Send tagged messages one at a time; each one's latencies, in ms.

    The warm-up messages are left out.
    """
    latencies = []
    for n in range(WARM_UP + args.messages):
        tag = f"bench: text {n} {secrets.token_hex(4)}"
        sent_at = await send(tag)
        await arrivals.wait(tag)
        if n >= WARM_UP:
            latencies.append([(t - sent_at) * 1000 for t in arrivals.times[tag]])
        await asyncio.sleep(args.gap_ms / 1000)
    return latencies


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(label: str, values: list[float]) -> tuple[float, float, float]:
        figures = statistics.median(values), pct(values, 0.99), max(values)
        print(f"{label:42}" + "".join(f"{figure:>8.1f}" for figure in figures))
        return figures

    print(
        f"\n{args.clients} clients of one workspace, {args.messages} messages "
        f"one at a time; daphne, channels-redis, PostgreSQL"
    )
    print(f"connecting and resuming all of them took {results['connect_s']:.2f}s\n")
    print(f"{'latency to each client (ms)':42}{'p50':>8}{'p99':>8}{'max':>8}")
    raw = row("raw channel layer: group_send", list(chain(*results["raw"])))
    inbox = row("inbox: inbound text to websocket", list(chain(*results["inbox"])))
    # The first client of each message shows what the worker and the push
    # take; the rest is the fan-out to the other clients.
    row("inbox: first client of each message", [min(m) for m in results["inbox"]])
    ratios = "".join(f"{i / r:>8.1f}" for i, r in zip(inbox, raw, strict=True))
    print(f"{'inbox / raw':42}{ratios}")


if __name__ == "__main__":
    main()
