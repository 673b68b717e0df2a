"""The builder's Django pages: who may open them, and what they mount."""

import json

import pytest

from workflows.models import Workflow


@pytest.fixture(autouse=True)
def built_frontend(settings, tmp_path):
    """A manifest naming the builder's entries, as `npm run build` writes it."""
    settings.BASE_DIR = tmp_path
    manifest = tmp_path / "frontend" / "dist" / ".vite" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        json.dumps(
            {
                f"src/pages/{page}/main.tsx": {
                    "file": f"assets/{page}-abc.js",
                    "isEntry": True,
                }
                for page in ("builder", "editor")
            }
        ),
        encoding="utf-8",
    )


def test_list_page_mounts_the_builder_entry(client, cast):
    client.force_login(cast.operator)

    response = client.get("/builder/")

    assert response.status_code == 200
    assert b'id="builder-root"' in response.content
    assert b"/static/frontend/assets/builder-abc.js" in response.content
    assert "csrftoken" in response.cookies


def test_pages_need_a_login(client, cast):
    workflow = Workflow.objects.create(workspace=cast.workspace, name="Test")

    for path in ("/builder/", f"/builder/{workflow.pk}/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_editor_mounts_the_workflow(client, cast):
    workflow = Workflow.objects.create(workspace=cast.workspace, name="Missed calls")
    client.force_login(cast.operator)

    response = client.get(f"/builder/{workflow.pk}/")

    assert response.status_code == 200
    assert f'data-workflow-id="{workflow.pk}"'.encode() in response.content
    assert b"Missed calls" in response.content
    assert b"/static/frontend/assets/editor-abc.js" in response.content


def test_editor_hides_another_workspaces_workflow(client, cast):
    theirs = Workflow.objects.create(workspace=cast.other, name="Globex secret plan")
    client.force_login(cast.operator)

    response = client.get(f"/builder/{theirs.pk}/")

    assert response.status_code == 404
    assert b"Globex secret plan" not in response.content
