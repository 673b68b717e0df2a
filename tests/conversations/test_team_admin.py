"""Workspace admins manage their teams in Django admin, and only theirs."""

import pytest
from django.test import Client

from conversations.models import Team
from tests.conversations.inbox import make_conversation
from tests.factories import PASSWORD, make_contact
from tests.messaging import make_local_sender
from thoughtflow.models import Membership, Role

pytestmark = pytest.mark.django_db

ADD = "/admin/conversations/team/add/"


@pytest.fixture
def line(cast):
    return make_local_sender(cast.workspace)


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_an_admin_creates_a_team_of_members(cast):
    response = _client("ada").post(
        ADD,
        {
            "workspace": cast.workspace.pk,
            "name": "Front desk",
            "members": [cast.agent.pk, cast.operator.pk],
        },
    )

    assert response.status_code == 302
    team = Team.objects.get()
    assert set(team.members.all()) == {cast.agent, cast.operator}


def test_members_of_a_team_must_belong_to_its_workspace(cast):
    # An admin of both workspaces is offered the people of both.
    Membership.objects.create(workspace=cast.other, user=cast.admin, role=Role.ADMIN)

    response = _client("ada").post(
        ADD,
        {
            "workspace": cast.workspace.pk,
            "name": "Night shift",
            "members": [cast.agent.pk, cast.outsider.pk],
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["members"] == [
        "Not members of Acme: oscar. Add them under Memberships first, or "
        "leave them out of the team."
    ]
    assert not Team.objects.exists()


def test_team_names_are_unique_per_workspace_whatever_the_case(cast):
    Team.objects.create(workspace=cast.workspace, name="Sales")
    Team.objects.create(workspace=cast.other, name="Support")

    clash = _client("ada").post(ADD, {"workspace": cast.workspace.pk, "name": "SALES"})
    elsewhere = _client("ada").post(
        ADD, {"workspace": cast.workspace.pk, "name": "support"}
    )

    assert clash.status_code == 200
    assert "already has a team of that name" in str(
        clash.context["adminform"].form.errors
    )
    assert elsewhere.status_code == 302


def test_another_workspaces_teams_and_people_stay_hidden(cast):
    sales = Team.objects.create(workspace=cast.workspace, name="Sales")
    sales.members.add(cast.agent)
    own = Team.objects.create(workspace=cast.other, name="Globex desk")
    oscar = _client("oscar")

    listed = oscar.get("/admin/conversations/team/")
    change = oscar.get(f"/admin/conversations/team/{sales.pk}/change/")
    add_form = oscar.get(ADD)
    refused = oscar.post(
        ADD,
        {"workspace": cast.workspace.pk, "name": "Sneaky", "members": [cast.agent.pk]},
    )

    assert list(listed.context["cl"].queryset) == [own]
    assert b"Sales" not in listed.content
    assert change.status_code == 302
    form = add_form.context["adminform"].form
    assert list(form.fields["workspace"].queryset) == [cast.other]
    assert list(form.fields["members"].queryset) == [cast.outsider]
    assert b"agnes" not in add_form.content
    assert refused.status_code == 200
    assert not Team.objects.filter(name="Sneaky").exists()


def test_a_team_stays_in_its_workspace(cast, line):
    # An admin of both workspaces could otherwise move the team, and Acme's
    # conversations with it.
    Membership.objects.create(workspace=cast.other, user=cast.admin, role=Role.ADMIN)
    sales = Team.objects.create(workspace=cast.workspace, name="Sales")
    make_conversation(make_contact(cast.workspace), line, team=sales)
    change = f"/admin/conversations/team/{sales.pk}/change/"

    moved = _client("ada").post(
        change, {"workspace": cast.other.pk, "name": "Sales", "members": []}
    )
    outsider_added = _client("ada").post(
        change, {"name": "Sales", "members": [cast.agent.pk, cast.outsider.pk]}
    )

    assert moved.status_code == 302
    sales.refresh_from_db()
    assert sales.workspace == cast.workspace
    assert outsider_added.status_code == 200
    assert outsider_added.context["adminform"].form.errors["members"] == [
        "Not members of Acme: oscar. Add them under Memberships first, or "
        "leave them out of the team."
    ]
    assert list(sales.members.all()) == []
