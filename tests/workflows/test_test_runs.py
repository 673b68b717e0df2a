"""Test runs of the draft: outside the version history, beside live runs."""

import pytest

from tests.factories import make_contact
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node
from workflows.engine.runs import start_run
from workflows.models import Run, Workflow, WorkflowVersion

pytestmark = pytest.mark.django_db


def ending(result):
    return [
        node("start", "trigger", type="manual"),
        node("done", "end", result=result),
    ], [edge("start", "next", "done")]


def waiting():
    """A workflow whose runs wait for a person, so they stay active."""
    return [
        node("start", "trigger", type="manual"),
        node("human", "human_handoff", outcomes=["done"]),
    ], [edge("start", "next", "human"), edge("human", "done", None)]


def edit_draft(workflow, nodes, edges):
    Workflow.objects.filter(pk=workflow.pk).update(
        draft={"nodes": nodes, "edges": edges}
    )


def start_test(client, workflow, contact, **payload):
    return client.post(
        f"/api/workflows/{workflow.pk}/test-runs/",
        {"contact": contact.pk, **payload},
        format="json",
    )


def test_a_test_run_runs_the_draft_and_leaves_the_history_alone(
    key_client, cast, contact
):
    workflow = make_workflow(cast.workspace, *ending("published"))
    edit_draft(workflow, *ending("draft"))

    response = start_test(key_client, workflow, contact, payload={"form": {"a": 1}})
    run_queued_tasks()

    assert response.status_code == 201, response.data
    assert response.data["is_test"] is True
    assert response.data["version"] is None
    run = Run.objects.get(pk=response.data["id"])
    assert (run.status, run.result) == (Run.Status.COMPLETED, "draft")
    assert run.context["trigger"] == {"form": {"a": 1}}
    versions = key_client.get(f"/api/workflows/{workflow.pk}/versions/")
    assert [v["number"] for v in versions.data] == [1]
    workflow.refresh_from_db()
    assert workflow.published_version.number == 1
    assert not workflow.published_version.is_test


def test_triggers_keep_running_the_published_version(key_client, cast, contact):
    workflow = make_workflow(cast.workspace, *ending("published"))
    edit_draft(workflow, *ending("draft"))
    start_test(key_client, workflow, contact)

    live = key_client.post(
        f"/api/workflows/{workflow.pk}/start/", {"contact": contact.pk}, format="json"
    )
    run_queued_tasks()

    assert live.data["is_test"] is False
    assert live.data["version"] == 1
    assert Run.objects.get(pk=live.data["id"]).result == "published"


def test_test_runs_use_up_no_version_number(key_client, cast, contact):
    workflow = make_workflow(cast.workspace, *ending("draft"), publish=False)
    start_test(key_client, workflow, contact)

    published = key_client.post(f"/api/workflows/{workflow.pk}/publish/")
    rollback_to_test = key_client.post(
        f"/api/workflows/{workflow.pk}/rollback/", {"number": 2}
    )

    assert published.data["number"] == 1
    assert rollback_to_test.status_code == 404
    assert workflow.versions.filter(is_test=True).count() == 1


def test_an_invalid_draft_is_refused_with_every_problem(key_client, cast, contact):
    workflow = make_workflow(cast.workspace, [node("done", "end")], [], publish=False)

    response = start_test(key_client, workflow, contact)

    assert response.status_code == 400
    assert response.data["code"] == "invalid_workflow"
    assert response.data["detail"].startswith("Can't test: 1 problem(s) need fixing")
    assert [p["code"] for p in response.data["problems"]] == ["no_trigger"]
    assert set(response.data["problems"][0]) == {"code", "message", "node", "field"}
    assert not Run.objects.exists()
    assert not WorkflowVersion.objects.exists()


def test_the_test_version_is_reused_until_the_draft_changes(key_client, cast, contact):
    workflow = make_workflow(cast.workspace, *ending("one"), publish=False)

    first = start_test(key_client, workflow, contact)
    again = start_test(key_client, workflow, contact)
    edit_draft(workflow, *ending("two"))
    changed = start_test(key_client, workflow, contact)

    version_of = {
        run.pk: run.version_id
        for run in Run.objects.filter(
            pk__in=[first.data["id"], again.data["id"], changed.data["id"]]
        )
    }
    assert version_of[first.data["id"]] == version_of[again.data["id"]]
    assert version_of[changed.data["id"]] != version_of[first.data["id"]]
    assert WorkflowVersion.objects.filter(is_test=True).count() == 2


