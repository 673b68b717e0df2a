"""Live run updates: who may watch a run, and what the watchers hear."""

import asyncio
import logging
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from tests.factories import make_contact, make_user, make_workspace
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node
from thoughtflow import layer as layers
from thoughtflow.asgi import application
from thoughtflow.layer import layer_loop
from thoughtflow.models import Role
from workflows.engine.runs import resolve_handoff, start_run
from workflows.events import RunChanged, run_group
from workflows.models import Handoff, Run

ORIGIN = b"http://127.0.0.1:8000"


def waiting_workflow(workspace):
    return make_workflow(
        workspace,
        [
            node("start", "trigger", type="manual"),
            node("human", "human_handoff", outcomes=["done"]),
        ],
        [edge("start", "next", "human"), edge("human", "done", None)],
    )


@database_sync_to_async
def a_waiting_run():
    """A run waiting for a person, its workspace's agent and an outsider."""
    workspace = make_workspace("Acme")
    agent = make_user("agnes", workspace=workspace, role=Role.AGENT)
    outsider = make_user("oscar", workspace=make_workspace("Globex"), role=Role.ADMIN)
    run = start_run(waiting_workflow(workspace), make_contact(workspace), {})
    run_queued_tasks()
    return run, agent, outsider


@database_sync_to_async
def session_cookie(user):
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def watch(run_id, cookie=None, origin=ORIGIN):
    headers = [(b"origin", origin)]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(
        application, f"/ws/runs/{run_id}/", headers=headers
    )
    connected, _ = await communicator.connect()
    return communicator, connected


@pytest.mark.django_db(transaction=True)
async def test_anonymous_visitors_are_refused(db_thread):
    run, _, _ = await a_waiting_run()

    communicator, connected = await watch(run.pk)

    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_members_of_another_workspace_are_refused(db_thread):
    run, _, outsider = await a_waiting_run()

    communicator, connected = await watch(run.pk, await session_cookie(outsider))

    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_pages_of_another_origin_are_refused(db_thread):
    run, agent, _ = await a_waiting_run()
    cookie = await session_cookie(agent)

    communicator, connected = await watch(run.pk, cookie, origin=b"https://evil.test")

    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_missing_run_is_refused_like_a_foreign_one(db_thread):
    run, agent, _ = await a_waiting_run()

    communicator, connected = await watch(run.pk + 1000, await session_cookie(agent))

    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_member_hears_once_when_a_step_of_the_run_advances(db_thread):
    run, agent, _ = await a_waiting_run()
    communicator, connected = await watch(run.pk, await session_cookie(agent))
    assert connected
    handoff = await database_sync_to_async(Handoff.objects.get)()

    await database_sync_to_async(resolve_handoff)(handoff, "done")
    message = await communicator.receive_json_from(timeout=5)

    step = await database_sync_to_async(lambda: run.steps.get(node_id="human"))()
    assert message == {
        "type": "run.changed",
        "run": run.pk,
        "step": step.pk,
        "node": "human",
        "status": "succeeded",
        "run_status": "completed",
    }
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


@pytest.mark.django_db
def test_one_transaction_sends_one_message_per_run(
    cast, contact, django_capture_on_commit_callbacks
):
    workflow = waiting_workflow(cast.workspace)

    with django_capture_on_commit_callbacks() as callbacks:
        run = start_run(workflow, contact, {})

    sent = [c for c in callbacks if isinstance(c, RunChanged)]
    assert len(sent) == 1
    trigger = run.steps.get()
    assert sent[0].message == {
        "type": "run.changed",
        "run": run.pk,
        "step": trigger.pk,
        "node": "start",
        "status": "pending",
        "run_status": "running",
    }


@pytest.mark.django_db
def test_saves_that_change_no_status_send_nothing(
    cast, contact, django_capture_on_commit_callbacks
):
    run = start_run(waiting_workflow(cast.workspace), contact, {})
    step = run.steps.get()

    with django_capture_on_commit_callbacks() as callbacks:
        step.due_at = None
        step.save(update_fields=["due_at"])
        Run.objects.get(pk=run.pk).save(update_fields=["context"])

    assert not [c for c in callbacks if isinstance(c, RunChanged)]


@pytest.mark.django_db
def test_a_failing_channel_layer_costs_the_engine_nothing(
    cast, contact, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    layer = get_channel_layer()

    async def broken(group, message):
        raise ConnectionError("channel layer down")

    monkeypatch.setattr(layer, "group_send", broken)

    with (
        caplog.at_level(logging.WARNING, logger="workflows.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = start_run(waiting_workflow(cast.workspace), contact, {})

    assert Run.objects.get(pk=run.pk).status == Run.Status.RUNNING
    assert f"run update not sent run_id={run.pk}" in caplog.text


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the Redis channel layer")
def test_sync_code_sends_through_one_lasting_event_loop():
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(run_group(7), channel)

    RunChanged(7)()
    loop = layer_loop()
    RunChanged(7)()

    assert layer_loop() is loop
    assert loop.loop in layer._layers
    for _ in range(2):
        assert async_to_sync(layer.receive)(channel)["run"] == 7
    async_to_sync(layer.group_discard)(run_group(7), channel)


def test_a_forked_process_starts_its_own_event_loop(monkeypatch):
    loop = layer_loop()

    monkeypatch.setattr(loop, "pid", -1)

    assert layer_loop() is not loop


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the Redis channel layer")
def test_a_stuck_send_times_out_and_is_cancelled(monkeypatch):
    monkeypatch.setattr(layers, "SEND_TIMEOUT_S", 0.05)
    cancelled = threading.Event()

    async def stuck():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError):
        layer_loop().run(stuck())

    assert cancelled.wait(timeout=5)
