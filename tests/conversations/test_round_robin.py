"""Round-robin assignment: a conversation flagged for a person, with nobody
assigned, goes to the next person online in turn."""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from conversations import presence
from conversations.models import (
    AgentPresence,
    Conversation,
    Event,
    MessagingSettings,
    Team,
)
from conversations.state import flag_for_person
from tests.conversations.inbox import add_text, make_conversation
from tests.factories import make_contact, make_user
from tests.messaging import make_local_sender
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from thoughtflow.models import Membership
from workflows.engine.runs import start_run

pytestmark = pytest.mark.django_db


def _go_online(workspace, user) -> None:
    presence.connect(workspace.pk, user.pk, f"inbox.{user.pk}.{workspace.pk}")


def _turn_on(workspace) -> MessagingSettings:
    settings = MessagingSettings.for_workspace(workspace)
    settings.round_robin_assignment = True
    settings.save()
    return settings


def _flag(conversation: Conversation) -> int | None:
    """Flag the conversation for a person; return whom it went to."""
    flag_for_person(conversation.pk, conversation.workspace_id, "Needs a person.")
    conversation.refresh_from_db()
    return conversation.assignee_id


@pytest.fixture
def line(cast):
    return make_local_sender(cast.workspace)


@pytest.fixture
def new_conversation(cast, line):
    """A builder of conversations, each with its own contact."""

    def build(**fields) -> Conversation:
        contact = make_contact(cast.workspace)
        conversation = make_conversation(contact, line, **fields)
        add_text(conversation, "Can a person help me?")
        return conversation

    return build


@pytest.fixture
def everyone_online(cast):
    for user in (cast.admin, cast.operator, cast.agent):
        _go_online(cast.workspace, user)
    return sorted([cast.admin.pk, cast.operator.pk, cast.agent.pk])


def test_round_robin_is_off_by_default(cast, new_conversation, everyone_online):
    conversation = new_conversation()

    assignee = _flag(conversation)

    assert (
        MessagingSettings.for_workspace(cast.workspace).round_robin_assignment is False
    )
    assert assignee is None
    assert conversation.needs_attention


def test_flagged_conversations_go_to_each_person_online_in_turn(
    cast, new_conversation, everyone_online
):
    _turn_on(cast.workspace)

    assignees = [_flag(new_conversation()) for _ in range(4)]

    # By user id, and round again after the highest.
    assert assignees == [*everyone_online, everyone_online[0]]
    settings = MessagingSettings.for_workspace(cast.workspace)
    assert settings.rotation_last_user_id == everyone_online[0]


def test_the_turn_is_recorded_like_an_assignment_by_hand(
    cast, new_conversation, everyone_online
):
    _turn_on(cast.workspace)
    conversation = new_conversation()

    assignee = _flag(conversation)

    updates = Event.objects.filter(
        kind="conversation.updated", conversation_id=conversation.pk
    ).order_by("id")
    assert [event.payload["change"] for event in updates] == ["flagged", "assigned"]
    assert updates.last().payload["conversation"]["assignee_id"] == assignee


def test_the_turn_is_logged(cast, new_conversation, everyone_online, caplog):
    _turn_on(cast.workspace)
    conversation = new_conversation()

    with caplog.at_level("INFO", logger="conversations.state"):
        assignee = _flag(conversation)

    assert (
        f"conversation assigned in turn workspace_id={cast.workspace.pk} "
        f"conversation_id={conversation.pk} user_id={assignee} team_id=None"
    ) in caplog.messages