def test_a_new_test_run_cancels_the_contacts_earlier_test_run_only(
    key_client, cast, contact
):
    workflow = make_workflow(cast.workspace, *waiting())
    other = make_contact(cast.workspace, phone="+12125550180")
    live = start_run(workflow, contact, {"manual": {}})
    first = start_test(key_client, workflow, contact)
    elsewhere = start_test(key_client, workflow, other)
    run_queued_tasks()

    second = start_test(key_client, workflow, contact)
    run_queued_tasks()

    status = dict(Run.objects.values_list("pk", "status"))
    assert status[first.data["id"]] == Run.Status.CANCELLED
    assert Run.objects.get(pk=first.data["id"]).error == "Replaced by a new test run."
    assert status[second.data["id"]] == Run.Status.WAITING
    assert status[live.pk] == Run.Status.WAITING
    assert status[elsewhere.data["id"]] == Run.Status.WAITING


def test_test_runs_and_live_runs_ignore_each_other_under_the_policy(
    key_client, cast, contact
):
    workflow = make_workflow(
        cast.workspace, *waiting(), active_run_policy=Workflow.ActiveRunPolicy.SKIP
    )
    live = start_run(workflow, contact, {"manual": {}})
    run_queued_tasks()

    test = start_test(key_client, workflow, contact)
    second_live = start_run(workflow, contact, {"manual": {}})

    assert test.status_code == 201
    assert second_live is None, "the live run, not the test run, makes it skip"
    Run.objects.filter(pk=live.pk).update(status=Run.Status.COMPLETED)
    assert start_run(workflow, contact, {"manual": {}}) is not None


def test_a_finished_test_run_does_not_release_a_queued_live_run(
    key_client, cast, contact
):
    workflow = make_workflow(
        cast.workspace, *waiting(), active_run_policy=Workflow.ActiveRunPolicy.QUEUE
    )
    start_run(workflow, contact, {"manual": {}})
    queued = start_run(workflow, contact, {"manual": {}})
    first = start_test(key_client, workflow, contact)

    start_test(key_client, workflow, contact)

    queued.refresh_from_db()
    assert Run.objects.get(pk=first.data["id"]).status == Run.Status.CANCELLED
    assert queued.status == Run.Status.QUEUED


def test_runs_can_be_listed_by_test_or_live(key_client, cast, contact):
    workflow = make_workflow(cast.workspace, *ending("done"))
    live = start_run(workflow, contact, {"manual": {}})
    test = start_test(key_client, workflow, contact)

    tests = key_client.get("/api/runs/", {"test": "true"})
    lives = key_client.get("/api/runs/", {"test": "false"})
    both = key_client.get("/api/runs/")
    wrong = key_client.get("/api/runs/", {"test": "maybe"})

    assert [r["id"] for r in tests.data["results"]] == [test.data["id"]]
    assert [r["id"] for r in lives.data["results"]] == [live.pk]
    assert both.data["count"] == 2
    assert wrong.status_code == 400
    assert wrong.data["fields"] == {"test": ["Use true or false."]}


def test_test_runs_do_not_count_as_recent_runs(key_client, cast, contact):
    workflow = make_workflow(cast.workspace, *ending("done"))
    start_test(key_client, workflow, contact)

    detail = key_client.get("/api/workflows/", {"status": "active"})

    assert detail.data["results"][0]["runs_last_7_days"] == 0


def test_an_archived_workflow_is_not_tested(key_client, cast, contact):
    workflow = make_workflow(
        cast.workspace, *ending("done"), status=Workflow.Status.ARCHIVED
    )

    response = start_test(key_client, workflow, contact)

    assert response.status_code == 409
    assert response.data["code"] == "workflow_archived"


def test_test_runs_are_for_operators_of_the_workspace(
    api, key_client, cast, contact, foreign_contact
):
    workflow = make_workflow(cast.workspace, *ending("done"))
    api.force_login(cast.agent)
    as_agent = start_test(api, workflow, contact)
    api.force_login(cast.outsider)
    as_outsider = start_test(api, workflow, contact)

    foreign = start_test(key_client, workflow, foreign_contact)

    assert as_agent.status_code == 403
    assert as_outsider.status_code == 404
    assert foreign.status_code == 400
    assert "contact" in foreign.data["fields"]
    assert not Run.objects.exists()
