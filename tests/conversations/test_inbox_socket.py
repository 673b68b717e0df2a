"""The inbox websocket: who may connect, what each member hears, and replay
of missed events after a reconnect."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from conversations import consumers, events
from conversations.inbound import store_inbound
from conversations.models import Conversation, Event
from tests.factories import make_contact, make_user, make_workspace
from tests.messaging import inbound_form, make_local_sender
from tests.tasks import run_queued_tasks
from thoughtflow.asgi import application
from thoughtflow.models import Membership, Role
from thoughtflow.tenancy import SESSION_KEY

ORIGIN = b"http://127.0.0.1:8000"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]


class World:
    """Two workspaces: Acme with two agents and a conversation, Globex with one."""

    def __init__(self) -> None:
        self.acme = make_workspace("Acme")
        self.globex = make_workspace("Globex")
        self.agnes = make_user("agnes", workspace=self.acme, role=Role.AGENT)
        self.arno = make_user("arno", workspace=self.acme, role=Role.AGENT)
        self.oscar = make_user("oscar", workspace=self.globex, role=Role.ADMIN)
        self.conversation = _conversation(self.acme)
        self.foreign_conversation = _conversation(self.globex)


def _conversation(workspace):
    return Conversation.objects.create(
        workspace=workspace,
        contact=make_contact(workspace),
        sender=make_local_sender(workspace),
    )


@pytest.fixture
async def world(db_thread):
    return await database_sync_to_async(World)()


@database_sync_to_async
def session_cookie(user, workspace=None):
    client = Client()
    client.force_login(user)
    if workspace is not None:
        session = client.session
        session[SESSION_KEY] = workspace.pk
        session.save()
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(user=None, origin=ORIGIN, workspace=None):
    headers = [(b"origin", origin)]
    if user is not None:
        headers.append((b"cookie", await session_cookie(user, workspace)))
    communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def resume(user, after=0):
    communicator, connected = await connect(user)
    assert connected
    await communicator.send_json_to({"type": "resume", "after": after})
    return communicator


@database_sync_to_async
def record(workspace, text, conversation=None):
    """Commit one event; its numbering and push follow the commit."""
    return events.record(
        workspace.pk,
        Event.Kind.MESSAGE_CREATED,
        {"text": text},
        conversation_id=conversation.pk if conversation else None,
    )


async def received_ids(communicator, count):
    frames = [await communicator.receive_json_from(timeout=5) for _ in range(count)]
    assert all(frame["type"] == "event" for frame in frames), frames
    return [frame["id"] for frame in frames]


async def test_anonymous_visitors_are_refused(world):
    communicator, connected = await connect()

    assert not connected
    await communicator.disconnect()


async def test_pages_of_another_origin_are_refused(world):
    communicator, connected = await connect(world.agnes, origin=b"https://evil.test")

    assert not connected
    await communicator.disconnect()


async def test_users_without_a_workspace_are_refused(world):
    await database_sync_to_async(Membership.objects.filter(user=world.agnes).delete)()

    communicator, connected = await connect(world.agnes)

    assert not connected
    await communicator.disconnect()


async def test_a_member_never_hears_another_workspaces_events(world):
    agnes = await resume(world.agnes)
    oscar = await resume(world.oscar)

    await record(world.globex, "for Globex")
    await record(world.acme, "for Acme", world.conversation)

    [frame] = [await agnes.receive_json_from(timeout=5)]
    assert frame["id"] == 1
    assert frame["payload"] == {"text": "for Acme"}
    assert frame["conversation"] == world.conversation.pk
    assert await agnes.receive_nothing(timeout=0.2)
    assert (await oscar.receive_json_from(timeout=5))["payload"] == {
        "text": "for Globex"
    }
    assert await oscar.receive_nothing(timeout=0.2)
    await agnes.disconnect()
    await oscar.disconnect()


async def test_a_member_removed_since_connecting_is_cut_off_at_resume(world):
    communicator, connected = await connect(world.agnes)
    assert connected
    await database_sync_to_async(Membership.objects.filter(user=world.agnes).delete)()

    await communicator.send_json_to({"type": "resume", "after": 0})

    assert (await communicator.receive_output(timeout=5))["code"] == 4403
    await communicator.disconnect()


async def test_the_sessions_current_workspace_is_the_one_heard(world):
    await database_sync_to_async(Membership.objects.create)(
        user=world.agnes, workspace=world.globex, role=Role.AGENT
    )
    communicator, connected = await connect(world.agnes, workspace=world.globex)
    assert connected
    await communicator.send_json_to({"type": "resume", "after": 0})

    await record(world.acme, "for Acme")
    await record(world.globex, "for Globex")

    frame = await communicator.receive_json_from(timeout=5)
    assert frame["payload"] == {"text": "for Globex"}
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_nothing_is_sent_before_the_client_resumes(world):
    communicator, connected = await connect(world.agnes)
    assert connected

    await record(world.acme, "unasked")

    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_a_reconnecting_client_gets_exactly_the_events_it_missed(world):
    first = await resume(world.agnes)
    for text in ("one", "two", "three"):
        await record(world.acme, text)
    assert await received_ids(first, 3) == [1, 2, 3]
    await first.disconnect()

    await record(world.acme, "four")
    await record(world.acme, "five")
    again = await resume(world.agnes, after=3)

    frames = [await again.receive_json_from(timeout=5) for _ in range(2)]
    assert [(f["id"], f["payload"]["text"]) for f in frames] == [
        (4, "four"),
        (5, "five"),
    ]
    assert await again.receive_nothing(timeout=0.2)
    await record(world.acme, "six")
    assert await received_ids(again, 1) == [6]
    await again.disconnect()


@pytest.mark.parametrize("lands", ["before_the_read", "after_the_read"])
async def test_an_event_landing_during_replay_is_sent_once(world, monkeypatch, lands):
    for text in ("one", "two"):
        await record(world.acme, text)
    replay = consumers.events_after
    landed = []

    def events_after(workspace_id, after, limit):
        # A change commits, and its push is queued, while the replay reads.
        if not landed and lands == "before_the_read":
            landed.append(events.record(workspace_id, Event.Kind.MESSAGE_CREATED, {}))
        frames = replay(workspace_id, after, limit)
        if not landed:
            landed.append(events.record(workspace_id, Event.Kind.MESSAGE_CREATED, {}))
        return frames

    monkeypatch.setattr(consumers, "events_after", events_after)
    communicator = await resume(world.agnes)

    assert await received_ids(communicator, 3) == [1, 2, 3]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_a_push_overtaken_by_a_later_one_leaves_no_gap(world):
    communicator = await resume(world.agnes)
    await record(world.acme, "one")
    assert await received_ids(communicator, 1) == [1]

    # Two commits whose pushes arrive late and in reverse order.
    await database_sync_to_async(_commit_without_pushing)(world.acme, 2)
    second, third = await database_sync_to_async(events.number_pending)(world.acme.pk)
    await database_sync_to_async(events.push)(third)
    await database_sync_to_async(events.push)(second)

    assert await received_ids(communicator, 2) == [2, 3]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


def _commit_without_pushing(workspace, count):
    Event.objects.bulk_create(
        Event(workspace=workspace, kind=Event.Kind.MESSAGE_CREATED)
        for _ in range(count)
    )


async def test_a_client_too_far_behind_or_ahead_is_told_to_reload(world):
    await record(world.acme, "one")
    communicator = await resume(world.agnes, after=7)

    assert await communicator.receive_json_from(timeout=5) == {
        "type": "reset",
        "last_id": 1,
    }
    await record(world.acme, "two")
    assert await received_ids(communicator, 1) == [2]
    await communicator.disconnect()


async def test_typing_and_presence_reach_others_on_the_conversation_only(world):
    agnes = await resume(world.agnes)
    arno = await resume(world.arno)
    oscar = await resume(world.oscar)
    conversation = world.conversation.pk

    await agnes.send_json_to({"type": "join", "conversation": conversation})
    await arno.send_json_to({"type": "join", "conversation": conversation})
    await oscar.send_json_to({"type": "join", "conversation": conversation})
    joined = await agnes.receive_json_from(timeout=5)
    already_there = await arno.receive_json_from(timeout=5)
    refused = await oscar.receive_json_from(timeout=5)
    await agnes.send_json_to({"type": "typing", "conversation": conversation})
    typing = await arno.receive_json_from(timeout=5)

    assert joined == {
        "type": "presence",
        "conversation": conversation,
        "state": "joined",
        "user": {"id": world.arno.pk, "username": "arno"},
    }
    assert (already_there["state"], already_there["user"]["username"]) == (
        "here",
        "agnes",
    )
    assert refused["code"] == "conversation_not_found"
    assert typing == {
        "type": "typing",
        "conversation": conversation,
        "user": {"id": world.agnes.pk, "username": "agnes"},
    }
    assert await agnes.receive_nothing(timeout=0.2)
    assert await oscar.receive_nothing(timeout=0.2)
    assert not await database_sync_to_async(Event.objects.exists)()

    await arno.disconnect()
    left = await agnes.receive_json_from(timeout=5)
    assert (left["state"], left["user"]["username"]) == ("left", "arno")
    await agnes.disconnect()
    await oscar.disconnect()


async def test_typing_needs_a_joined_conversation(world):
    agnes = await resume(world.agnes)

    await agnes.send_json_to({"type": "typing", "conversation": world.conversation.pk})

    assert (await agnes.receive_json_from(timeout=5))["code"] == "not_joined"
    await agnes.disconnect()


async def test_a_frame_it_does_not_understand_is_answered_with_an_error(world):
    agnes = await resume(world.agnes)

    await agnes.send_json_to({"type": "resume", "after": "latest"})
    await agnes.send_json_to(["not", "an", "object"])

    assert (await agnes.receive_json_from(timeout=5))["code"] == "invalid_resume"
    assert (await agnes.receive_json_from(timeout=5))["code"] == "unknown_frame"
    await agnes.disconnect()


async def test_events_whose_push_never_came_arrive_all_the_same(world, settings):
    settings.INBOX_CATCH_UP_SECONDS = 0.1
    communicator = await resume(world.agnes)
    await record(world.acme, "one")
    assert await received_ids(communicator, 1) == [1]

    # Committed by a process whose pushes this server cannot hear: one
    # event numbered there, one left for whoever numbers next.
    await database_sync_to_async(_commit_without_pushing)(world.acme, 1)
    await database_sync_to_async(events.number_pending)(world.acme.pk)
    await database_sync_to_async(_commit_without_pushing)(world.acme, 1)

    assert await received_ids(communicator, 2) == [2, 3]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_text_arrives_as_the_characters_the_contact_typed(world):
    body = 'Call me <b>soon</b> & bring "the" <script>alert(1)</script>'
    communicator = await resume(world.agnes)

    await database_sync_to_async(_text_in)(world.conversation, body)

    frames = []
    while not any(f["kind"] == "message.created" for f in frames):
        frames.append(await communicator.receive_json_from(timeout=5))
    created = next(f for f in frames if f["kind"] == "message.created")
    assert created["payload"]["message"]["body"] == body
    await communicator.disconnect()


def _text_in(conversation, body):
    sender = conversation.sender
    store_inbound(
        workspace_id=conversation.workspace_id,
        sender_id=sender.pk,
        form=inbound_form(sender, conversation.contact.phone, body),
    )
    run_queued_tasks()
