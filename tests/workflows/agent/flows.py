"""An appointment workflow with one SMS agent step, for agent tests."""

from typing import Any

from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from workflows.definition import AGENT_FIXED_PORTS
from workflows.models import Workflow

OUTCOMES = [
    {"name": "confirmed", "description": "The contact confirms the appointment."},
    {
        "name": "rescheduled",
        "description": "The contact wants another time.",
        "fields": [{"name": "appointment_at", "type": "datetime", "required": True}],
    },
    {
        "name": "declined",
        "description": "The contact does not want the appointment.",
        "fields": [{"name": "reason", "type": "string"}],
    },
]
KNOWLEDGE = [
    "We are open Monday to Friday, 8am to 6pm.",
    "Parking is free behind the building on Main Street.",
]


def agent_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "goal": "Confirm tomorrow's appointment, or find a better time.",
        "persona": "Sam from Acme Dental",
        "instructions": "Be brief and friendly. Never discuss prices of treatments.",
        "knowledge": KNOWLEDGE,
        "outcomes": OUTCOMES,
        "opening_message": "Hi {{ contact.first_name }}, it's Sam from Acme Dental. "
        "Can you make your appointment tomorrow at 10am?",
        "reply_timeout_s": 3600,
    }
    config.update(overrides)
    return config


def agent_workflow(workspace: Any, **overrides: Any) -> Workflow:
    config = agent_config(**overrides)
    ports = [o["name"] for o in config["outcomes"]] + list(AGENT_FIXED_PORTS)
    return make_workflow(
        workspace,
        [
            webhook_trigger(),
            node("ask", "agent_sms", **config),
            *[node(f"end_{port}", "end", result=port) for port in ports],
        ],
        [
            edge("start", "next", "ask"),
            *[edge("ask", port, f"end_{port}") for port in ports],
        ],
    )
