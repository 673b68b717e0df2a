"""Template variables for the editor's autocomplete, step by step."""

import copy

import pytest

from tests.factories import make_contact
from tests.messaging import opt_in
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node
from workflows.definition import NODE_KINDS, validate_graph
from workflows.engine.executor import claim_due_steps
from workflows.engine.runs import resolve_handoff, start_run
from workflows.models import Handoff, Run

pytestmark = pytest.mark.django_db

AGENT = {
    "goal": "Book a visit.",
    "outcomes": [
        {
            "name": "booked",
            "fields": [{"name": "visit_at", "type": "datetime", "required": True}],
        },
        {"name": "not_interested", "fields": [{"name": "reason"}]},
    ],
}
GRAPH = {
    "nodes": [
        node(
            "start",
            "trigger",
            type="webhook",
            field_map={
                "phone": "form.phone",
                "first_name": "form.name",
                "zip": "form.zip",
            },
            consent_field="form.ok",
        ),
        {
            **node(
                "score", "set_variables", assignments=[{"name": "score", "value": "1"}]
            ),
            "label": "Score",
        },
        node("ask", "agent_sms", **AGENT),
        node(
            "save", "crm_update", fields={"visit_at": "{{ steps.ask.fields.visit_at }}"}
        ),
        node(
            "lookup",
            "http_request",
            url="https://crm.test/",
            response_map={"tier": "a"},
        ),
        node("person", "human_handoff", outcomes=["done", "lost"]),
    ],
    "edges": [
        edge("start", "next", "score"),
        edge("score", "next", "ask"),
        edge("ask", "booked", "save"),
        edge("ask", "not_interested", "lookup"),
        edge("ask", "timeout", "person"),
        edge("ask", "handoff", "person"),
        edge("ask", "opted_out", None),
        edge("save", "next", None),
        edge("lookup", "success", None),
        edge("lookup", "failure", None),
        edge("person", "done", None),
        edge("person", "lost", None),
    ],
}


@pytest.fixture
def workflow(cast):
    make_contact(cast.workspace, custom_fields={"plan": "annual"})
    make_contact(cast.other, custom_fields={"secret": "x"})
    return make_workflow(cast.workspace, GRAPH["nodes"], GRAPH["edges"], publish=False)


def paths_at(client, workflow, node_id):
    response = client.get(f"/api/workflows/{workflow.pk}/variables/", {"node": node_id})
    assert response.status_code == 200, response.data
    return {entry["path"]: entry for entry in response.data}


def test_a_step_sees_the_contact_trigger_run_and_workspace(key_client, workflow):
    found = paths_at(key_client, workflow, "save")

    assert {
        "contact.first_name",
        "contact.phone",
        "contact.tags",
        "contact.fields.plan",
        "contact.fields.zip",
        "workspace.name",
        "run.id",
        "run.started_at",
        "trigger.form",
        "trigger.form.phone",
        "trigger.form.name",
        "trigger.form.ok",
    } <= set(found)
    assert "contact.fields.secret" not in found, "another workspace's field"
    assert not [path for path in found if path.startswith("trigger.message")]
    assert found["contact.first_name"] == {
        "path": "contact.first_name",
        "group": "Contact",
        "description": "First name.",
    }


def test_a_step_sees_the_steps_and_variables_before_it_only(key_client, workflow):
    found = paths_at(key_client, workflow, "save")

    steps = {path for path in found if path.startswith("steps.")}
    assert {
        "steps.start.port",
        "steps.score.vars",
        "steps.ask.outcome",
        "steps.ask.fields",
        "steps.ask.fields.visit_at",
        "steps.ask.fields.reason",
        "steps.ask.summary",
    } <= steps
    assert not [p for p in steps if p.split(".")[1] in ("save", "lookup", "person")]
    assert found["vars.score"]["description"] == "Set by 'Score'."
    assert "vars.tier" not in found
    assert found["steps.ask.outcome"]["description"].endswith(
        "One of: booked, not_interested."
    )
    assert found["steps.ask.fields.visit_at"]["group"] == "Step 'ask'"


def test_the_first_step_sees_no_steps_or_variables(key_client, workflow):
    found = paths_at(key_client, workflow, "start")

    assert not [p for p in found if p.startswith(("steps.", "vars."))]


def test_a_step_after_a_handoff_sees_its_outcomes(key_client, cast):
    graph = copy.deepcopy(GRAPH)
    graph["edges"][-2] = edge("person", "done", "save")
    workflow = make_workflow(
        cast.workspace, graph["nodes"], graph["edges"], publish=False
    )

    found = paths_at(key_client, workflow, "save")

    assert found["steps.person.outcome"]["description"].endswith("One of: done, lost.")
    assert "steps.person.resolved_by" in found


