"""Who is online in the inbox: stored per connection, kept by pings, and
announced to the workspace when someone comes or goes."""

import datetime

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from conversations import presence
from conversations.events import workspace_group
from conversations.models import AgentPresence, Event
from tests.factories import make_user, make_workspace
from thoughtflow.asgi import application
from thoughtflow.models import Role

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]


class World:
    """Acme with two agents, Globex with one admin."""

    def __init__(self) -> None:
        self.acme = make_workspace("Acme")
        self.globex = make_workspace("Globex")
        self.agnes = make_user("agnes", workspace=self.acme, role=Role.AGENT)
        self.arno = make_user("arno", workspace=self.acme, role=Role.AGENT)
        self.oscar = make_user("oscar", workspace=self.globex, role=Role.ADMIN)


@pytest.fixture
async def world(db_thread):
    return await database_sync_to_async(World)()


@database_sync_to_async
def _cookie(user):
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(user):
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"cookie", await _cookie(user))]
    communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def ping(communicator):
    """Ping, and return the frames up to and including the pong."""
    await communicator.send_json_to({"type": "ping"})
    frames = [await communicator.receive_json_from(timeout=5)]
    while frames[-1]["type"] != "pong":
        frames.append(await communicator.receive_json_from(timeout=5))
    return frames


def presence_frame(user, online):
    return {
        "type": "agent_presence",
        "user": {"id": user.pk, "username": user.username},
        "online": online,
    }


online_ids = database_sync_to_async(presence.online_user_ids)


@database_sync_to_async
def age_connections(user, seconds):
    """Make the user's connections last seen `seconds` ago."""
    seen = timezone.now() - datetime.timedelta(seconds=seconds)
    AgentPresence.objects.filter(user=user).update(last_seen_at=seen)


async def test_a_ping_is_answered_with_who_is_online(world):
    agnes = await connect(world.agnes)
    arno = await connect(world.arno)

    frames = await ping(agnes)

    assert frames == [{"type": "pong", "online": [world.agnes.pk, world.arno.pk]}]
    await agnes.disconnect()
    await arno.disconnect()


async def test_coming_online_is_announced_to_the_workspace_only(world):
    agnes = await connect(world.agnes)
    oscar = await connect(world.oscar)
    await ping(agnes)
    await ping(oscar)

    arno = await connect(world.arno)

    assert await agnes.receive_json_from(timeout=5) == presence_frame(world.arno, True)
    assert await oscar.receive_nothing(timeout=0.2)
    assert await online_ids(world.acme.pk) == {world.agnes.pk, world.arno.pk}
    assert await online_ids(world.globex.pk) == {world.oscar.pk}
    assert not await database_sync_to_async(Event.objects.exists)()
    for communicator in (agnes, oscar, arno):
        await communicator.disconnect()


async def test_someone_is_offline_once_their_last_connection_closes(world):
    agnes = await connect(world.agnes)
    await ping(agnes)
    first_tab = await connect(world.arno)
    assert await agnes.receive_json_from(timeout=5) == presence_frame(world.arno, True)
    second_tab = await connect(world.arno)

    await first_tab.disconnect()
    assert await agnes.receive_nothing(timeout=0.2)
    assert world.arno.pk in await online_ids(world.acme.pk)
    await second_tab.disconnect()

    assert await agnes.receive_json_from(timeout=5) == presence_frame(world.arno, False)
    assert await online_ids(world.acme.pk) == {world.agnes.pk}
    assert not await database_sync_to_async(
        AgentPresence.objects.filter(user=world.arno).exists
    )()
    await agnes.disconnect()


async def test_a_connection_not_seen_for_90_seconds_stops_counting(world, caplog):
    agnes = await connect(world.agnes)
    await ping(agnes)
    arno = await connect(world.arno)
    await agnes.receive_json_from(timeout=5)

    # Arno's server process dies: his connection is never closed.
    await age_connections(world.arno, 89)
    still = await online_ids(world.acme.pk)
    await age_connections(world.arno, 91)
    gone = await online_ids(world.acme.pk)
    pong = await ping(agnes)

    assert world.arno.pk in still
    assert gone == {world.agnes.pk}
    # The ping that finds the stale connection announces it, after the pong.
    assert pong == [{"type": "pong", "online": [world.agnes.pk]}]
    assert await agnes.receive_json_from(timeout=5) == presence_frame(world.arno, False)
    assert (
        f"inbox connections gone stale workspace_id={world.acme.pk} users=1"
        in caplog.messages
    )
    assert not await database_sync_to_async(
        AgentPresence.objects.filter(user=world.arno).exists
    )()
    await agnes.disconnect()
    await arno.disconnect()


async def test_a_late_ping_brings_someone_back_online(world):
    agnes = await connect(world.agnes)
    await ping(agnes)
    arno = await connect(world.arno)
    await agnes.receive_json_from(timeout=5)
    await age_connections(world.arno, 120)
    await ping(agnes)
    assert await agnes.receive_json_from(timeout=5) == presence_frame(world.arno, False)

    await ping(arno)

    assert await agnes.receive_json_from(timeout=5) == presence_frame(world.arno, True)
    assert await online_ids(world.acme.pk) == {world.agnes.pk, world.arno.pk}
    await arno.disconnect()
    assert await agnes.receive_json_from(timeout=5) == presence_frame(world.arno, False)
    await agnes.disconnect()


async def test_a_client_that_never_pings_hears_no_presence(world):
    agnes = await connect(world.agnes)
    await agnes.send_json_to({"type": "resume", "after": 0})

    arno = await connect(world.arno)
    await arno.disconnect()

    assert await agnes.receive_nothing(timeout=0.2)
    await agnes.disconnect()


async def test_someone_removed_from_the_workspace_is_not_online_there(world):
    arno = await connect(world.arno)

    await database_sync_to_async(
        world.arno.memberships.filter(workspace=world.acme).delete
    )()

    assert await online_ids(world.acme.pk) == set()
    await arno.disconnect()


async def test_a_connection_is_not_told_of_its_own_arrival(world):
    agnes = await connect(world.agnes)
    await ping(agnes)
    channel = await database_sync_to_async(
        AgentPresence.objects.values_list("channel_name", flat=True).get
    )(user=world.agnes)

    # A channel layer such as Redis may deliver the announcement of her
    # arrival only after her first ping has been answered.
    await get_channel_layer().group_send(
        workspace_group(world.acme.pk),
        {
            "type": "inbox.agent_presence",
            "frame": presence_frame(world.agnes, True),
            "sender": channel,
            "about_me": True,
        },
    )

    assert await agnes.receive_nothing(timeout=0.2)
    await agnes.disconnect()
