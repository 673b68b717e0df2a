import pytest
from rest_framework.test import APIClient

from thoughtflow.models import ApiKey

pytestmark = pytest.mark.django_db


def _bearer(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def test_admin_issues_key_shown_once_and_stored_hashed(api, cast):
    api.force_login(cast.admin)

    response = api.post("/api/api-keys/", {"name": "zapier", "role": "operator"})

    assert response.status_code == 201
    plaintext = response.data["key"]
    assert plaintext.startswith(f"tf_{response.data['prefix']}_")
    key = ApiKey.objects.get()
    assert plaintext not in (key.digest, key.prefix, key.name)
    listed = api.get(f"/api/api-keys/{key.pk}/")
    assert "key" not in listed.data


def test_key_authenticates_and_records_use(cast, contact):
    key, plaintext = ApiKey.issue(workspace=cast.workspace, name="ci")

    response = _bearer(plaintext).get("/api/contacts/")

    assert response.status_code == 200
    assert response.data["count"] == 1
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_revoked_key_is_refused(api, cast):
    key, plaintext = ApiKey.issue(workspace=cast.workspace, name="old")
    api.force_login(cast.admin)

    revoke = api.delete(f"/api/api-keys/{key.pk}/")
    response = _bearer(plaintext).get("/api/contacts/")

    assert revoke.status_code == 204
    assert response.status_code == 401
    assert "revoked" in response.data["detail"]
    assert ApiKey.objects.get().revoked_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer tf_nothere_secret", "Bearer garbage", "Bearer tf_", "Bearer "],
)
def test_malformed_or_unknown_key_is_refused(cast, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/contacts/")

    assert response.status_code == 401
    assert response.data["code"] == "authentication_failed"


def test_key_with_right_prefix_but_wrong_secret_is_refused(cast):
    _, plaintext = ApiKey.issue(workspace=cast.workspace, name="ci")
    forged = plaintext[:-4] + ("aaaa" if not plaintext.endswith("aaaa") else "bbbb")

    assert _bearer(forged).get("/api/contacts/").status_code == 401


def test_agent_key_cannot_write(cast):
    _, plaintext = ApiKey.issue(workspace=cast.workspace, name="ro", role="agent")

    response = _bearer(plaintext).post("/api/contacts/", {"phone": "+12125550100"})

    assert response.status_code == 403
    assert "operator role" in response.data["detail"]


def test_only_admins_manage_keys(api, cast):
    api.force_login(cast.operator)

    assert api.get("/api/api-keys/").status_code == 403
    assert api.post("/api/api-keys/", {"name": "x"}).status_code == 403


def test_api_key_cannot_switch_workspace(key_client, cast):
    response = key_client.post(f"/api/workspaces/{cast.workspace.pk}/switch/")

    assert response.status_code == 400
    assert response.data["code"] == "switch_needs_session"