@pytest.mark.parametrize(
    ("node_id", "template_field"),
    [("save", "note"), ("lookup", "url"), ("person", "note")],
)
def test_every_path_offered_passes_the_publish_check(
    key_client, workflow, node_id, template_field
):
    offered = paths_at(key_client, workflow, node_id)

    for path in offered:
        graph = copy.deepcopy(GRAPH)
        target = next(n for n in graph["nodes"] if n["id"] == node_id)
        target["config"][template_field] = f"{{{{ {path} }}}}"
        problems = [p for p in validate_graph(graph) if p.node == node_id]
        assert problems == [], path


def test_each_kind_outputs_what_it_declares(
    cast, sender, fake_twilio, django_capture_on_commit_callbacks
):
    contact = make_contact(cast.workspace, phone="+12125550190")
    opt_in(contact)
    workflow = make_workflow(
        cast.workspace,
        [
            node("start", "trigger", type="manual"),
            node("score", "set_variables", assignments=[{"name": "n", "value": "1"}]),
            node(
                "check",
                "branch",
                conditions=[
                    {
                        "port": "high",
                        "when": {"var": "vars.n", "op": "eq", "value": "1"},
                    }
                ],
            ),
            node("text", "send_sms", body="Hi", purpose="conversation"),
            node("tag", "crm_update", add_tags=["x"], note="n", deal_stage="new"),
            node("pause", "wait", seconds=1),
            node("person", "human_handoff", outcomes=["done"]),
            node("done", "end", result="ok"),
        ],
        [
            edge("start", "next", "score"),
            edge("score", "next", "check"),
            edge("check", "high", "text"),
            edge("check", "else", None),
            edge("text", "sent", "tag"),
            edge("text", "blocked", "tag"),
            edge("tag", "next", "pause"),
            edge("pause", "next", "person"),
            edge("person", "done", "done"),
        ],
    )
    run = start_run(workflow, contact, {})
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    run.steps.filter(node_id="pause").update(due_at=run.started_at)
    claim_due_steps()
    run_queued_tasks()
    resolve_handoff(Handoff.objects.get(), "done")
    run_queued_tasks()

    run.refresh_from_db()
    assert run.status == Run.Status.COMPLETED
    assert {step.kind for step in run.steps.all()} == {
        "trigger",
        "set_variables",
        "branch",
        "send_sms",
        "crm_update",
        "wait",
        "human_handoff",
        "end",
    }
    for step in run.steps.all():
        declared = {key for key, _ in NODE_KINDS[step.kind].outputs}
        assert set(step.output) <= declared, step.kind


def test_an_unknown_step_is_not_found(key_client, workflow):
    missing = key_client.get(
        f"/api/workflows/{workflow.pk}/variables/", {"node": "nope"}
    )
    unnamed = key_client.get(f"/api/workflows/{workflow.pk}/variables/")

    assert missing.status_code == 404
    assert missing.data == {
        "code": "unknown_node",
        "detail": "The draft has no step 'nope'. Use the id of one of its steps.",
    }
    assert unnamed.status_code == 400
    assert unnamed.data["fields"] == {"node": ["Name the step: ?node=<step id>."]}


def test_agents_read_variables_and_outsiders_see_nothing(api, cast, workflow):
    url = f"/api/workflows/{workflow.pk}/variables/"
    api.force_login(cast.agent)
    as_agent = api.get(url, {"node": "save"})
    api.force_login(cast.outsider)
    as_outsider = api.get(url, {"node": "save"})

    assert as_agent.status_code == 200
    assert as_outsider.status_code == 404


def test_a_draft_with_problems_still_gets_an_answer(key_client, cast):
    graph = copy.deepcopy(GRAPH)
    graph["edges"] = graph["edges"][:3]  # Ports left unconnected.
    graph["nodes"].append({"kind": "end"})  # A step without an id.
    workflow = make_workflow(
        cast.workspace, graph["nodes"], graph["edges"], publish=False
    )

    found = paths_at(key_client, workflow, "save")

    assert "steps.ask.fields.visit_at" in found


def test_node_kinds_serve_their_outputs(key_client):
    response = key_client.get("/api/node-kinds/")

    assert response.data["agent_sms"]["outputs"]["outcome"] == (
        "The outcome the agent captured."
    )
    assert response.data["trigger"]["outputs"] == {}
