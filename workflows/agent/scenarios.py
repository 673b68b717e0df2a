"""Test conversations of an agent node, run without texting anyone.

A test (in the node's `tests`) scripts the contact's replies and names the
port the conversation should end on, and the fields it should capture. It
runs through the same `think` and `decide` as a live step, with any model,
against a made-up contact held in memory: nothing is sent or stored.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from conversations.keywords import KeywordKind, classify
from workflows.agent.brief import brief_for
from workflows.agent.think import decide, think
from workflows.models import Workflow
from workflows.templates import TemplateError, render

DEFAULT_TEST_ZONE = "America/New_York"


@dataclass
class TestResult:
    node_id: str
    name: str
    passed: bool
    port: str
    expected_port: str
    captured: dict[str, Any]
    expected_fields: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    transcript: list[dict[str, str]] = field(default_factory=list)
    model: str = ""
    tokens: int = 0
    cost_usd: str = "0"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_workflow_tests(
    workflow: Workflow,
    *,
    model: str | None = None,
    node_id: str | None = None,
    graph: dict[str, Any] | None = None,
) -> list[TestResult]:
    """Run the tests of every agent node of `graph` (the draft by default)."""
    graph = graph if graph is not None else workflow.draft
    results = []
    for node in graph.get("nodes", []):
        if node.get("kind") != "agent_sms" or (node_id and node["id"] != node_id):
            continue
        for test in node.get("config", {}).get("tests") or []:
            results.append(
                run_test(
                    node["id"],
                    node["config"],
                    test,
                    workspace_name=workflow.workspace.name,
                    model=model,
                )
            )
    return results


def run_test(
    node_id: str,
    config: dict[str, Any],
    test: dict[str, Any],
    *,
    workspace_name: str,
    model: str | None = None,
) -> TestResult:
    if model:
        config = {**config, "model": model, "fallback_models": []}
    contact = _contact(test.get("contact") or {})
    now = _now(test.get("now"))
    ctx = {
        "contact": contact,
        "trigger": {},
        "steps": {},
        "vars": {},
        "run": {"id": 0, "started_at": now.isoformat()},
        "workspace": {"name": workspace_name},
    }
    history: list[dict[str, str]] = []
    transcript: list[dict[str, str]] = []
    tokens = 0
    cost = Decimal(0)
    used_model = ""
    port = ""
    output: dict[str, Any] = {}

    def say(role: str, text: str) -> None:
        history.append({"role": role, "content": text})
        transcript.append(
            {"from": "agent" if role == "assistant" else "contact", "text": text}
        )

    opening = (config.get("opening_message") or "").strip()
    replies = list(test["replies"])
    if opening:
        try:
            say("assistant", render(opening, ctx))
        except TemplateError as exc:
            return _result(
                node_id, test, "", {}, transcript, [f"Opening failed: {exc}"]
            )
    turns = 0
    pending_opening = not opening
    while pending_opening or replies:
        if not pending_opening:
            text = replies.pop(0)
            say("user", text)
            match = classify(text)
            if match is not None and match.kind == KeywordKind.OPT_OUT:
                port = "opted_out"
                break
        pending_opening = False
        brief = brief_for(config, ctx, now=now)
        turn = think(brief, history)
        turns += 1
        tokens += turn.prompt_tokens + turn.completion_tokens
        cost += turn.cost_usd
        used_model = turn.model or used_model
        if turn.failure is not None:
            port, output = "handoff", {"reason": str(turn.failure)}
            break
        contact.update(turn.contact_updates)
        if turn.reply:
            say("assistant", turn.reply)
        decision = decide(brief, turn)
        if decision is not None:
            port, output = decision.port, decision.output
            break
        if turns >= brief.max_turns:
            port, output = "handoff", {"reason": "The most replies were reached."}
            break
    else:
        port = "timeout"

    fields = output.get("fields") or {}
    problems = _compare(test, port, fields)
    result = _result(node_id, test, port, fields, transcript, problems)
    result.model = used_model or brief_for(config, ctx).models[0]
    result.tokens = tokens
    result.cost_usd = str(cost)
    return result


def _compare(test: dict[str, Any], port: str, fields: dict[str, Any]) -> list[str]:
    problems = []
    if port != test["expect_port"]:
        problems.append(f"Ended on '{port}', expected '{test['expect_port']}'.")
    for name, expected in (test.get("expect_fields") or {}).items():
        actual = fields.get(name)
        if not _same(actual, expected):
            problems.append(f"Field '{name}' is {actual!r}, expected {expected!r}.")
    return problems


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        moments = parse_datetime_or_none(actual), parse_datetime_or_none(expected)
        if all(moments):
            return moments[0] == moments[1]
        return actual.strip().casefold() == expected.strip().casefold()
    return actual == expected


def parse_datetime_or_none(text: str) -> datetime.datetime | None:
    try:
        moment = parse_datetime(text)
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _result(
    node_id: str,
    test: dict[str, Any],
    port: str,
    fields: dict[str, Any],
    transcript: list[dict[str, str]],
    problems: list[str],
) -> TestResult:
    return TestResult(
        node_id=node_id,
        name=test["name"],
        passed=not problems,
        port=port,
        expected_port=test["expect_port"],
        captured=fields,
        expected_fields=dict(test.get("expect_fields") or {}),
        problems=problems,
        transcript=transcript,
    )


def _contact(given: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": 0,
        "first_name": given.get("first_name", ""),
        "last_name": given.get("last_name", ""),
        "full_name": " ".join(
            part for part in (given.get("first_name"), given.get("last_name")) if part
        ),
        "email": given.get("email", ""),
        "phone": "",
        "time_zone": given.get("time_zone") or DEFAULT_TEST_ZONE,
        "tags": list(given.get("tags") or []),
        "fields": dict(given.get("fields") or {}),
    }


def _now(text: str | None) -> datetime.datetime:
    moment = parse_datetime_or_none(text) if text else None
    return moment or timezone.now()
