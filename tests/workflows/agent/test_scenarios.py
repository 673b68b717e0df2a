"""Test conversations of agent steps: the seeded ones, the command and the API."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import make_api_key
from tests.workflows.agent.flows import agent_workflow
from thoughtflow.models import Role
from workflows.agent.scenarios import run_test
from workflows.services import import_workflow

EXAMPLES = Path(__file__).resolve().parents[3] / "workflows" / "examples"


def _example_tests():
    for path in sorted(EXAMPLES.glob("*.json")):
        graph = json.loads(path.read_text())["graph"]
        for node in graph["nodes"]:
            for test in (
                node["config"].get("tests", []) if node["kind"] == "agent_sms" else []
            ):
                yield pytest.param(
                    node["id"], node["config"], test, id=f"{path.stem}: {test['name']}"
                )


EXAMPLE_TESTS = list(_example_tests())


def test_the_seeded_workflows_ship_at_least_twenty_tests():
    assert len(EXAMPLE_TESTS) >= 20


@pytest.mark.parametrize(("node_id", "config", "test"), EXAMPLE_TESTS)
def test_each_seeded_test_passes_with_the_offline_provider(node_id, config, test):
    result = run_test(node_id, config, test, workspace_name="Acme Home Services")
    transcript = "\n".join(f"{t['from']}: {t['text']}" for t in result.transcript)
    assert result.passed, f"{result.problems}\n{transcript}"
    assert result.model == "thoughtflow/offline"
    assert result.transcript[0]["from"] == "agent"


def _failing(workspace):
    return agent_workflow(
        workspace,
        tests=[
            {
                "name": "expects a confirmation",
                "replies": ["yes"],
                "expect_port": "rescheduled",
                "expect_fields": {"appointment_at": "2026-12-02T15:00:00-05:00"},
                "now": "2026-12-01T10:00:00-05:00",
            },
            {
                "name": "confirms",
                "replies": ["yes, confirmed"],
                "expect_port": "confirmed",
                "now": "2026-12-01T10:00:00-05:00",
            },
        ],
    )


@pytest.mark.django_db
def test_a_failing_test_says_why_and_shows_the_transcript(cast):
    workflow = _failing(cast.workspace)
    out = io.StringIO()

    with pytest.raises(SystemExit) as exit:
        call_command("test_agent", str(workflow.pk), stdout=out, no_color=True)

    assert exit.value.code == 1
    text = out.getvalue()
    assert "FAIL ask: expects a confirmation → confirmed" in text
    assert "Ended on 'confirmed', expected 'rescheduled'." in text
    assert "contact: yes" in text
    assert "PASS ask: confirms → confirmed" in text
    assert "1/2 tests passed (50%)." in text


@pytest.mark.django_db
def test_the_command_runs_the_seeded_workflows(cast):
    for path in sorted(EXAMPLES.glob("*.json")):
        import_workflow(cast.workspace, json.loads(path.read_text()))
    out = io.StringIO()

    call_command("test_agent", stdout=out, no_color=True)

    assert f"{len(EXAMPLE_TESTS)}/{len(EXAMPLE_TESTS)} tests passed (100%)." in (
        out.getvalue()
    )


@pytest.mark.django_db
def test_the_api_runs_a_workflows_tests(cast):
    workflow = _failing(cast.workspace)
    client = APIClient()
    _, key = make_api_key(cast.workspace, role=Role.OPERATOR)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    response = client.post(
        f"/api/workflows/{workflow.pk}/test-agents/", {}, format="json"
    )

    assert response.status_code == 200, response.data
    assert (response.data["passed"], response.data["failed"]) == (1, 1)
    failed = response.data["results"][0]
    assert failed["port"] == "confirmed"
    assert failed["transcript"][1] == {"from": "contact", "text": "yes"}


@pytest.mark.django_db
def test_the_api_keeps_tests_to_operators_of_the_workspace(cast):
    workflow = _failing(cast.workspace)
    url = f"/api/workflows/{workflow.pk}/test-agents/"
    agent = APIClient()
    agent.force_login(cast.agent)
    outsider = APIClient()
    outsider.force_login(cast.outsider)

    assert agent.post(url, {}, format="json").status_code == 403
    assert outsider.post(url, {}, format="json").status_code == 404
