import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from workflows.definition import (
    NODE_KINDS,
    NODE_RETRY_SCHEMA,
    PROBLEM_CODES,
    Problem,
    kind_schemas,
    ports_of,
    templates_of,
    validate_graph,
)

FORMAT_DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow-format.md"

Graph = dict[str, Any]


def missed_call_recovery() -> Graph:
    """A missed call opens a text conversation; each outcome has its path."""
    return {
        "nodes": [
            {
                "id": "start",
                "kind": "trigger",
                "label": "Missed call",
                "config": {"type": "missed_call"},
                "position": {"x": 0, "y": 0},
            },
            {
                "id": "ask",
                "kind": "agent_sms",
                "label": "Ask what they need",
                "config": {
                    "goal": "Find out why the contact called; book a visit if wanted.",
                    "opening_message": (
                        "Hi {{ contact.first_name | default('there') }}, sorry we "
                        "missed your call at {{ workspace.name }}! How can we help?"
                    ),
                    "outcomes": [
                        {
                            "name": "booked",
                            "description": "The contact agreed to a visit time.",
                            "fields": [
                                {"name": "visit_at", "type": "datetime"},
                            ],
                        },
                        {"name": "wants_human"},
                        {"name": "not_interested"},
                    ],
                    "reminders": [
                        {"after_s": 14400, "body": "Still there? Just reply here."}
                    ],
                },
                "position": {"x": 0, "y": 140},
            },
            {
                "id": "save_booking",
                "kind": "crm_update",
                "label": "Record booking",
                "config": {
                    "add_tags": ["booked"],
                    "deal_stage": "won",
                    "note": "Booked by text after a {{ trigger.call.status }} call.",
                },
            },
            {
                "id": "confirm",
                "kind": "send_sms",
                "label": "Confirm",
                "config": {"body": "You're booked, {{ contact.first_name }}!"},
            },
            {
                "id": "front_desk",
                "kind": "human_handoff",
                "label": "Front desk",
                "config": {
                    "note": "The agent's outcome was {{ steps.ask.outcome }}.",
                    "outcomes": ["resolved", "no_answer"],
                },
                "retry": {"max_attempts": 3, "backoff_s": 30},
            },
            {
                "id": "mark_lost",
                "kind": "crm_update",
                "label": "Mark not interested",
                "config": {"add_tags": ["not_interested"], "deal_stage": "lost"},
            },
            {
                "id": "vip",
                "kind": "branch",
                "label": "VIP?",
                "config": {
                    "conditions": [
                        {
                            "port": "vip",
                            "when": {
                                "var": "contact.tags",
                                "op": "contains",
                                "value": "vip",
                            },
                        }
                    ]
                },
            },
            {
                "id": "done",
                "kind": "end",
                "label": "Done",
                "config": {"result": "handled"},
            },
        ],
        "edges": [
            {"source": "start", "port": "next", "target": "ask"},
            {"source": "ask", "port": "booked", "target": "save_booking"},
            {"source": "ask", "port": "wants_human", "target": "front_desk"},
            {"source": "ask", "port": "not_interested", "target": "mark_lost"},
            {"source": "ask", "port": "timeout", "target": "vip"},
            {"source": "ask", "port": "handoff", "target": "front_desk"},
            {"source": "ask", "port": "opted_out", "target": None},
            {"source": "save_booking", "port": "next", "target": "confirm"},
            {"source": "confirm", "port": "sent", "target": "done"},
            {"source": "confirm", "port": "blocked", "target": "done"},
            {"source": "front_desk", "port": "resolved", "target": "done"},
            {"source": "front_desk", "port": "no_answer", "target": None},
            {"source": "mark_lost", "port": "next", "target": "done"},
            {"source": "vip", "port": "vip", "target": "front_desk"},
            {"source": "vip", "port": "else", "target": None},
        ],
    }


def chain(*steps: dict[str, Any]) -> Graph:
    """A manual trigger, then `steps` in order, each port leading to the next."""
    nodes = [{"id": "start", "kind": "trigger", "config": {"type": "manual"}}, *steps]
    edges = [
        {"source": node["id"], "port": port, "target": after["id"] if after else None}
        for node, after in zip(nodes, [*nodes[1:], None], strict=True)
        for port in ports_of(node)
    ]
    return {"nodes": nodes, "edges": edges}


def node(graph: Graph, node_id: str) -> dict[str, Any]:
    return next(n for n in graph["nodes"] if n["id"] == node_id)


def edge(graph: Graph, source: str, port: str) -> dict[str, Any]:
    return next(e for e in graph["edges"] if (e["source"], e["port"]) == (source, port))


def where(problems: list[Problem]) -> list[tuple[str, str | None, str | None]]:
    return [(problem.code, problem.node, problem.field) for problem in problems]


