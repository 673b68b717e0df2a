"""Duplicating a workflow: a new, unpublished copy of its draft."""

import pytest

from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from workflows.models import Workflow

pytestmark = pytest.mark.django_db

NODES = [webhook_trigger(), node("done", "end", result="ok")]
EDGES = [edge("start", "next", "done")]


def test_duplicate_copies_the_draft_description_and_policy(key_client, cast):
    workflow = make_workflow(
        cast.workspace,
        NODES,
        EDGES,
        name="Quote chaser",
        description="Chases quotes.",
        active_run_policy=Workflow.ActiveRunPolicy.RESTART,
    )
    edited = {
        "nodes": [NODES[0], node("done", "end", result="edited")],
        "edges": EDGES,
    }
    Workflow.objects.filter(pk=workflow.pk).update(draft=edited)

    response = key_client.post(f"/api/workflows/{workflow.pk}/duplicate/")

    assert response.status_code == 201, response.data
    copy = Workflow.objects.get(pk=response.data["id"])
    assert copy.pk != workflow.pk
    assert copy.name == "Copy of Quote chaser"
    assert copy.description == "Chases quotes."
    assert copy.active_run_policy == Workflow.ActiveRunPolicy.RESTART
    assert copy.draft == edited
    assert copy.published_version is None
    assert copy.hook_token != workflow.hook_token
    assert response.data["published_version"] is None


def test_duplicate_of_an_archived_workflow_is_active(key_client, cast):
    workflow = make_workflow(
        cast.workspace, NODES, EDGES, status=Workflow.Status.ARCHIVED
    )

    response = key_client.post(f"/api/workflows/{workflow.pk}/duplicate/")

    assert response.data["status"] == "active"


def test_duplicate_keeps_a_long_name_within_the_limit(key_client, cast):
    workflow = make_workflow(cast.workspace, NODES, EDGES, name="x" * 120)

    response = key_client.post(f"/api/workflows/{workflow.pk}/duplicate/")

    assert response.data["name"] == ("Copy of " + "x" * 120)[:120]


def test_duplicate_is_for_operators_of_the_workspace(api, cast):
    workflow = make_workflow(cast.workspace, NODES, EDGES)
    url = f"/api/workflows/{workflow.pk}/duplicate/"

    api.force_login(cast.agent)
    agent = api.post(url)
    api.force_login(cast.outsider)
    outsider = api.post(url)

    assert agent.status_code == 403
    assert outsider.status_code == 404
    assert Workflow.objects.count() == 1
