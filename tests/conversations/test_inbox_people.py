"""The inbox's people: the workspace's members, who is online, its teams."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import presence
from conversations.models import AgentPresence, MessagingSettings, Team
from tests.factories import make_user
from thoughtflow.models import Membership, Role

pytestmark = pytest.mark.django_db

PEOPLE = "/api/inbox/people/"


def _go_online(workspace, user) -> None:
    presence.connect(workspace.pk, user.pk, f"inbox.{user.pk}.{workspace.pk}")


@pytest.fixture
def sales(cast):
    team = Team.objects.create(workspace=cast.workspace, name="sales")
    team.members.add(cast.operator, cast.agent)
    return team


def test_people_lists_members_by_name_with_who_is_online(api, cast, sales):
    cast.agent.first_name, cast.agent.last_name = "Agnes", "Zed"
    cast.agent.save()
    billing = Team.objects.create(workspace=cast.workspace, name="Billing")
    _go_online(cast.workspace, cast.agent)
    api.force_login(cast.operator)

    response = api.get(PEOPLE)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "me": cast.operator.pk,
        "round_robin": False,
        "members": [
            {
                "id": cast.admin.pk,
                "username": "ada",
                "name": "ada",
                "role": "admin",
                "online": False,
            },
            {
                "id": cast.agent.pk,
                "username": "agnes",
                "name": "Agnes Zed",
                "role": "agent",
                "online": True,
            },
            {
                "id": cast.operator.pk,
                "username": "otto",
                "name": "otto",
                "role": "operator",
                "online": False,
            },
        ],
        "teams": [
            {"id": billing.pk, "name": "Billing", "members": []},
            {
                "id": sales.pk,
                "name": "sales",
                "members": sorted([cast.operator.pk, cast.agent.pk]),
            },
        ],
    }


def test_people_says_whether_the_workspace_assigns_in_turn(api, cast):
    settings = MessagingSettings.for_workspace(cast.workspace)
    settings.round_robin_assignment = True
    settings.save()
    api.force_login(cast.agent)

    response = api.get(PEOPLE)

    assert response.json()["round_robin"] is True


def test_a_stale_connection_does_not_count_as_online(api, cast):
    _go_online(cast.workspace, cast.admin)
    seen = timezone.now() - datetime.timedelta(seconds=presence.ONLINE_WINDOW_S + 1)
    AgentPresence.objects.update(last_seen_at=seen)
    api.force_login(cast.agent)

    members = api.get(PEOPLE).json()["members"]

    assert [member["online"] for member in members] == [False, False, False]


def test_people_shows_only_the_workspace_of_the_request(api, cast, sales):
    # Oscar is online in Globex, and Globex has a team with him in it.
    _go_online(cast.other, cast.outsider)
    foreign = Team.objects.create(workspace=cast.other, name="Front desk")
    foreign.members.add(cast.outsider)
    # Agnes also belongs to Globex; her role there is not the one shown here.
    Membership.objects.create(workspace=cast.other, user=cast.agent, role=Role.ADMIN)
    api.force_login(cast.agent)

    ours = api.get(PEOPLE).json()
    api.force_login(cast.outsider)
    theirs = api.get(PEOPLE).json()

    assert [member["username"] for member in ours["members"]] == [
        "ada",
        "agnes",
        "otto",
    ]
    assert ours["members"][1]["role"] == "agent"
    assert [team["name"] for team in ours["teams"]] == ["sales"]
    assert [member["username"] for member in theirs["members"]] == ["agnes", "oscar"]
    assert [member["online"] for member in theirs["members"]] == [False, True]
    assert theirs["teams"] == [
        {"id": foreign.pk, "name": "Front desk", "members": [cast.outsider.pk]}
    ]


def test_people_leaves_out_accounts_that_cannot_sign_in(api, cast):
    make_user("gone", workspace=cast.workspace, is_active=False)
    api.force_login(cast.agent)

    members = api.get(PEOPLE).json()["members"]

    assert "gone" not in [member["username"] for member in members]


def test_an_api_key_is_nobody(key_client, cast):
    response = key_client.get(PEOPLE)

    assert response.status_code == 200, response.content
    assert response.json()["me"] is None
    assert len(response.json()["members"]) == 3


def test_strangers_get_no_people(api):
    anonymous = api.get(PEOPLE)
    api.force_login(make_user("nobody"))
    no_workspace = api.get(PEOPLE)

    assert anonymous.status_code == 401
    assert no_workspace.status_code == 403
    assert "not a member of any workspace" in no_workspace.json()["detail"]


def test_people_costs_the_same_queries_however_many_people(api, cast, sales):
    api.force_login(cast.agent)
    api.get(PEOPLE)  # The first request of a session also saves the session.
    with CaptureQueriesContext(connection) as few:
        api.get(PEOPLE)
    for n in range(5):
        user = make_user(f"extra{n}", workspace=cast.workspace)
        _go_online(cast.workspace, user)
        sales.members.add(user)
        Team.objects.create(workspace=cast.workspace, name=f"Team {n}")

    with CaptureQueriesContext(connection) as many:
        response = api.get(PEOPLE)

    assert len(response.json()["members"]) == 8
    assert len(many) == len(few)