def test_people_offline_or_unable_to_sign_in_are_skipped(cast, new_conversation):
    _turn_on(cast.workspace)
    _go_online(cast.workspace, cast.agent)
    # Otto's inbox went quiet two minutes ago.
    _go_online(cast.workspace, cast.operator)
    AgentPresence.objects.filter(user=cast.operator).update(
        last_seen_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    # Ada has the inbox open, but her account was switched off meanwhile.
    _go_online(cast.workspace, cast.admin)
    cast.admin.is_active = False
    cast.admin.save()
    # Someone who left the workspace with a connection still recorded.
    leaver = make_user("lee", workspace=cast.workspace)
    _go_online(cast.workspace, leaver)
    Membership.objects.filter(user=leaver).delete()

    assignees = [_flag(new_conversation()) for _ in range(3)]

    assert assignees == [cast.agent.pk] * 3


def test_only_people_of_the_workspace_are_chosen(cast, new_conversation):
    _turn_on(cast.workspace)
    _go_online(cast.other, cast.outsider)

    assert _flag(new_conversation()) is None


def test_nobody_online_leaves_the_conversation_unassigned(cast, new_conversation):
    settings = _turn_on(cast.workspace)
    conversation = new_conversation()

    assignee = _flag(conversation)

    settings.refresh_from_db()
    assert assignee is None
    assert settings.rotation_last_user_id is None
    assert conversation.needs_attention
    assert not Event.objects.filter(payload__change="assigned").exists()


def test_a_conversation_someone_has_is_left_to_them(
    cast, new_conversation, everyone_online
):
    settings = _turn_on(cast.workspace)
    conversation = new_conversation(assignee=cast.operator)

    assignee = _flag(conversation)

    settings.refresh_from_db()
    assert assignee == cast.operator.pk
    assert settings.rotation_last_user_id is None


def test_a_team_conversation_goes_to_the_team_in_its_own_turn(
    cast, new_conversation, everyone_online
):
    _turn_on(cast.workspace)
    sales = Team.objects.create(workspace=cast.workspace, name="Sales")
    sales.members.add(cast.agent, cast.admin)
    outside_sales = make_user("ola", workspace=cast.workspace)
    _go_online(cast.workspace, outside_sales)

    for_sales = [_flag(new_conversation(team=sales)) for _ in range(3)]
    for_anyone = _flag(new_conversation())

    members = sorted([cast.agent.pk, cast.admin.pk])
    assert for_sales == [*members, members[0]]
    # The workspace's own rotation has not moved: it starts at the lowest id.
    assert for_anyone == everyone_online[0]
    sales.refresh_from_db()
    assert sales.rotation_last_user_id == members[0]


def test_a_team_with_nobody_online_leaves_it_unassigned(
    cast, new_conversation, everyone_online
):
    _turn_on(cast.workspace)
    night = Team.objects.create(workspace=cast.workspace, name="Night shift")
    night.members.add(make_user("nia", workspace=cast.workspace))

    assert _flag(new_conversation(team=night)) is None


def test_a_handoff_step_gives_the_conversation_to_its_team_in_turn(
    cast, new_conversation
):
    _turn_on(cast.workspace)
    sales = Team.objects.create(workspace=cast.workspace, name="Sales")
    sales.members.add(cast.operator)
    _go_online(cast.workspace, cast.operator)
    _go_online(cast.workspace, cast.agent)
    conversation = new_conversation()
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node("human", "human_handoff", outcomes=["done"], queue="sales"),
        ],
        [edge("start", "next", "human"), edge("human", "done", None)],
    )

    start_run(workflow, conversation.contact, {})
    run_queued_tasks()

    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (sales, cast.operator)


def test_turning_round_robin_on_is_a_messaging_setting(cast, client):
    client.force_login(cast.admin)
    settings = MessagingSettings.for_workspace(cast.workspace)
    url = f"/admin/conversations/messagingsettings/{settings.pk}/change/"

    page = client.get(url)

    assert page.status_code == 200
    assert b'name="round_robin_assignment"' in page.content
    assert b"rotation_last_user" not in page.content


@pytest.mark.django_db(transaction=True)
def test_two_handoffs_at_once_never_choose_by_the_same_turn(cast, line):
    """The second handoff waits on the settings row, then reads the turn the
    first one took."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; PostgreSQL shows the race.")
    _turn_on(cast.workspace)
    _go_online(cast.workspace, cast.agent)
    _go_online(cast.workspace, cast.operator)
    first, second = (
        make_conversation(make_contact(cast.workspace), line) for _ in range(2)
    )
    first_holds_its_turn = threading.Event()
    finished_at: dict[str, float] = {}

    def hand_off_first() -> None:
        try:
            with transaction.atomic():
                _flag(first)
                first_holds_its_turn.set()
                time.sleep(0.5)
            finished_at["first"] = time.monotonic()
        finally:
            first_holds_its_turn.set()
            connection.close()

    def hand_off_second() -> None:
        try:
            first_holds_its_turn.wait(timeout=10)
            _flag(second)
            finished_at["second"] = time.monotonic()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=hand_off_first),
        threading.Thread(target=hand_off_second),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    first.refresh_from_db()
    second.refresh_from_db()
    assert {first.assignee_id, second.assignee_id} == {cast.agent.pk, cast.operator.pk}
    assert finished_at["second"] >= finished_at["first"]
