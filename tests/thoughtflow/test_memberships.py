import pytest
from django.test import Client

from tests.factories import PASSWORD, make_user
from thoughtflow.models import Membership

pytestmark = pytest.mark.django_db


def test_admin_adds_existing_user_with_role(api, cast):
    make_user("newbie")
    api.force_login(cast.admin)

    response = api.post("/api/memberships/", {"username": "newbie", "role": "operator"})

    assert response.status_code == 201
    assert response.data["role"] == "operator"
    assert Membership.objects.get(user__username="newbie").workspace == cast.workspace


def test_adding_unknown_user_says_what_to_do(api, cast):
    api.force_login(cast.admin)

    response = api.post("/api/memberships/", {"username": "ghost"})

    assert response.status_code == 400
    assert (
        "No active account is called 'ghost'" in response.data["fields"]["username"][0]
    )


def test_last_admin_cannot_be_demoted_or_removed(api, cast):
    membership = cast.admin.memberships.get()
    api.force_login(cast.admin)

    demote = api.patch(f"/api/memberships/{membership.pk}/", {"role": "agent"})
    remove = api.delete(f"/api/memberships/{membership.pk}/")

    assert demote.status_code == remove.status_code == 409
    assert demote.data["code"] == "last_admin"
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_admin_can_step_down_once_another_admin_exists(api, cast):
    operator = cast.operator.memberships.get()
    admin = cast.admin.memberships.get()
    api.force_login(cast.admin)

    promote = api.patch(f"/api/memberships/{operator.pk}/", {"role": "admin"})
    step_down = api.patch(f"/api/memberships/{admin.pk}/", {"role": "operator"})

    assert promote.status_code == step_down.status_code == 200
    admin.refresh_from_db()
    assert admin.role == "operator"


def test_operator_can_list_but_not_change_members(api, cast):
    api.force_login(cast.operator)

    listed = api.get("/api/memberships/")
    changed = api.patch(
        f"/api/memberships/{cast.agent.memberships.get().pk}/", {"role": "admin"}
    )

    assert listed.data["count"] == 3
    assert changed.status_code == 403


def test_session_switches_between_own_workspaces(api, cast):
    Membership.objects.create(workspace=cast.other, user=cast.agent, role="operator")
    api.force_login(cast.agent)

    before = api.get("/api/workspaces/")
    switched = api.post(f"/api/workspaces/{cast.other.pk}/switch/")
    after = api.get("/api/contacts/")

    assert {w["name"]: w["is_current"] for w in before.data} == {
        "Acme": True,
        "Globex": False,
    }
    assert switched.data["role"] == "operator"
    assert after.status_code == 200
    assert api.post("/api/contacts/", {"phone": "+12125550123"}).status_code == 201


def test_removed_member_loses_access_at_once(cast):
    client = Client()
    client.login(username="agnes", password=PASSWORD)
    assert client.get("/api/contacts/").status_code == 200

    cast.agent.memberships.all().delete()

    assert client.get("/api/contacts/").status_code == 403


def test_switch_page_refuses_foreign_workspace(cast):
    client = Client()
    client.login(username="agnes", password=PASSWORD)

    response = client.post(
        "/workspace/switch/", {"workspace_id": cast.other.pk}, follow=True
    )

    assert b"not a member of that workspace" in response.content
    assert client.session["workspace_id"] == cast.workspace.pk
