"""The inbox's Django page: who may open it, and what it tells the browser."""

import json

import pytest

from conversations import events
from conversations.models import Event
from tests.factories import make_user


@pytest.fixture(autouse=True)
def built_frontend(settings, tmp_path):
    """A manifest naming the inbox entry, as `npm run build` writes it."""
    settings.BASE_DIR = tmp_path
    manifest = tmp_path / "frontend" / "dist" / ".vite" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        json.dumps(
            {
                "src/pages/inbox/main.tsx": {
                    "file": "assets/inbox-abc.js",
                    "isEntry": True,
                }
            }
        ),
        encoding="utf-8",
    )


def record_events(workspace, count, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(count):
            events.record(workspace.pk, Event.Kind.CONVERSATION_UPDATED, {})


def test_an_agent_gets_the_page_with_the_newest_event_number(
    client, cast, django_capture_on_commit_callbacks
):
    record_events(cast.workspace, 3, django_capture_on_commit_callbacks)
    record_events(cast.other, 5, django_capture_on_commit_callbacks)
    client.force_login(cast.agent)

    response = client.get("/inbox/")

    assert response.status_code == 200
    assert b'data-last-event="3"' in response.content
    assert f'data-user-id="{cast.agent.pk}"'.encode() in response.content
    assert b"/static/frontend/assets/inbox-abc.js" in response.content
    assert "csrftoken" in response.cookies


def test_a_new_workspace_starts_from_event_zero(client, cast):
    client.force_login(cast.outsider)

    response = client.get("/inbox/")

    assert response.status_code == 200
    assert b'data-last-event="0"' in response.content


def test_someone_without_a_workspace_is_told_why_there_is_no_inbox(client, db):
    client.force_login(make_user("newcomer"))

    response = client.get("/inbox/")

    assert response.status_code == 403
    assert b"not a member of any workspace" in response.content
    assert b"inbox-root" not in response.content


def test_the_page_needs_a_login(client, db):
    response = client.get("/inbox/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
