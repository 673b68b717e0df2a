"""The workflow API: drafts, validation, publishing, versions, runs, handoffs."""

import pytest

from tests.factories import make_contact
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from workflows.models import Handoff, Run, Workflow

pytestmark = pytest.mark.django_db

GRAPH = {
    "nodes": [webhook_trigger(), node("done", "end", result="ok")],
    "edges": [edge("start", "next", "done")],
}


def test_create_save_validate_and_publish(key_client):
    created = key_client.post(
        "/api/workflows/", {"name": "Form follow-up"}, format="json"
    )
    workflow_id, revision = created.data["id"], created.data["draft_revision"]

    saved = key_client.put(
        f"/api/workflows/{workflow_id}/draft/",
        {"graph": GRAPH, "revision": revision},
        format="json",
    )
    problems = key_client.post(f"/api/workflows/{workflow_id}/validate/")
    published = key_client.post(f"/api/workflows/{workflow_id}/publish/")
    detail = key_client.get(f"/api/workflows/{workflow_id}/")

    assert saved.status_code == 200
    assert problems.data == []
    assert published.status_code == 201
    assert published.data["number"] == 1
    assert detail.data["published_version"] == 1
    assert detail.data["hook_url"].endswith(
        f"/hooks/{Workflow.objects.get().hook_token}"
    )


def test_stale_draft_save_is_refused_with_a_way_forward(key_client, cast):
    workflow = make_workflow(
        cast.workspace, GRAPH["nodes"], GRAPH["edges"], publish=False
    )

    first = key_client.put(
        f"/api/workflows/{workflow.pk}/draft/",
        {"graph": GRAPH, "revision": 1},
        format="json",
    )
    second = key_client.put(
        f"/api/workflows/{workflow.pk}/draft/",
        {"graph": {"nodes": [], "edges": []}, "revision": 1},
        format="json",
    )

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.data["code"] == "stale_draft"
    assert "Reload to see their changes" in second.data["detail"]
    workflow.refresh_from_db()
    assert workflow.draft == GRAPH


def test_publishing_an_invalid_draft_lists_every_problem(key_client, cast):
    graph = {"nodes": [node("done", "end")], "edges": []}
    workflow = make_workflow(
        cast.workspace, graph["nodes"], graph["edges"], publish=False
    )

    response = key_client.post(f"/api/workflows/{workflow.pk}/publish/")

    assert response.status_code == 400
    assert response.data["code"] == "invalid_workflow"
    assert response.data["problems"]
    assert not workflow.versions.exists()


def test_an_agent_step_publishes(key_client, cast):
    agent = node(
        "ask",
        "agent_sms",
        goal="Book a callback",
        outcomes=[{"name": "booked", "fields": []}],
    )
    graph = {
        "nodes": [webhook_trigger(), agent],
        "edges": [edge("start", "next", "ask")]
        + [
            edge("ask", port, None)
            for port in ("booked", "timeout", "handoff", "opted_out")
        ],
    }
    workflow = make_workflow(
        cast.workspace, graph["nodes"], graph["edges"], publish=False
    )

    response = key_client.post(f"/api/workflows/{workflow.pk}/publish/")

    assert response.status_code == 201, response.data
    assert workflow.versions.get().graph["nodes"][1]["kind"] == "agent_sms"


def test_rollback_republishes_an_old_version(key_client, cast):
    workflow = make_workflow(cast.workspace, GRAPH["nodes"], GRAPH["edges"])
    graph = {**GRAPH, "nodes": [webhook_trigger(), node("done", "end", result="two")]}
    key_client.put(
        f"/api/workflows/{workflow.pk}/draft/",
        {"graph": graph, "revision": workflow.draft_revision},
        format="json",
    )
    key_client.post(f"/api/workflows/{workflow.pk}/publish/")

    response = key_client.post(f"/api/workflows/{workflow.pk}/rollback/", {"number": 1})
    versions = key_client.get(f"/api/workflows/{workflow.pk}/versions/")

    assert response.data["number"] == 3
    assert response.data["rolled_back_from"] == 1
    assert [v["number"] for v in versions.data] == [3, 2, 1]
    assert versions.data[0]["graph"] == GRAPH


def test_export_and_import_round_trip(key_client, cast):
    workflow = make_workflow(
        cast.workspace, GRAPH["nodes"], GRAPH["edges"], name="Quote chaser"
    )

    exported = key_client.get(f"/api/workflows/{workflow.pk}/export/")
    imported = key_client.post("/api/workflows/import/", exported.data, format="json")
    refused = key_client.post("/api/workflows/import/", {"nodes": []}, format="json")

    assert imported.status_code == 201
    assert imported.data["name"] == "Quote chaser"
    assert imported.data["draft"] == GRAPH
    assert imported.data["published_version"] is None
    assert refused.status_code == 400


def test_node_kind_schemas_are_served(key_client):
    response = key_client.get("/api/node-kinds/")

    assert response.status_code == 200
    assert {"trigger", "send_sms", "branch", "http_request", "end"} <= set(
        response.data
    )
    assert response.data["send_sms"]["schema"]["type"] == "object"


def test_runs_list_filters_and_detail_shows_steps(key_client, cast):
    workflow = make_workflow(cast.workspace, GRAPH["nodes"], GRAPH["edges"])
    contact = make_contact(
        cast.workspace, first_name="Ada", last_name="Byrne", phone="+12125550170"
    )
    key_client.post(f"/api/workflows/{workflow.pk}/start/", {"contact": contact.pk})
    run_queued_tasks()

    listed = key_client.get(
        "/api/runs/", {"workflow": workflow.pk, "status": "completed"}
    )
    detail = key_client.get(f"/api/runs/{listed.data['results'][0]['id']}/")

    assert listed.data["count"] == 1
    assert listed.data["results"][0]["contact_label"] == "Ada Byrne"
    assert [s["node_id"] for s in detail.data["steps"]] == ["start", "done"]


def test_handoff_resolve_through_the_api(api, cast):
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node("human", "human_handoff", outcomes=["booked", "lost"]),
        ],
        [
            edge("start", "next", "human"),
            edge("human", "booked", None),
            edge("human", "lost", None),
        ],
    )
    contact = make_contact(cast.workspace, phone="+12125550171")
    api.force_login(cast.operator)
    api.post(f"/api/workflows/{workflow.pk}/start/", {"contact": contact.pk})
    run_queued_tasks()
    api.force_login(cast.agent)
    handoff = Handoff.objects.get()

    wrong = api.post(f"/api/handoffs/{handoff.pk}/resolve/", {"outcome": "maybe"})
    right = api.post(f"/api/handoffs/{handoff.pk}/resolve/", {"outcome": "booked"})
    again = api.post(f"/api/handoffs/{handoff.pk}/resolve/", {"outcome": "lost"})
    run_queued_tasks()

    assert wrong.status_code == 400
    assert "Choose one of: booked, lost" in wrong.data["detail"]
    assert right.data["status"] == "resolved"
    assert again.status_code == 409
    assert Run.objects.get().status == Run.Status.COMPLETED


def test_outsider_sees_no_workflows_runs_or_handoffs(api, cast):
    workflow = make_workflow(cast.workspace, GRAPH["nodes"], GRAPH["edges"])
    api.force_login(cast.outsider)

    assert api.get("/api/workflows/").data["count"] == 0
    assert api.get(f"/api/workflows/{workflow.pk}/").status_code == 404
    assert api.post(f"/api/workflows/{workflow.pk}/publish/").status_code == 404
    assert api.get("/api/runs/").data["count"] == 0
