"""A member of one workspace can neither read, change nor infer another's data."""

import pytest

from integrations.crm.models import Contact, Deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def outsider_api(api, cast):
    api.force_login(cast.outsider)
    return api


def test_contact_list_shows_only_own_workspace(outsider_api, contact, foreign_contact):
    response = outsider_api.get("/api/contacts/")

    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [foreign_contact.pk]


def test_contact_of_other_workspace_is_not_found(outsider_api, contact):
    url = f"/api/contacts/{contact.pk}/"

    responses = [
        outsider_api.get(url),
        outsider_api.patch(url, {"first_name": "Hacked"}, format="json"),
        outsider_api.put(url, {"phone": "+12125550111"}, format="json"),
        outsider_api.delete(url),
        outsider_api.get(f"{url}activities/"),
        outsider_api.post(f"{url}notes/", {"text": "hi"}, format="json"),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    # The answer is the same as for an id that never existed.
    assert responses[0].data == outsider_api.get("/api/contacts/999999/").data
    contact.refresh_from_db()
    assert contact.first_name == "Maya"
    assert contact.activities.count() == 1


def test_search_and_tag_filter_do_not_reach_other_workspace(outsider_api, cast):
    from tests.factories import make_contact

    make_contact(
        cast.workspace, first_name="Secret", phone="+12125550177", tags=["vip"]
    )

    by_name = outsider_api.get("/api/contacts/", {"search": "Secret"})
    by_phone = outsider_api.get("/api/contacts/", {"search": "5550177"})
    by_tag = outsider_api.get("/api/contacts/", {"tag": "vip"})

    assert by_name.data["count"] == by_phone.data["count"] == by_tag.data["count"] == 0


def test_same_phone_may_exist_in_both_workspaces(outsider_api, contact):
    """A duplicate error would reveal that the other workspace has the number."""
    response = outsider_api.post(
        "/api/contacts/", {"phone": contact.phone}, format="json"
    )

    assert response.status_code == 201
    assert Contact.objects.filter(phone=contact.phone).count() == 2


def test_deal_cannot_point_at_other_workspace_contact(outsider_api, contact):
    response = outsider_api.post(
        "/api/deals/", {"contact": contact.pk, "title": "Steal"}, format="json"
    )

    assert response.status_code == 400
    assert "contact" in response.data["fields"]
    assert not Deal.objects.exists()


def test_memberships_and_keys_are_scoped(outsider_api, cast):
    members = outsider_api.get("/api/memberships/")
    keys = outsider_api.get("/api/api-keys/")
    admin_membership = cast.admin.memberships.get()

    assert [m["username"] for m in members.data["results"]] == ["oscar"]
    assert keys.data["count"] == 0
    assert (
        outsider_api.get(f"/api/memberships/{admin_membership.pk}/").status_code == 404
    )
    assert (
        outsider_api.delete(f"/api/memberships/{admin_membership.pk}/").status_code
        == 404
    )


def test_workspace_list_shows_only_memberships(outsider_api, cast):
    response = outsider_api.get("/api/workspaces/")

    assert [w["name"] for w in response.data] == ["Globex"]
    assert outsider_api.get(f"/api/workspaces/{cast.workspace.pk}/").status_code == 404
    assert (
        outsider_api.post(f"/api/workspaces/{cast.workspace.pk}/switch/").status_code
        == 404
    )


def test_api_key_reaches_only_its_workspace(key_client, contact, foreign_contact):
    listed = key_client.get("/api/contacts/")
    foreign = key_client.get(f"/api/contacts/{foreign_contact.pk}/")

    assert [row["id"] for row in listed.data["results"]] == [contact.pk]
    assert foreign.status_code == 404


def test_user_without_membership_is_refused(api, db):
    from tests.factories import make_user

    api.force_login(make_user("loner"))

    response = api.get("/api/contacts/")

    assert response.status_code == 403
    assert "not a member of any workspace" in response.data["detail"]


def test_anonymous_request_is_refused(api, contact):
    response = api.get("/api/contacts/")

    assert response.status_code in (401, 403)
    assert response.data["code"] == "not_authenticated"
