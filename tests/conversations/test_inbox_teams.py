"""Teams in the inbox: the team a handoff names."""

import pytest

from conversations.models import Conversation, Event, Team
from tests.conversations.inbox import add_text, make_conversation
from tests.messaging import make_local_sender
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from thoughtflow.models import Membership
from workflows.engine.runs import start_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(cast):
    return make_local_sender(cast.workspace)


@pytest.fixture
def conversation(contact, line):
    conversation = make_conversation(contact, line)
    add_text(conversation, "Can a person help me?")
    return conversation


@pytest.fixture
def sales(cast):
    team = Team.objects.create(workspace=cast.workspace, name="Sales")
    team.members.add(cast.agent)
    return team


@pytest.fixture
def foreign_team(cast):
    return Team.objects.create(workspace=cast.other, name="Front desk")


def _hand_off(workspace, contact, queue: str) -> None:
    workflow = make_workflow(
        workspace,
        [
            webhook_trigger(),
            node("human", "human_handoff", outcomes=["done"], queue=queue),
        ],
        [edge("start", "next", "human"), edge("human", "done", None)],
    )
    start_run(workflow, contact, {})
    run_queued_tasks()


@pytest.mark.parametrize("queue", ["sales", "front_desk"])
def test_a_handoff_gives_the_conversation_to_the_team_its_queue_names(
    cast, contact, conversation, queue
):
    team = Team.objects.create(
        workspace=cast.workspace, name="Sales" if queue == "sales" else "Front Desk"
    )

    _hand_off(cast.workspace, contact, queue)

    conversation.refresh_from_db()
    assert (conversation.needs_attention, conversation.team) == (True, team)
    flagged = Event.objects.filter(kind="conversation.updated").last()
    assert flagged is not None
    assert flagged.payload["change"] == "flagged"
    assert flagged.payload["conversation"]["team_id"] == team.pk


def test_a_team_named_exactly_like_the_queue_comes_first(cast, contact, conversation):
    Team.objects.create(workspace=cast.workspace, name="front desk")
    exact = Team.objects.create(workspace=cast.workspace, name="Front_Desk")

    _hand_off(cast.workspace, contact, "front_desk")

    conversation.refresh_from_db()
    assert conversation.team == exact


def test_a_queue_without_a_team_leaves_the_team_as_it_was(
    cast, contact, conversation, sales, foreign_team
):
    Conversation.objects.filter(pk=conversation.pk).update(team=sales)

    _hand_off(cast.workspace, contact, "front_desk")

    conversation.refresh_from_db()
    assert (conversation.needs_attention, conversation.team) == (True, sales)


def test_someone_who_leaves_the_workspace_leaves_its_teams(cast, sales):
    other_team = Team.objects.create(workspace=cast.other, name="Sales")
    Membership.objects.create(workspace=cast.other, user=cast.agent)
    other_team.members.add(cast.agent)

    Membership.objects.get(workspace=cast.workspace, user=cast.agent).delete()

    assert list(sales.members.all()) == []
    assert list(other_team.members.all()) == [cast.agent]