def documented_example() -> Graph:
    """The first JSON block of docs/workflow-format.md."""
    text = FORMAT_DOC.read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)\n```", text, re.DOTALL)
    assert block is not None
    return json.loads(block.group(1))


# Valid graphs ---------------------------------------------------------------


def test_missed_call_recovery_has_no_problems() -> None:
    problems = validate_graph(missed_call_recovery())

    assert problems == []


def test_documented_example_has_no_problems() -> None:
    problems = validate_graph(documented_example())

    assert problems == []


def test_every_kind_in_one_chain_has_no_problems() -> None:
    graph = chain(
        {
            "id": "vars",
            "kind": "set_variables",
            "config": {
                "assignments": [
                    {"name": "greeting", "value": "Hi {{ contact.first_name }}"}
                ]
            },
        },
        {
            "id": "lookup",
            "kind": "http_request",
            "config": {
                "method": "POST",
                "url": "https://crm.example.com/score",
                "headers": {"Authorization": "Bearer {{ vars.greeting }}"},
                "body": '{"phone": {{ contact.phone | tojson }}}',
                "response_map": {"score": "data.score"},
            },
        },
        {
            "id": "hot",
            "kind": "branch",
            "config": {
                "conditions": [
                    {
                        "port": "hot",
                        "when": {"var": "vars.score", "op": "gte", "value": 80},
                    },
                    {
                        "port": "known",
                        "when": {"var": "steps.lookup.status", "op": "exists"},
                    },
                ]
            },
        },
        {
            "id": "pause",
            "kind": "wait",
            "config": {
                "mode": "business_hours",
                "timezone": "America/Chicago",
                "days": [0, 2, 4],
            },
        },
        {
            "id": "later",
            "kind": "wait",
            "config": {"mode": "until", "until": "{{ trigger.form.appointment_at }}"},
        },
        {
            "id": "text",
            "kind": "send_sms",
            "config": {"body": "{{ vars.greeting }}, your score is {{ vars.score }}."},
        },
        {
            "id": "chat",
            "kind": "agent_sms",
            "config": {
                "goal": "Qualify the lead.",
                "outcomes": [
                    {
                        "name": "qualified",
                        "fields": [
                            {
                                "name": "budget",
                                "type": "enum",
                                "values": ["low", "high"],
                            },
                        ],
                    }
                ],
                "handoff": {"review_outcomes": ["qualified"]},
            },
        },
        {
            "id": "note",
            "kind": "crm_update",
            "config": {
                "fields": {
                    "first_name": "{{ contact.first_name | title }}",
                    "plan": "pro",
                },
                "note": "Outcome: {{ steps.chat.outcome }}",
            },
        },
        {"id": "person", "kind": "human_handoff", "config": {"outcomes": ["done"]}},
        {"id": "end", "kind": "end", "config": {}},
    )

    problems = validate_graph(graph)

    assert problems == []


def test_self_loop_on_a_waiting_step_is_allowed() -> None:
    graph = missed_call_recovery()
    edge(graph, "front_desk", "no_answer")["target"] = "front_desk"

    problems = validate_graph(graph)

    assert problems == []


def test_loop_through_a_conversation_is_allowed() -> None:
    graph = missed_call_recovery()
    edge(graph, "vip", "else")["target"] = "ask"

    problems = validate_graph(graph)

    assert problems == []


def test_step_may_read_its_own_output_on_a_loop() -> None:
    graph = missed_call_recovery()
    edge(graph, "vip", "else")["target"] = "ask"
    node(graph, "ask")["config"]["opening_message"] = (
        "Last time: {{ steps.ask.outcome }}"
    )

    problems = validate_graph(graph)

    assert problems == []


@pytest.mark.parametrize(
    "config",
    [
        {"type": "webhook", "field_map": {"phone": "form.phone"}, "secret": "s3cret"},
        {"type": "inbound_sms", "keyword": "JOIN"},
        {"type": "inbound_sms", "keyword": None},
        {"type": "contact_tagged", "tag": "vip"},
        {"type": "contact_created"},
        {"type": "manual"},
    ],
)
def test_each_trigger_type_with_its_settings_is_valid(config: dict[str, Any]) -> None:
    graph = chain({"id": "done", "kind": "end", "config": {}})
    graph["nodes"][0]["config"] = config

    problems = validate_graph(graph)

    assert problems == []


def test_unknown_filter_is_reported_before_publishing() -> None:
    graph = missed_call_recovery()
    node(graph, "confirm")["config"]["body"] = "Hi {{ contact.first_name | shout }}"

    problems = validate_graph(graph)

    assert where(problems) == [("template_syntax", "confirm", "config.body")]


def test_names_a_template_defines_are_not_roots() -> None:
    graph = chain(
        {
            "id": "text",
            "kind": "send_sms",
            "config": {
                "body": "{% set name = contact.first_name %}"
                "{% for tag in contact.tags %}{{ tag }} {% endfor %}{{ name }}"
            },
        }
    )

    problems = validate_graph(graph)

    assert problems == []


def test_long_graph_is_checked_without_recursion() -> None:
    steps = [
        {"id": f"s{i}", "kind": "crm_update", "config": {"add_tags": ["x"]}}
        for i in range(3000)
    ]
    graph = chain(*steps)
    edge(graph, "s2999", "next")["target"] = "s0"

    problems = validate_graph(graph)

    assert where(problems) == [("cycle_without_wait", "s0", None)]
    assert problems[0].message.startswith("'s0', 's1', 's2', 's3', 's4' and 2995 more")


def test_position_and_label_are_optional() -> None:
    graph = missed_call_recovery()
    for each in graph["nodes"]:
        each.pop("position", None)
        each.pop("label", None)

    problems = validate_graph(graph)

    assert problems == []


# One problem per mistake --------------------------------------------------

Mutation = Callable[[Graph], Any]


def append_node(**fields: Any) -> Mutation:
    return lambda graph: graph["nodes"].append(fields)


def append_edge(**fields: Any) -> Mutation:
    return lambda graph: graph["edges"].append(fields)


def set_config(node_id: str, **values: Any) -> Mutation:
    return lambda graph: node(graph, node_id)["config"].update(values)


def set_field(node_id: str, key: str, value: Any) -> Mutation:
    return lambda graph: node(graph, node_id).__setitem__(key, value)


def delete_config(node_id: str, key: str) -> Mutation:
    return lambda graph: node(graph, node_id)["config"].pop(key)


def set_target(source: str, port: str, target: str | None) -> Mutation:
    return lambda graph: edge(graph, source, port).__setitem__("target", target)


def remove_edge(source: str, port: str) -> Mutation:
    return lambda graph: graph["edges"].remove(edge(graph, source, port))


def set_outcome_field(**values: Any) -> Mutation:
    def mutate(graph: Graph) -> None:
        node(graph, "ask")["config"]["outcomes"][0]["fields"][0].update(values)

    return mutate


def set_condition(**values: Any) -> Mutation:
    def mutate(graph: Graph) -> None:
        node(graph, "vip")["config"]["conditions"][0]["when"].update(values)

    return mutate


def add_condition(port: str) -> Mutation:
    def mutate(graph: Graph) -> None:
        condition = {"port": port, "when": {"var": "contact.email", "op": "exists"}}
        node(graph, "vip")["config"]["conditions"].append(condition)

    return mutate


def add_outcome(name: str) -> Mutation:
    return lambda graph: node(graph, "ask")["config"]["outcomes"].append({"name": name})


CASES: list[tuple[str, Mutation, list[tuple[str, str | None, str | None]]]] = [
    # Node shape.
    (
        "node_not_object",
        lambda graph: graph["nodes"].append("oops"),
        [("node_not_object", None, "nodes.8")],
    ),
    (
        "id_with_space",
        append_node(id="has space", kind="end", config={}),
        [("invalid_node_id", None, "nodes.8.id")],
    ),
    (
        "id_missing",
        append_node(kind="end", config={}),
        [("invalid_node_id", None, "nodes.8.id")],
    ),
    (
        "id_too_long",
        append_node(id="x" * 65, kind="end", config={}),
        [("invalid_node_id", None, "nodes.8.id")],
    ),
    (
        "config_of_step_without_id",
        append_node(id="bad id", kind="end", config={"result": 5}),
        [
            ("invalid_config", None, "nodes.8.config.result"),
            ("invalid_node_id", None, "nodes.8.id"),
        ],
    ),
    (
        "id_duplicated",
        append_node(id="done", kind="end", config={}),
        [("duplicate_node_id", None, "nodes.8.id")],
    ),
    (
        "kind_unknown",
        set_field("mark_lost", "kind", "crm"),
        [("unknown_kind", "mark_lost", "kind")],
    ),
    (
        "kind_missing",
        lambda graph: node(graph, "mark_lost").pop("kind"),
        [("unknown_kind", "mark_lost", "kind")],
    ),
    (
        "label_too_long",
        set_field("done", "label", "x" * 81),
        [("invalid_label", "done", "label")],
    ),
    (
        "label_not_text",
        set_field("done", "label", 5),
        [("invalid_label", "done", "label")],
    ),
    (
        "position_text",
        set_field("done", "position", {"x": "0", "y": 0}),
        [("invalid_position", "done", "position")],
    ),
    (
        "position_without_y",
        set_field("done", "position", {"x": 0}),
        [("invalid_position", "done", "position")],
    ),
    (
        "position_boolean",
        set_field("done", "position", {"x": True, "y": 0}),
        [("invalid_position", "done", "position")],
    ),
    (
        "unknown_node_field",
        set_field("done", "confg", {}),
        [("unknown_field", "done", "confg")],
    ),
    (
        "config_list",
        set_field("done", "config", []),
        [("invalid_config", "done", "config")],
    ),
    # Config against the kind's schema.
    (
        "body_empty",
        set_config("confirm", body=""),
        [("invalid_config", "confirm", "config.body")],
    ),
    (
        "body_missing",
        delete_config("confirm", "body"),
        [("invalid_config", "confirm", "config.body")],
    ),
    (
        "body_too_long",
        set_config("confirm", body="x" * 1601),
        [("invalid_config", "confirm", "config.body")],
    ),
    (
        "unknown_setting",
        set_config("confirm", bdy="Hi"),
        [("invalid_config", "confirm", "config.bdy")],
    ),
    (
        "purpose_unknown",
        set_config("confirm", purpose="spam"),
        [("invalid_config", "confirm", "config.purpose")],
    ),
    (
        "max_turns_text",
        set_config("ask", max_turns="10"),
        [("invalid_config", "ask", "config.max_turns")],
    ),
    (
        "max_turns_too_high",
        set_config("ask", max_turns=51),
        [("invalid_config", "ask", "config.max_turns")],
    ),
    (
        "outcome_field_type_unknown",
        set_outcome_field(type="time"),
        [("invalid_config", "ask", "config.outcomes.0.fields.0.type")],
    ),
    (
        "conditions_empty",
        set_config("vip", conditions=[]),
        [("unknown_port", "vip", None), ("invalid_config", "vip", "config.conditions")],
    ),
    (
        "custom_field_name",
        set_config("save_booking", fields={"1st": "x"}),
        [("invalid_config", "save_booking", "config.fields.1st")],
    ),
    (
        "retry_attempts_zero",
        set_field("front_desk", "retry", {"max_attempts": 0}),
        [("invalid_retry", "front_desk", "retry.max_attempts")],
    ),
    (
        "retry_unknown_setting",
        set_field("front_desk", "retry", {"attempts": 2}),
        [("invalid_retry", "front_desk", "retry.attempts")],
    ),
    (
        "retry_not_object",
        set_field("front_desk", "retry", 3),
        [("invalid_retry", "front_desk", "retry")],
    ),
    # Triggers.
    (
        "second_trigger",
        lambda graph: (
            graph["nodes"].append(
                {"id": "again", "kind": "trigger", "config": {"type": "manual"}}
            ),
            graph["edges"].append({"source": "again", "port": "next", "target": "ask"}),
        ),
        [("multiple_triggers", "again", None)],
    ),
    (
        "webhook_without_phone",
        set_config("start", type="webhook", field_map={"first_name": "form.name"}),
        [("missing_setting", "start", "config.field_map.phone")],
    ),
    (
        "webhook_without_field_map",
        set_config("start", type="webhook"),
        [("missing_setting", "start", "config.field_map.phone")],
    ),
    (
        "tagged_without_tag",
        set_config("start", type="contact_tagged"),
        [("missing_setting", "start", "config.tag")],
    ),
    (
        "keyword_on_missed_call",
        set_config("start", keyword="JOIN"),
        [("unused_setting", "start", "config.keyword")],
    ),
    # Kind-specific rules.
    (
        "outcome_named_twice",
        add_outcome("booked"),
        [("duplicate_port", "ask", "config.outcomes.3.name")],
    ),
    (
        "outcome_named_timeout",
        add_outcome("timeout"),
        [("reserved_port", "ask", "config.outcomes.3.name")],
    ),
    (
        "branch_port_twice",
        add_condition("vip"),
        [("duplicate_port", "vip", "config.conditions.1.port")],
    ),
    (
        "branch_port_else",
        add_condition("else"),
        [("reserved_port", "vip", "config.conditions.1.port")],
    ),
    (
        "handoff_outcome_twice",
        set_config("front_desk", outcomes=["resolved", "no_answer", "resolved"]),
        [("duplicate_port", "front_desk", "config.outcomes.2")],
    ),
    (
        "review_unknown_outcome",
        set_config("ask", handoff={"review_outcomes": ["bookd"]}),
        [("unknown_review_outcome", "ask", "config.handoff.review_outcomes.0")],
    ),
    (
        "enum_without_values",
        set_outcome_field(type="enum"),
        [("invalid_enum_values", "ask", "config.outcomes.0.fields.0.values")],
    ),
    (
        "values_without_enum",
        set_outcome_field(values=["a"]),
        [("invalid_enum_values", "ask", "config.outcomes.0.fields.0.values")],
    ),
    (
        "outcome_field_twice",
        lambda graph: node(graph, "ask")["config"]["outcomes"][0]["fields"].append(
            {"name": "visit_at"}
        ),
        [("duplicate_name", "ask", "config.outcomes.0.fields.1.name")],
    ),
    (
        "reminder_after_timeout",
        set_config("ask", reply_timeout_s=3600),
        [("reminder_after_timeout", "ask", "config.reminders.0.after_s")],
    ),
    (
        "exists_with_value",
        set_condition(op="exists"),
        [("invalid_condition_value", "vip", "config.conditions.0.when.value")],
    ),
    (
        "in_without_list",
        set_condition(op="in"),
        [("invalid_condition_value", "vip", "config.conditions.0.when.value")],
    ),
    (
        "gt_with_text",
        set_condition(op="gt"),
        [("invalid_condition_value", "vip", "config.conditions.0.when.value")],
    ),
    (
        "matches_bad_regex",
        set_condition(op="matches", value="(vip"),
        [("invalid_condition_value", "vip", "config.conditions.0.when.value")],
    ),
    (
        "eq_without_value",
        lambda graph: (
            set_condition(op="eq")(graph),
            node(graph, "vip")["config"]["conditions"][0]["when"].pop("value"),
        ),
        [("invalid_condition_value", "vip", "config.conditions.0.when.value")],
    ),
    (
        "crm_sets_phone",
        set_config("save_booking", fields={"phone": "{{ trigger.call.from }}"}),
        [("reserved_field_name", "save_booking", "config.fields.phone")],
    ),
    # Edges.
    (
        "edge_not_object",
        lambda graph: graph["edges"].append(None),
        [("edge_not_object", None, "edges.15")],
    ),
    (
        "edge_unknown_field",
        lambda graph: graph["edges"][0].update(id="e1"),
        [("unknown_field", None, "edges.0.id")],
    ),
    (
        "edge_without_source",
        append_edge(port="next", target=None),
        [("invalid_edge", None, "edges.15.source")],
    ),
    (
        "edge_without_port",
        append_edge(source="confirm", target=None),
        [("invalid_edge", None, "edges.15.port")],
    ),
    (
        "edge_without_target",
        lambda graph: edge(graph, "ask", "opted_out").pop("target"),
        [("invalid_edge", None, "edges.6.target")],
    ),
    (
        "edge_from_unknown_step",
        append_edge(source="ghost", port="next", target="done"),
        [("unknown_edge_source", None, "edges.15.source")],
    ),
    (
        "edge_to_unknown_step",
        set_target("ask", "opted_out", "ghost"),
        [("unknown_edge_target", "ask", None)],
    ),
    (
        "edge_from_unknown_port",
        append_edge(source="confirm", port="failed", target="done"),
        [("unknown_port", "confirm", None)],
    ),
    (
        "edge_from_end",
        append_edge(source="done", port="next", target=None),
        [("unknown_port", "done", None)],
    ),
    (
        "port_connected_twice",
        append_edge(source="confirm", port="sent", target=None),
        [("duplicate_edge", "confirm", None)],
    ),
    (
        "edge_into_trigger",
        set_target("vip", "else", "start"),
        [("edge_into_trigger", "vip", None)],
    ),
    (
        "self_loop_without_wait",
        set_target("mark_lost", "next", "mark_lost"),
        [("self_loop_without_wait", "mark_lost", None)],
    ),
    # The graph as a whole.
    (
        "orphan_step",
        append_node(id="orphan", kind="end", config={}),
        [("unreachable_node", "orphan", None)],
    ),
    (
        "dangling_fixed_port",
        remove_edge("ask", "opted_out"),
        [("port_not_connected", "ask", None)],
    ),
    (
        "dangling_outcome",
        remove_edge("ask", "not_interested"),
        [("port_not_connected", "ask", None), ("unreachable_node", "mark_lost", None)],
    ),
    (
        "new_outcome_not_connected",
        add_outcome("call_back"),
        [("port_not_connected", "ask", None)],
    ),
    (
        "loop_without_wait",
        set_target("confirm", "blocked", "save_booking"),
        [("cycle_without_wait", "save_booking", None)],
    ),
    # Templates and the values they read.
    (
        "template_unclosed",
        set_config("confirm", body="Hi {{ contact.first_name "),
        [("template_syntax", "confirm", "config.body")],
    ),
    (
        "template_unknown_root",
        set_config("confirm", body="Hi {{ customer.name }}"),
        [("unknown_root", "confirm", "config.body")],
    ),
    (
        "template_unknown_contact_attribute",
        set_config("confirm", body="Hi {{ contact.frist_name }}"),
        [("unknown_attribute", "confirm", "config.body")],
    ),
    (
        "template_unknown_step",
        set_config("confirm", body="{{ steps.nope.outcome }}"),
        [("unknown_step_reference", "confirm", "config.body")],
    ),
    (
        "template_later_step",
        set_config("ask", opening_message="{{ steps.confirm.status }}"),
        [("step_not_upstream", "ask", "config.opening_message")],
    ),
    (
        "template_own_output",
        set_config("ask", opening_message="{{ steps.ask.outcome }}"),
        [("step_not_upstream", "ask", "config.opening_message")],
    ),
    (
        "template_sibling_step",
        set_config("mark_lost", note="{{ steps.confirm.status }}"),
        [("step_not_upstream", "mark_lost", "config.note")],
    ),
    (
        "template_unset_variable",
        set_config("confirm", body="See you at {{ vars.visit_at }}"),
        [("unknown_variable", "confirm", "config.body")],
    ),
    (
        "reminder_template_error",
        set_config("ask", reminders=[{"after_s": 600, "body": "Hi\n{% if %}"}]),
        [("template_syntax", "ask", "config.reminders.0.body")],
    ),
    (
        "condition_unknown_step",
        set_condition(var="steps.ghost.outcome"),
        [("unknown_step_reference", "vip", "config.conditions.0.when.var")],
    ),
    (
        "condition_later_step",
        set_condition(var="steps.confirm.status"),
        [("step_not_upstream", "vip", "config.conditions.0.when.var")],
    ),
    (
        "condition_unknown_root",
        set_condition(var="customer.tags"),
        [("unknown_root", "vip", "config.conditions.0.when.var")],
    ),
    (
        "condition_unset_variable",
        set_condition(var="vars.score"),
        [("unknown_variable", "vip", "config.conditions.0.when.var")],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in CASES],
)
def test_each_mistake_is_reported_at_its_place(
    mutate: Mutation, expected: list[tuple[str, str | None, str | None]]
) -> None:
    graph = missed_call_recovery()
    mutate(graph)

    problems = validate_graph(graph)

    assert where(problems) == expected
    assert all(problem.message.endswith(".") for problem in problems)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        pytest.param(
            {"id": "w", "kind": "wait", "config": {"mode": "duration"}},
            ("missing_setting", "w", "config.seconds"),
            id="duration_without_seconds",
        ),
        pytest.param(
            {"id": "w", "kind": "wait", "config": {"mode": "until"}},
            ("missing_setting", "w", "config.until"),
            id="until_without_moment",
        ),
        pytest.param(
            {
                "id": "w",
                "kind": "wait",
                "config": {"mode": "business_hours", "timezone": "Mars/Olympus"},
            },
            ("unknown_time_zone", "w", "config.timezone"),
            id="unknown_time_zone",
        ),
        pytest.param(
            {
                "id": "w",
                "kind": "wait",
                "config": {"mode": "business_hours", "start": "18:00", "end": "09:00"},
            },
            ("invalid_business_hours", "w", "config.end"),
            id="hours_past_midnight",
        ),
        pytest.param(
            {
                "id": "w",
                "kind": "wait",
                "config": {"mode": "business_hours", "end": "25:00"},
            },
            ("invalid_config", "w", "config.end"),
            id="hour_out_of_range",
        ),
        pytest.param(
            {"id": "h", "kind": "http_request", "config": {"url": "ftp://example.com"}},
            ("invalid_url", "h", "config.url"),
            id="url_not_http",
        ),
        pytest.param(
            {
                "id": "h",
                "kind": "http_request",
                "config": {"url": "https://example.com", "timeout_s": 31},
            },
            ("invalid_config", "h", "config.timeout_s"),
            id="timeout_too_long",
        ),
        pytest.param(
            {
                "id": "h",
                "kind": "http_request",
                "config": {
                    "url": "https://example.com",
                    "headers": {"Bad Header": "x"},
                },
            },
            ("invalid_config", "h", "config.headers.Bad Header"),
            id="header_name_with_space",
        ),
        pytest.param(
            {
                "id": "h",
                "kind": "http_request",
                "config": {"url": "https://example.com/{{ vars.path }}"},
            },
            ("unknown_variable", "h", "config.url"),
            id="url_reads_unset_variable",
        ),
        pytest.param(
            {
                "id": "s",
                "kind": "set_variables",
                "config": {
                    "assignments": [
                        {"name": "a", "value": "1"},
                        {"name": "a", "value": "2"},
                    ]
                },
            },
            ("duplicate_name", "s", "config.assignments.1.name"),
            id="variable_assigned_twice",
        ),
        pytest.param(
            {
                "id": "s",
                "kind": "set_variables",
                "config": {
                    "assignments": [
                        {"name": "a", "value": "1"},
                        {"name": "b", "value": "{{ vars.a }}"},
                    ]
                },
            },
            ("unknown_variable", "s", "config.assignments.1.value"),
            id="variable_read_in_the_step_that_sets_it",
        ),
        pytest.param(
            {
                "id": "c",
                "kind": "crm_update",
                "config": {"fields": {"nickname": "{{ contact.fields.nick }"}},
            },
            ("template_syntax", "c", "config.fields.nickname"),
            id="custom_field_template_error",
        ),
    ],
)
def test_kind_rule_is_reported_at_its_field(
    step: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    graph = chain(step)

    problems = validate_graph(graph)

    assert where(problems) == [expected]


# Messages --------------------------------------------------------------------


def message_for(mutate: Mutation) -> str:
    graph = missed_call_recovery()
    mutate(graph)
    (problem,) = validate_graph(graph)
    return problem.message


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            remove_edge("ask", "opted_out"),
            "The 'opted_out' port of 'Ask what they need' isn't connected. Connect "
            "it to a step or to End.",
        ),
        (
            add_outcome("call_back"),
            "The outcome 'call_back' of 'Ask what they need' isn't connected. "
            "Connect it to a step or to End.",
        ),
        (delete_config("confirm", "body"), "In 'Confirm', the message is required."),
        (set_config("confirm", body=""), "In 'Confirm', the message can't be empty."),
        (
            set_config("confirm", bdy="Hi"),
            "In 'Confirm', 'bdy' is not a Send SMS setting. Remove it.",
        ),
        (
            set_outcome_field(type="time"),
            "In 'Ask what they need', the type of field 1 of outcome 1 must be one "
            "of 'string', 'number', 'boolean', 'date', 'datetime', 'enum'.",
        ),
        (
            set_config("ask", max_turns=51),
            "In 'Ask what they need', the maximum turns must be at most 50.",
        ),
        (
            set_config("confirm", body="Hi\n{{ contact.first_name "),
            "In 'Confirm', the message has an error on line 2. Invalid template "
            "syntax: unexpected end of template, expected 'end of print statement'. "
            "Fix the template.",
        ),
        (
            set_config("ask", opening_message="{{ steps.confirm.status }}"),
            "In 'Ask what they need', the opening message reads steps.confirm.status, "
            "but 'Confirm' doesn't lead to this step, so its output isn't there yet. "
            "Read only steps that come before this one.",
        ),
        (
            set_config("confirm", body="See you at {{ vars.visit_at }}"),
            "In 'Confirm', the message reads vars.visit_at, but no step before it "
            "sets 'visit_at'. Set it in a Set variables step (or an HTTP request's "
            "response mapping) that leads here, or fix the name.",
        ),
        (
            set_target("confirm", "blocked", "save_booking"),
            "'Record booking' and 'Confirm' form a loop in which nothing waits, so a "
            "run would go round it without pause. Add a Wait, an SMS agent or a "
            "hand-off to the loop, or remove one of its connections.",
        ),
        (
            append_node(id="orphan", kind="end", config={}),
            "'orphan' can't be reached from the trigger, so it would never run. "
            "Connect a port to it, or remove it.",
        ),
    ],
)
def test_message_names_the_step_and_the_fix(mutate: Mutation, message: str) -> None:
    assert message_for(mutate) == message


def test_step_without_usable_id_is_named_by_position() -> None:
    graph = missed_call_recovery()
    graph["nodes"].append({"id": "has space", "kind": "end", "config": {}})

    (problem,) = validate_graph(graph)

    assert problem.message == (
        "Step 9 has the id 'has space', which can't be used. Give it an id of 1 "
        "to 64 letters, digits, '-' or '_', unique in the workflow."
    )


# Many problems at once -------------------------------------------------------


def test_all_problems_are_returned_together_in_node_order() -> None:
    graph = missed_call_recovery()
    node(graph, "done")["config"]["result"] = 5
    remove_edge("ask", "opted_out")(graph)
    set_config("confirm", body="{{ steps.nope.x }}", purpose="spam")(graph)
    graph["edges"].append({"source": "ghost", "port": "next", "target": None})

    problems = validate_graph(graph)

    assert where(problems) == [
        ("unknown_edge_source", None, "edges.14.source"),
        ("port_not_connected", "ask", None),
        ("unknown_step_reference", "confirm", "config.body"),
        ("invalid_config", "confirm", "config.purpose"),
        ("invalid_config", "done", "config.result"),
    ]


def test_problems_come_in_the_same_order_every_time() -> None:
    graph = missed_call_recovery()
    for each in graph["nodes"]:
        each["config"]["surprise"] = True

    first = validate_graph(graph)
    second = validate_graph(copy.deepcopy(graph))

    assert first == second
    assert [problem.node for problem in first] == [n["id"] for n in graph["nodes"]]


def test_list_indexes_sort_as_numbers() -> None:
    graph = chain(
        {
            "id": "s",
            "kind": "set_variables",
            "config": {
                "assignments": [
                    {"name": f"v{i}", "value": "{{ vars.nope }}"} for i in range(12)
                ]
            },
        }
    )

    problems = validate_graph(graph)

    assert [problem.field for problem in problems] == [
        f"config.assignments.{i}.value" for i in range(12)
    ]


def test_empty_graph_only_lacks_a_trigger() -> None:
    problems = validate_graph({"nodes": [], "edges": []})

    assert where(problems) == [("no_trigger", None, "nodes")]


# Garbage in, problems out ----------------------------------------------------


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        (None, [("graph_not_object", None, None)]),
        ([], [("graph_not_object", None, None)]),
        ("nodes", [("graph_not_object", None, None)]),
        (
            {"nodes": "x"},
            [
                ("edges_not_list", None, "edges"),
                ("nodes_not_list", None, "nodes"),
                ("no_trigger", None, "nodes"),
            ],
        ),
        (
            {"nodes": [None, []], "edges": [7]},
            [
                ("edge_not_object", None, "edges.0"),
                ("no_trigger", None, "nodes"),
                ("node_not_object", None, "nodes.0"),
                ("node_not_object", None, "nodes.1"),
            ],
        ),
        (
            {
                "nodes": [
                    {"id": [], "kind": {}, "config": 1, "label": [], "position": 2}
                ],
                "edges": [{"source": [], "port": {}, "target": 5}],
            },
            [
                ("invalid_edge", None, "edges.0.source"),
                ("no_trigger", None, "nodes"),
                ("invalid_node_id", None, "nodes.0.id"),
                ("unknown_kind", None, "nodes.0.kind"),
                ("invalid_label", None, "nodes.0.label"),
                ("invalid_position", None, "nodes.0.position"),
            ],
        ),
    ],
)
def test_garbage_gives_problems_not_exceptions(
    graph: Any, expected: list[tuple[str, str | None, str | None]]
) -> None:
    problems = validate_graph(graph)

    assert where(problems) == expected


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
NODE_KEYS = st.sampled_from(["id", "kind", "label", "config", "position", "retry", "x"])
NODES = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b", "start"]) | JSON,
        "kind": st.sampled_from(list(NODE_KINDS)) | JSON,
    },
    optional={"config": JSON, "position": JSON, "retry": JSON, "label": JSON},
) | st.dictionaries(NODE_KEYS, JSON, max_size=4)
EDGES = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["a", "b", "start"]) | JSON,
        "port": st.sampled_from(["next", "sent", "else", "timeout"]) | JSON,
        "target": st.sampled_from(["a", "b", "start", None]) | JSON,
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    graph=JSON
    | st.fixed_dictionaries(
        {"nodes": st.lists(NODES, max_size=5), "edges": st.lists(EDGES, max_size=6)}
    )
)
def test_any_json_gives_problems_not_exceptions(graph: Any) -> None:
    problems = validate_graph(graph)

    assert all(problem.code in PROBLEM_CODES for problem in problems)


# Kinds and ports ---------------------------------------------------------------


def test_kind_schemas_serialize_to_json() -> None:
    served = json.loads(json.dumps(kind_schemas()))

    assert list(served) == list(NODE_KINDS)
    assert served["send_sms"]["label"] == "Send SMS"
    assert served["send_sms"]["ports"] == ["sent", "blocked"]
    assert served["agent_sms"]["ports_note"] is not None
    assert [kind for kind, entry in served.items() if entry["is_wait"]] == [
        "agent_sms",
        "wait",
        "human_handoff",
    ]


@pytest.mark.parametrize("kind", list(NODE_KINDS))
def test_kind_schema_is_a_valid_draft_2020_12_schema(kind: str) -> None:
    schema = kind_schemas()[kind]["schema"]

    Draft202012Validator.check_schema(schema)

    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("kind", list(NODE_KINDS))
def test_every_setting_has_a_title_and_a_valid_default(kind: str) -> None:
    properties = NODE_KINDS[kind].schema["properties"]

    for name, prop in properties.items():
        assert prop.get("title"), f"{kind}.{name} has no title"
        if "default" in prop:
            assert Draft202012Validator(prop).is_valid(prop["default"]), name


def test_retry_schema_is_valid_and_defaults_pass_it() -> None:
    Draft202012Validator.check_schema(NODE_RETRY_SCHEMA)
    defaults = {
        name: prop["default"] for name, prop in NODE_RETRY_SCHEMA["properties"].items()
    }

    assert Draft202012Validator(NODE_RETRY_SCHEMA).is_valid(defaults)


def test_kind_schemas_returns_a_copy() -> None:
    served = kind_schemas()
    served["send_sms"]["schema"]["properties"].clear()

    assert NODE_KINDS["send_sms"].schema["properties"]


def test_template_fields_name_settings_of_their_kind() -> None:
    for kind in NODE_KINDS.values():
        for pattern in kind.template_fields:
            assert pattern.split(".")[0] in kind.schema["properties"], pattern


def _setting_schema(schema: dict[str, Any], pattern: str) -> dict[str, Any]:
    """Follow a template field pattern through the schema to one setting."""
    for part in pattern.split("."):
        if part != "*":
            schema = schema["properties"][part]
        elif schema["type"] == "array":
            schema = schema["items"]
        else:
            schema = schema["additionalProperties"]
    return schema


def test_sms_fields_are_the_texts_sent_to_the_contact() -> None:
    served = kind_schemas()

    assert {
        name: kind["sms_fields"] for name, kind in served.items() if kind["sms_fields"]
    } == {
        "send_sms": ["body"],
        "agent_sms": ["opening_message", "reminders.*.body"],
    }


def test_sms_fields_are_text_templates_of_their_kind() -> None:
    for kind in NODE_KINDS.values():
        for pattern in kind.sms_fields:
            setting = _setting_schema(kind.schema, pattern)

            assert pattern in kind.template_fields, pattern
            assert "string" in setting["type"], pattern
            assert setting["maxLength"] <= 1600, pattern


def test_applies_when_names_settings_and_values_of_their_kind() -> None:
    for kind in NODE_KINDS.values():
        properties = kind.schema["properties"]
        for option, needs in kind.applies_when.items():
            assert option in properties, option
            for selector, values in needs.items():
                assert set(values) <= set(properties[selector]["enum"]), option


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("keyword", "JOIN"),
        ("tag", "vip"),
        ("secret", "s3cret"),
        ("field_map", {"phone": "form.phone"}),
        ("consent_field", "form.consent"),
    ],
)
def test_trigger_setting_is_refused_for_types_it_does_not_apply_to(
    option: str, value: Any
) -> None:
    applies_to = kind_schemas()["trigger"]["applies_when"][option]["type"]
    others = [
        name
        for name in NODE_KINDS["trigger"].schema["properties"]["type"]["enum"]
        if name not in applies_to
    ]
    graph = chain({"id": "done", "kind": "end", "config": {}})

    for trigger_type in others:
        graph["nodes"][0]["config"] = {"type": trigger_type, option: value}
        problems = where(validate_graph(graph))

        assert ("unused_setting", "start", f"config.{option}") in problems


@pytest.mark.parametrize(
    ("config_node", "ports"),
    [
        ({"kind": "trigger", "config": {"type": "manual"}}, ["next"]),
        ({"kind": "send_sms", "config": {"body": "Hi"}}, ["sent", "blocked"]),
        (
            {
                "kind": "agent_sms",
                "config": {"outcomes": [{"name": "a"}, {"name": "b"}]},
            },
            ["a", "b", "timeout", "handoff", "opted_out"],
        ),
        ({"kind": "wait", "config": {"seconds": 5}}, ["next"]),
        (
            {
                "kind": "branch",
                "config": {"conditions": [{"port": "x"}, {"port": "y"}]},
            },
            ["x", "y", "else"],
        ),
        ({"kind": "set_variables", "config": {}}, ["next"]),
        ({"kind": "crm_update", "config": {}}, ["next"]),
        ({"kind": "http_request", "config": {}}, ["success", "failure"]),
        (
            {"kind": "human_handoff", "config": {"outcomes": ["done", "lost"]}},
            ["done", "lost"],
        ),
        ({"kind": "end", "config": {}}, []),
        ({"kind": "teleport", "config": {}}, []),
        ({"kind": ["not", "text"]}, []),
    ],
)
def test_ports_of_each_kind(config_node: dict[str, Any], ports: list[str]) -> None:
    assert ports_of(config_node) == ports


def test_ports_of_skips_malformed_entries_and_repeats() -> None:
    config_node = {
        "kind": "agent_sms",
        "config": {"outcomes": [{"name": "a"}, "b", {"name": 3}, {"name": "a"}]},
    }

    assert ports_of(config_node) == ["a", "timeout", "handoff", "opted_out"]


def test_templates_of_expands_wildcards_with_concrete_paths() -> None:
    config_node = {
        "kind": "crm_update",
        "config": {"fields": {"first_name": "{{ x }}", "plan": "pro"}, "note": None},
    }

    assert templates_of(config_node) == [
        ("config.fields.first_name", "{{ x }}"),
        ("config.fields.plan", "pro"),
    ]


# The format document -----------------------------------------------------------


def test_format_document_lists_every_problem_code() -> None:
    text = FORMAT_DOC.read_text(encoding="utf-8")
    section = text.split("## Validation problems", 1)[1]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))

    assert documented == PROBLEM_CODES


def test_format_document_describes_every_kind() -> None:
    text = FORMAT_DOC.read_text(encoding="utf-8")

    for kind in NODE_KINDS:
        assert f"### `{kind}`" in text


# Agent test conversations -------------------------------------------------------


def _with_tests(*tests: dict[str, Any]) -> Graph:
    graph = missed_call_recovery()
    agent = next(n for n in graph["nodes"] if n["kind"] == "agent_sms")
    agent["config"]["tests"] = list(tests)
    return graph


def test_agent_tests_that_fit_the_step_have_no_problems() -> None:
    graph = _with_tests(
        {
            "name": "Books a visit",
            "replies": ["Yes, tomorrow at 3pm"],
            "expect_port": "booked",
            "expect_fields": {"visit_at": "2026-12-02T15:00:00-05:00"},
            "now": "2026-12-01T10:00:00-05:00",
        },
        {"name": "Goes quiet", "replies": ["hm"], "expect_port": "timeout"},
    )
    assert validate_graph(graph) == []


def test_agent_tests_must_expect_a_port_and_fields_of_the_step() -> None:
    graph = _with_tests(
        {"name": "a", "replies": ["x"], "expect_port": "bought"},
        {
            "name": "b",
            "replies": ["x"],
            "expect_port": "booked",
            "expect_fields": {"price": 3},
            "now": "tomorrow",
        },
        {"name": "c", "replies": [], "expect_port": "booked"},
    )
    assert where(validate_graph(graph)) == [
        ("unknown_port", "ask", "config.tests.0.expect_port"),
        ("unknown_field", "ask", "config.tests.1.expect_fields.price"),
        ("invalid_datetime", "ask", "config.tests.1.now"),
        ("invalid_config", "ask", "config.tests.2.replies"),
    ]
