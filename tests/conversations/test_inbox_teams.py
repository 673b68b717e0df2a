"""Teams in the inbox: the team a handoff names, assigning to a team, and
listing one team's conversations."""

import pytest

from conversations.models import Conversation, Event, Team
from tests.conversations.inbox import add_text, make_conversation
from tests.factories import make_contact
from tests.messaging import make_local_sender
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from thoughtflow.models import Membership
from workflows.engine.runs import start_run

pytestmark = pytest.mark.django_db

LIST = "/api/inbox/conversations/"


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


def _assign(api, conversation, data):
    return api.post(f"{LIST}{conversation.pk}/assign/", data, format="json")


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


def test_assign_to_a_team_alone_keeps_the_assignee(api, cast, conversation, sales):
    Conversation.objects.filter(pk=conversation.pk).update(assignee=cast.operator)
    api.force_login(cast.agent)

    response = _assign(api, conversation, {"team": sales.pk})

    assert response.status_code == 200, response.content
    assert response.json()["team"] == {"id": sales.pk, "name": "Sales"}
    assert response.json()["assignee"]["username"] == "otto"
    event = Event.objects.get(kind="conversation.updated")
    assert event.payload["change"] == "assigned"
    assert event.payload["conversation"]["team_id"] == sales.pk


def test_assign_a_person_outside_the_team_and_the_team_at_once(
    api, cast, conversation, sales
):
    api.force_login(cast.agent)

    both = _assign(api, conversation, {"user": cast.admin.pk, "team": sales.pk})
    neither = _assign(api, conversation, {"user": None, "team": None})

    assert both.json()["assignee"]["username"] == "ada"
    assert both.json()["team"]["name"] == "Sales"
    assert (neither.json()["assignee"], neither.json()["team"]) == (None, None)
    assert Event.objects.filter(kind="conversation.updated").count() == 2


def test_assign_refuses_a_team_of_another_workspace(
    api, cast, conversation, foreign_team
):
    api.force_login(cast.agent)

    response = _assign(
        api, conversation, {"user": cast.agent.pk, "team": foreign_team.pk}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_team"
    assert response.json()["detail"].startswith("That team is not in this workspace.")
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (None, None)
    assert not Event.objects.exists()


def test_assign_asks_for_a_user_or_a_team(api, cast, conversation):
    api.force_login(cast.agent)

    response = _assign(api, conversation, {})

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Name a user, a team, or both; null assigns nobody or no team."
    )


def test_rows_and_panel_show_the_team(api, cast, conversation, sales):
    Conversation.objects.filter(pk=conversation.pk).update(team=sales)
    api.force_login(cast.agent)

    rows = api.get(LIST).json()["results"]
    panel = api.get(f"{LIST}{conversation.pk}/").json()

    assert rows[0]["team"] == {"id": sales.pk, "name": "Sales"}
    assert panel["team"] == {"id": sales.pk, "name": "Sales"}


def test_the_list_narrows_to_one_team(api, cast, line, conversation, sales):
    theirs = make_conversation(make_contact(cast.workspace), line, team=sales)
    api.force_login(cast.agent)

    narrowed = api.get(LIST, {"team": sales.pk})
    everyone = api.get(LIST)
    bad = api.get(LIST, {"team": "sales"})

    assert [row["id"] for row in narrowed.json()["results"]] == [theirs.pk]
    assert len(everyone.json()["results"]) == 2
    assert bad.status_code == 400
    assert bad.json()["fields"]["team"] == ["Give an id, such as 3; got 'sales'."]


def test_someone_who_leaves_the_workspace_leaves_its_teams(cast, sales):
    other_team = Team.objects.create(workspace=cast.other, name="Sales")
    Membership.objects.create(workspace=cast.other, user=cast.agent)
    other_team.members.add(cast.agent)

    Membership.objects.get(workspace=cast.workspace, user=cast.agent).delete()

    assert list(sales.members.all()) == []
    assert list(other_team.members.all()) == [cast.agent]
