"""A vendor model over the wire: litellm's OpenAI client against a local server.

Setting LLM_MODEL and the vendor's key is all it takes for the same
workflow to use the vendor; these tests check what goes over HTTP and how
timeouts and server errors are survived.
"""

import time

import pytest

from conversations.models import Message
from tests.openai_server import FakeOpenAI
from tests.workflows.agent.flows import agent_workflow
from workflows.agent import llm
from workflows.engine.runs import start_run
from workflows.models import AgentTurn

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor(settings, monkeypatch):
    with FakeOpenAI() as server:
        settings.LLM_MODEL = "openai/gpt-4o-mini"
        settings.LLM_FALLBACK_MODELS = []
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setattr(llm, "RETRY_PAUSE_S", 0)
        yield server


def test_the_workflow_uses_the_vendor_named_by_llm_model(
    cast, customer, clock, vendor, text_in, settle
):
    workflow = agent_workflow(cast.workspace)
    run = start_run(workflow, customer, {})
    settle()
    vendor.reply(
        "Moved to Thursday at 3pm. See you then!",
        [
            (
                "capture_outcome",
                {
                    "outcome": "rescheduled",
                    "fields": {"appointment_at": "2026-12-03T15:00:00-05:00"},
                    "confidence": 0.95,
                },
            )
        ],
    )
    text_in(customer, "Can we do Thursday at 3 instead?")

    path, headers, body = vendor.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == "Bearer sk-test-key"
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"][0]["role"] == "system"
    assert body["messages"][-1] == {
        "role": "user",
        "content": "Can we do Thursday at 3 instead?",
    }
    assert [tool["function"]["name"] for tool in body["tools"]] == [
        "capture_outcome",
        "request_handoff",
        "update_contact",
        "end_conversation",
    ]
    step = run.steps.get(node_id="ask")
    assert step.port == "rescheduled"
    assert step.output["fields"]["appointment_at"] == "2026-12-03T15:00:00-05:00"
    turn = AgentTurn.objects.get(step=step)
    assert (turn.prompt_tokens, turn.completion_tokens) == (120, 30)
    assert turn.cost_usd > 0
    assert Message.objects.filter(body__startswith="Moved to Thursday").exists()


def test_a_slow_vendor_times_out_and_the_fallback_answers(settings, vendor):
    from tests.workflows.agent.flows import agent_config
    from workflows.agent.brief import brief_for
    from workflows.agent.think import think

    settings.LLM_TIMEOUT_S = 1
    vendor.stall(3)
    vendor.stall(3)
    vendor.reply("Hello from the fallback.")
    brief = brief_for(
        agent_config(model="openai/gpt-4o-mini", fallback_models=["openai/gpt-4.1"]),
        {"contact": {"time_zone": "America/New_York"}},
    )

    started = time.monotonic()
    turn = think(brief, [{"role": "user", "content": "hi"}])
    elapsed = time.monotonic() - started

    assert turn.reply == "Hello from the fallback."
    assert turn.model == "openai/gpt-4.1"
    assert [f["model"] for f in turn.failures] == ["openai/gpt-4o-mini"] * 2
    assert "Timeout" in turn.failures[0]["error"]
    assert elapsed < 6, "each call gave up after its timeout"


def test_a_server_error_is_retried(vendor):
    from tests.workflows.agent.flows import agent_config
    from workflows.agent.brief import brief_for
    from workflows.agent.think import think

    vendor.fail(500, "overloaded")
    vendor.reply("Second time lucky.")
    brief = brief_for(agent_config(), {"contact": {}})
    turn = think(brief, [{"role": "user", "content": "hi"}])
    assert turn.reply == "Second time lucky."
    assert len(vendor.requests) == 2
