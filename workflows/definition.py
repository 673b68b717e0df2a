"""The workflow graph format: node kinds, their ports, and validation.

A workflow is JSON with `nodes` and `edges`; docs/workflow-format.md
describes it for the people who write it. This module is the format's one
source of truth: the editor builds its forms from `kind_schemas()`, a
graph is published only when `validate_graph` finds no problem, and the
engine may rely on every published graph having passed it.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.dateparse import parse_datetime
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from workflows.templates import (
    ALLOWED_ROOTS,
    TemplateError,
    TemplateSyntaxProblem,
    template_references,
    unknown_roots,
)
from workflows.templates import check as check_template

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

NODE_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"
SLUG_PATTERN = "^[a-z][a-z0-9_]{0,39}$"
IDENTIFIER_PATTERN = "^[A-Za-z_][A-Za-z0-9_]{0,63}$"
PATH_PATTERN = "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$"
CLOCK_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
HEADER_PATTERN = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$"
KEYWORD_PATTERN = "^[^\\s.,!?]{1,40}$"

# Read after "must be" in a message, so each names what a valid value
# looks like rather than repeating the regular expression.
PATTERN_HINTS = {
    SLUG_PATTERN: (
        "1 to 40 lowercase letters, digits or underscores starting with a "
        "letter, like 'not_interested'"
    ),
    IDENTIFIER_PATTERN: (
        "letters, digits or underscores not starting with a digit, like 'score'"
    ),
    PATH_PATTERN: "a dotted path like 'form.phone'",
    CLOCK_PATTERN: "a time of day written HH:MM, like '09:00'",
    HEADER_PATTERN: "a header name like 'X-Api-Key'",
    KEYWORD_PATTERN: "a single word without spaces or punctuation, like 'JOIN'",
}

TRIGGER_TYPES = (
    "webhook",
    "inbound_sms",
    "missed_call",
    "contact_created",
    "contact_tagged",
    "manual",
)
# The trigger settings that only one trigger type reads; a setting given to
# another type is refused as unused_setting.
TRIGGER_OPTIONS = {
    "keyword": "inbound_sms",
    "tag": "contact_tagged",
    "secret": "webhook",
    "field_map": "webhook",
    "consent_field": "webhook",
}
# The wait settings that only one mode reads; the others ignore them.
WAIT_OPTIONS = {
    "seconds": "duration",
    "until": "until",
    "timezone": "business_hours",
    "start": "business_hours",
    "end": "business_hours",
    "days": "business_hours",
}
AGENT_FIXED_PORTS = ("timeout", "handoff", "opted_out")
BRANCH_OPERATORS = (
    "eq",
    "neq",
    "contains",
    "not_contains",
    "gt",
    "gte",
    "lt",
    "lte",
    "exists",
    "not_exists",
    "in",
    "not_in",
    "matches",
)
DEAL_STAGES = ("new", "qualified", "proposal", "won", "lost")
DEFAULT_REPLY_TIMEOUT_S = 86400

# What templates and branch conditions can read below each fixed root,
# with what each holds; `trigger`, `steps` and `vars` depend on the
# workflow and are checked against the graph instead.
ROOT_ATTRIBUTES: dict[str, dict[str, str]] = {
    "contact": {
        "id": "The contact's id.",
        "first_name": "First name.",
        "last_name": "Last name.",
        "full_name": "First and last name together.",
        "phone": "Mobile number, in international format.",
        "email": "Email address.",
        "time_zone": "Time zone, such as America/New_York.",
        "tags": "The contact's tags, a list.",
        "fields": "Custom fields, by name: contact.fields.<name>.",
    },
    "run": {
        "id": "The run's id.",
        "started_at": "When the run started, ISO 8601.",
    },
    "workspace": {"name": "The workspace's name."},
}

# What each trigger type puts under `trigger`; a webhook's form fields
# come from its payload, so only its field map names some of them.
TRIGGER_FIELDS: dict[str, dict[str, str]] = {
    "webhook": {"form": "Every field the form or system posted."},
    "inbound_sms": {
        "message.body": "The text that started the run.",
        "message.from": "The number it came from.",
        "message.sid": "Twilio's id of the text.",
        "message.id": "The text's id.",
    },
    "missed_call": {
        "call.from": "The number that called.",
        "call.to": "The number called.",
        "call.status": "How the call ended: no-answer, busy or failed.",
        "call.duration": "How long the call rang, in seconds.",
        "call.sid": "Twilio's id of the call.",
    },
    "contact_created": {"contact_event.type": "Always 'created'."},
    "contact_tagged": {
        "contact_event.type": "Always 'tagged'.",
        "contact_event.tag": "The tag that was added.",
    },
    "manual": {
        "manual": "The payload given when the run was started by hand or by API.",
        "campaign.id": "The campaign's id, when a campaign started the run.",
        "campaign.name": "The campaign's name, when a campaign started the run.",
    },
}

# What every step's output holds besides its kind's outputs.
STEP_PORT_OUTPUT = ("port", "The port the step left by.")

NODE_FIELDS = ("id", "kind", "label", "config", "position", "retry")
EDGE_FIELDS = ("source", "port", "target")
LABEL_MAX_CHARS = 80


@dataclass(frozen=True)
class NodeKind:
    """One kind of step: its config schema, its ports, and how it behaves.

    `template_fields` lists the config values rendered as templates, as
    dotted paths where `*` stands for every item of a list or every value
    of an object: ("body",), ("reminders.*.body",), ("fields.*", "note").
    `sms_fields` uses the same paths for the settings sent as text
    messages, so the editor can count their segments. `applies_when` maps
    a setting to the values other settings must have for it to be read,
    e.g. {"keyword": {"type": ("inbound_sms",)}}; an absent setting
    counts as its schema default. `ports` are the ports every node of the
    kind has; `ports_note` says how the config adds more, when it does.
    `outputs` are the keys of the step's output that later steps may read.
    `schema` is shared: copy it before changing it.
    """

    name: str
    label: str
    description: str
    schema: dict[str, Any]
    template_fields: tuple[str, ...] = ()
    sms_fields: tuple[str, ...] = ()
    applies_when: Mapping[str, Mapping[str, tuple[str, ...]]] = dataclasses.field(
        default_factory=dict
    )
    ports: tuple[str, ...] = ()
    ports_note: str | None = None
    is_wait: bool = False
    is_trigger: bool = False
    # What later steps read as steps.<id>.<key>, with what each holds.
    outputs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Problem:
    """One reason a graph can't be published, worded for the person fixing it.

    `code` is stable snake_case; the wording of `message` may change.
    `node` is the id of the step concerned, and `field` a dotted path inside
    it ("config.outcomes.1.name"), or None when the problem is the step's
    place in the graph. Without a node, `field` is a path from the top of
    the graph ("edges.2.target", "nodes.4.id"), or None.
    """

    code: str
    message: str
    node: str | None = None
    field: str | None = None


# Every code validate_graph can return; docs/workflow-format.md explains each.
PROBLEM_CODES = frozenset(
    {
        "graph_not_object",
        "nodes_not_list",
        "edges_not_list",
        "node_not_object",
        "invalid_node_id",
        "duplicate_node_id",
        "unknown_kind",
        "unknown_field",
        "invalid_label",
        "invalid_position",
        "invalid_config",
        "invalid_retry",
        "no_trigger",
        "multiple_triggers",
        "missing_setting",
        "unused_setting",
        "duplicate_port",
        "reserved_port",
        "duplicate_name",
        "unknown_review_outcome",
        "invalid_enum_values",
        "reminder_after_timeout",
        "unknown_time_zone",
        "invalid_business_hours",
        "invalid_condition_value",
        "reserved_field_name",
        "invalid_url",
        "edge_not_object",
        "invalid_edge",
        "unknown_edge_source",
        "unknown_edge_target",
        "unknown_port",
        "duplicate_edge",
        "edge_into_trigger",
        "self_loop_without_wait",
        "unreachable_node",
        "port_not_connected",
        "cycle_without_wait",
        "template_syntax",
        "unknown_root",
        "unknown_attribute",
        "unknown_step_reference",
        "step_not_upstream",
        "unknown_variable",
        "invalid_datetime",
    }
)


def _config_schema(
    title: str,
    description: str,
    properties: dict[str, Any],
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "title": title,
        "description": description,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def _item(
    title: str, properties: dict[str, Any], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The schema of one object in a list, titled for messages ("Outcome 2")."""
    schema: dict[str, Any] = {
        "title": title,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def _template(
    title: str, description: str, *, max_chars: int, nullable: bool = False
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "title": title,
        "description": description,
        "type": ["string", "null"] if nullable else "string",
        "maxLength": max_chars,
    }
    if nullable:
        schema["default"] = None
    return schema


TRIGGER_SCHEMA = _config_schema(
    "Trigger",
    "What starts a run of this workflow.",
    {
        "type": {
            "title": "Starts on",
            "description": (
                "webhook: a form or another system posts to the workflow's "
                "address; inbound_sms: a contact texts in; missed_call: a call "
                "to one of the workspace's numbers goes unanswered; "
                "contact_created / contact_tagged: a CRM change; manual: a "
                "person or an API call starts each run."
            ),
            "type": "string",
            "enum": list(TRIGGER_TYPES),
        },
        "keyword": {
            "title": "Keyword",
            "description": (
                "inbound_sms only: start only for texts whose first word is this "
                "one, ignoring case. Empty starts on any text."
            ),
            "type": ["string", "null"],
            "pattern": KEYWORD_PATTERN,
        },
        "tag": {
            "title": "Tag",
            "description": "contact_tagged only (required): the tag that starts a run.",
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 64,
        },
        "secret": {
            "title": "Signing secret",
            "description": (
                "webhook only: when set, a request must carry an HMAC-SHA256 "
                "signature of its body made with this secret."
            ),
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 256,
        },
        "consent_field": {
            "title": "Consent field",
            "description": (
                "webhook only: a dotted path into the payload, e.g. "
                "form.sms_consent, whose ticked value (yes, on, true, 1) records "
                "the contact's consent to texts."
            ),
            "type": ["string", "null"],
            "pattern": PATH_PATTERN,
        },
        "field_map": {
            "title": "Field mapping",
            "description": (
                "webhook only: the contact field each payload value fills, as a "
                "dotted path into the payload, e.g. phone: form.phone. The "
                "phone mapping is required."
            ),
            "type": "object",
            "propertyNames": {"pattern": IDENTIFIER_PATTERN},
            "additionalProperties": {
                "title": "Mapping",
                "type": "string",
                "pattern": PATH_PATTERN,
            },
        },
    },
    required=("type",),
)

SEND_SMS_SCHEMA = _config_schema(
    "Send SMS",
    "Send one text message to the contact.",
    {
        "body": {
            "title": "Message",
            "description": (
                "The text to send, as a template, e.g. 'Hi {{ contact.first_name }}'."
            ),
            "type": "string",
            "minLength": 1,
            "maxLength": 1600,
        },
        "sender_id": {
            "title": "Sender",
            "description": "The number to send from; empty uses the default sender.",
            "type": ["integer", "null"],
            "minimum": 1,
            "default": None,
        },
        "purpose": {
            "title": "Purpose",
            "description": "Why the text is sent; the consent checks depend on it.",
            "type": "string",
            "enum": ["conversation", "notification", "marketing"],
            "default": "notification",
        },
        "expires_after_s": {
            "title": "Expiry (seconds)",
            "description": (
                "Drop the text when it can't be sent within this many seconds, "
                "e.g. because of quiet hours. Empty keeps it until it can be sent."
            ),
            "type": ["integer", "null"],
            "minimum": 1,
            "default": None,
        },
    },
    required=("body",),
)

OUTCOME_FIELD_SCHEMA = _item(
    "Field",
    {
        "name": {
            "title": "Name",
            "description": "The key the value is stored under.",
            "type": "string",
            "pattern": SLUG_PATTERN,
        },
        "type": {
            "title": "Type",
            "type": "string",
            "enum": ["string", "number", "boolean", "date", "datetime", "enum"],
            "default": "string",
        },
        "required": {
            "title": "Required",
            "description": "The agent must learn this value to choose the outcome.",
            "type": "boolean",
            "default": False,
        },
        "values": {
            "title": "Values",
            "description": "enum only: the values to choose from.",
            "type": "array",
            "items": {"title": "Value", "type": "string", "minLength": 1},
            "minItems": 1,
            "uniqueItems": True,
        },
    },
    required=("name",),
)

AGENT_TEST_SCHEMA = _item(
    "Test conversation",
    {
        "name": {
            "title": "Name",
            "type": "string",
            "minLength": 1,
            "maxLength": 120,
        },
        "replies": {
            "title": "Contact's replies",
            "description": "What the contact texts, one reply after each answer.",
            "type": "array",
            "items": {"title": "Reply", "type": "string", "minLength": 1},
            "minItems": 1,
            "maxItems": 20,
        },
        "expect_port": {
            "title": "Expected port",
            "description": (
                "An outcome, or handoff, opted_out or timeout (the replies run "
                "out with no outcome)."
            ),
            "type": "string",
            "pattern": SLUG_PATTERN,
        },
        "expect_fields": {
            "title": "Expected fields",
            "description": "Values the outcome must capture; others are not checked.",
            "type": "object",
            "default": {},
        },
        "contact": {
            "title": "Contact",
            "description": (
                "The made-up contact of the test: first_name, last_name, "
                "time_zone, fields."
            ),
            "type": "object",
            "default": {},
        },
        "now": {
            "title": "Current time",
            "description": (
                "The moment the conversation happens, ISO 8601; fixes what "
                "'tomorrow' means. Empty uses the real time."
            ),
            "type": ["string", "null"],
            "default": None,
        },
    },
    required=("name", "replies", "expect_port"),
)

AGENT_SMS_SCHEMA = _config_schema(
    "SMS agent",
    "Hold a text conversation toward a goal and end it with an outcome.",
    {
        "goal": {
            "title": "Goal",
            "description": "What the conversation should achieve, in a sentence.",
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
        },
        "instructions": {
            "title": "Instructions",
            "description": "How the agent behaves: tone, what to ask, what to avoid.",
            "type": "string",
            "maxLength": 8000,
            "default": "",
        },
        "persona": {
            "title": "Persona",
            "description": "Who the agent speaks as, e.g. 'Sam from Acme Dental'.",
            "type": "string",
            "maxLength": 2000,
            "default": "",
        },
        "knowledge": {
            "title": "Knowledge",
            "description": "Facts the agent may use: prices, hours, policies.",
            "type": "array",
            "items": {"title": "Fact", "type": "string", "maxLength": 8000},
            "maxItems": 50,
            "default": [],
        },
        "outcomes": {
            "title": "Outcomes",
            "description": (
                "How the conversation can end. Each outcome is a port of its "
                "own, named after it."
            ),
            "type": "array",
            "items": _item(
                "Outcome",
                {
                    "name": {
                        "title": "Name",
                        "type": "string",
                        "pattern": SLUG_PATTERN,
                    },
                    "description": {
                        "title": "Description",
                        "description": "When the agent should choose this outcome.",
                        "type": "string",
                        "maxLength": 2000,
                        "default": "",
                    },
                    "fields": {
                        "title": "Fields",
                        "description": "Values the agent collects with this outcome.",
                        "type": "array",
                        "items": OUTCOME_FIELD_SCHEMA,
                        "maxItems": 20,
                        "default": [],
                    },
                },
                required=("name",),
            ),
            "minItems": 1,
            "maxItems": 20,
        },
        "opening_message": _template(
            "Opening message",
            "The first text of the conversation, as a template. Empty lets the "
            "agent open the conversation itself.",
            max_chars=1600,
            nullable=True,
        ),
        "max_turns": {
            "title": "Maximum turns",
            "description": "The most replies the agent sends in this conversation.",
            "type": "integer",
            "minimum": 1,
            "maximum": 50,
            "default": 10,
        },
        "reply_timeout_s": {
            "title": "Reply timeout (seconds)",
            "description": (
                "How long to wait for the contact's next reply before taking "
                "the timeout port."
            ),
            "type": "integer",
            "minimum": 60,
            "maximum": 30 * 86400,
            "default": DEFAULT_REPLY_TIMEOUT_S,
        },
        "reminders": {
            "title": "Reminders",
            "description": "Texts sent while the contact stays silent.",
            "type": "array",
            "items": _item(
                "Reminder",
                {
                    "after_s": {
                        "title": "After (seconds)",
                        "description": "Seconds of silence before this reminder.",
                        "type": "integer",
                        "minimum": 60,
                    },
                    "body": {
                        "title": "Message",
                        "description": "The reminder, as a template.",
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 1600,
                    },
                },
                required=("after_s", "body"),
            ),
            "maxItems": 5,
            "default": [],
        },
        "handoff": {
            "title": "Hand-off",
            "description": "When the conversation goes to a person (handoff port).",
            "type": "object",
            "properties": {
                "on_request": {
                    "title": "When asked",
                    "description": "Hand off when the contact asks for a person.",
                    "type": "boolean",
                    "default": True,
                },
                "on_low_confidence": {
                    "title": "When unsure",
                    "description": "Hand off when the agent isn't sure how to answer.",
                    "type": "boolean",
                    "default": False,
                },
                "review_outcomes": {
                    "title": "Outcomes to review",
                    "description": (
                        "Outcomes a person confirms before the run follows them."
                    ),
                    "type": "array",
                    "items": {
                        "title": "Reviewed outcome",
                        "type": "string",
                        "pattern": SLUG_PATTERN,
                    },
                    "uniqueItems": True,
                    "default": [],
                },
            },
            "additionalProperties": False,
            "default": {
                "on_request": True,
                "on_low_confidence": False,
                "review_outcomes": [],
            },
        },
        "model": {
            "title": "Model",
            "description": (
                "Any litellm model string; empty uses the installation's default "
                "(LLM_MODEL)."
            ),
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 200,
            "default": None,
        },
        "fallback_models": {
            "title": "Fallback models",
            "description": "Models to try, in order, when the main one fails.",
            "type": "array",
            "items": {
                "title": "Fallback model",
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
            },
            "maxItems": 5,
            "default": [],
        },
        "max_segments": {
            "title": "Maximum segments",
            "description": "The longest reply the agent may send, in SMS segments.",
            "type": "integer",
            "minimum": 1,
            "maximum": 10,
            "default": 2,
        },
        "tests": {
            "title": "Test conversations",
            "description": (
                "Scripted replies of a contact and where the conversation "
                "should end. Run them from the API or manage.py test_agent."
            ),
            "type": "array",
            "items": AGENT_TEST_SCHEMA,
            "maxItems": 50,
            "default": [],
        },
    },
    required=("goal", "outcomes"),
)

WAIT_SCHEMA = _config_schema(
    "Wait",
    "Pause the run for a while, until a moment, or until business hours.",
    {
        "mode": {
            "title": "Wait for",
            "description": (
                "duration: a number of seconds; until: a moment given by a "
                "template; business_hours: the next moment inside business hours."
            ),
            "type": "string",
            "enum": ["duration", "until", "business_hours"],
            "default": "duration",
        },
        "seconds": {
            "title": "Seconds",
            "description": "duration only (required): how long to wait.",
            "type": "integer",
            "minimum": 1,
        },
        "until": {
            "title": "Until",
            "description": (
                "until only (required): a template that renders an ISO 8601 date "
                "and time, e.g. {{ vars.appointment_at }}."
            ),
            "type": "string",
            "minLength": 1,
            "maxLength": 500,
        },
        "timezone": {
            "title": "Time zone",
            "description": (
                "business_hours only: 'contact' for the contact's own time zone, "
                "or an IANA name like America/Chicago."
            ),
            "type": "string",
            "minLength": 1,
            "default": "contact",
        },
        "start": {
            "title": "Opens",
            "description": "business_hours only: opening time, HH:MM.",
            "type": "string",
            "pattern": CLOCK_PATTERN,
            "default": "09:00",
        },
        "end": {
            "title": "Closes",
            "description": "business_hours only: closing time, HH:MM.",
            "type": "string",
            "pattern": CLOCK_PATTERN,
            "default": "17:00",
        },
        "days": {
            "title": "Days",
            "description": "business_hours only: open days, Monday = 0 to Sunday = 6.",
            "type": "array",
            "items": {"title": "Day", "type": "integer", "minimum": 0, "maximum": 6},
            "minItems": 1,
            "uniqueItems": True,
            "default": [0, 1, 2, 3, 4],
        },
    },
)

BRANCH_SCHEMA = _config_schema(
    "Branch",
    "Take the port of the first condition that holds, or else.",
    {
        "conditions": {
            "title": "Conditions",
            "description": "Checked in order; the first that holds picks the port.",
            "type": "array",
            "items": _item(
                "Condition",
                {
                    "port": {
                        "title": "Port",
                        "description": "The port taken when this condition holds.",
                        "type": "string",
                        "pattern": SLUG_PATTERN,
                    },
                    "when": _item(
                        "Test",
                        {
                            "var": {
                                "title": "Variable",
                                "description": (
                                    "A dotted path such as steps.ask.outcome, "
                                    "contact.tags or vars.score."
                                ),
                                "type": "string",
                                "pattern": PATH_PATTERN,
                            },
                            "op": {
                                "title": "Operator",
                                "type": "string",
                                "enum": list(BRANCH_OPERATORS),
                            },
                            "value": {
                                "title": "Value",
                                "description": (
                                    "What to compare with: none for exists and "
                                    "not_exists, a list for in and not_in, a "
                                    "regular expression for matches, a number "
                                    "for gt, gte, lt and lte."
                                ),
                            },
                        },
                        required=("var", "op"),
                    ),
                },
                required=("port", "when"),
            ),
            "minItems": 1,
            "maxItems": 20,
        },
    },
    required=("conditions",),
)

SET_VARIABLES_SCHEMA = _config_schema(
    "Set variables",
    "Store values under vars for later steps to read.",
    {
        "assignments": {
            "title": "Assignments",
            "type": "array",
            "items": _item(
                "Assignment",
                {
                    "name": {
                        "title": "Name",
                        "description": "Read later as vars.<name>.",
                        "type": "string",
                        "pattern": IDENTIFIER_PATTERN,
                    },
                    "value": _template(
                        "Value", "The value, as a template.", max_chars=2000
                    ),
                },
                required=("name", "value"),
            ),
            "minItems": 1,
            "maxItems": 50,
        },
    },
    required=("assignments",),
)

CRM_UPDATE_SCHEMA = _config_schema(
    "Update CRM",
    "Change the contact's fields, tags, notes and deal.",
    {
        "fields": {
            "title": "Contact fields",
            "description": (
                "Values to set, as templates: first_name, last_name, email and "
                "time_zone are contact fields; any other name is a custom field."
            ),
            "type": "object",
            "propertyNames": {"pattern": IDENTIFIER_PATTERN},
            "additionalProperties": _template(
                "Contact field", "The value, as a template.", max_chars=2000
            ),
            "default": {},
        },
        "add_tags": {
            "title": "Tags to add",
            "type": "array",
            "items": {
                "title": "Tag",
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
            },
            "uniqueItems": True,
            "default": [],
        },
        "remove_tags": {
            "title": "Tags to remove",
            "type": "array",
            "items": {
                "title": "Tag",
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
            },
            "uniqueItems": True,
            "default": [],
        },
        "note": _template(
            "Note",
            "A note for the contact's timeline, as a template.",
            max_chars=4000,
            nullable=True,
        ),
        "deal_stage": {
            "title": "Deal stage",
            "description": (
                "Move the contact's open deal to this stage, opening a deal "
                "when there is none."
            ),
            "type": ["string", "null"],
            "enum": [*DEAL_STAGES, None],
            "default": None,
        },
        "deal_title": _template(
            "Deal title",
            "The title of a deal this step opens, as a template.",
            max_chars=200,
            nullable=True,
        ),
    },
)

HTTP_REQUEST_SCHEMA = _config_schema(
    "HTTP request",
    "Call another system's HTTP API and keep values from its JSON answer.",
    {
        "method": {
            "title": "Method",
            "type": "string",
            "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"],
            "default": "POST",
        },
        "url": _template(
            "URL", "An http or https address, as a template.", max_chars=2000
        ),
        "headers": {
            "title": "Headers",
            "description": "Request headers; each value is a template.",
            "type": "object",
            "propertyNames": {"pattern": HEADER_PATTERN},
            "additionalProperties": _template(
                "Header", "The header value, as a template.", max_chars=2000
            ),
            "default": {},
        },
        "body": _template(
            "Body",
            "A template that renders the JSON body to send.",
            max_chars=10000,
            nullable=True,
        ),
        "hmac_secret": {
            "title": "Signing secret",
            "description": "When set, the body is signed with HMAC-SHA256.",
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 256,
            "default": None,
        },
        "timeout_s": {
            "title": "Timeout (seconds)",
            "type": "integer",
            "minimum": 1,
            "maximum": 30,
            "default": 10,
        },
        "retries": {
            "title": "Retries",
            "description": (
                "How many more times to send the request after a timeout, a "
                "connection error or a 5xx answer."
            ),
            "type": "integer",
            "minimum": 0,
            "maximum": 5,
            "default": 2,
        },
        "response_map": {
            "title": "Response mapping",
            "description": (
                "Variables to set from the JSON answer: name → dotted path, "
                "e.g. score: data.score. Later steps read them as vars.<name>."
            ),
            "type": "object",
            "propertyNames": {"pattern": IDENTIFIER_PATTERN},
            "additionalProperties": {
                "title": "Response path",
                "type": "string",
                "pattern": PATH_PATTERN,
            },
            "default": {},
        },
    },
    required=("url",),
)

HUMAN_HANDOFF_SCHEMA = _config_schema(
    "Hand off to a person",
    "Put the conversation in a queue for a person, and wait for their outcome.",
    {
        "queue": {
            "title": "Queue",
            "description": (
                "The team that takes the conversation: a team of this "
                "workspace with this name, case aside and with _ read as a "
                "space (front_desk finds 'Front desk'). With no such team, "
                "the conversation keeps its team."
            ),
            "type": "string",
            "pattern": SLUG_PATTERN,
            "default": "default",
        },
        "note": _template(
            "Note",
            "What the person taking over should know, as a template.",
            max_chars=2000,
            nullable=True,
        ),
        "outcomes": {
            "title": "Outcomes",
            "description": "The choices the person picks from; each is a port.",
            "type": "array",
            "items": {"title": "Outcome", "type": "string", "pattern": SLUG_PATTERN},
            "minItems": 1,
            "maxItems": 20,
        },
    },
    required=("outcomes",),
)

END_SCHEMA = _config_schema(
    "End",
    "Finish the run, optionally recording a result.",
    {
        "result": {
            "title": "Result",
            "description": "A short word or phrase recorded on the run, e.g. 'booked'.",
            "type": ["string", "null"],
            "maxLength": 120,
            "default": None,
        },
    },
)

NODE_RETRY_SCHEMA: dict[str, Any] = {
    "$schema": SCHEMA_DIALECT,
    "title": "Retry",
    "description": "How often to run the step again when it fails, and how soon.",
    "type": "object",
    "properties": {
        "max_attempts": {
            "title": "Maximum attempts",
            "description": "How many times the step is tried in all.",
            "type": "integer",
            "minimum": 1,
            "maximum": 10,
            "default": 3,
        },
        "backoff_s": {
            "title": "Backoff (seconds)",
            "description": "The pause before the first retry; each later one doubles.",
            "type": "integer",
            "minimum": 1,
            "maximum": 3600,
            "default": 10,
        },
    },
    "additionalProperties": False,
}

NODE_KINDS: dict[str, NodeKind] = {
    kind.name: kind
    for kind in (
        NodeKind(
            name="trigger",
            label="Trigger",
            description="Start a run when something happens.",
            schema=TRIGGER_SCHEMA,
            applies_when={
                option: {"type": (owner,)} for option, owner in TRIGGER_OPTIONS.items()
            },
            ports=("next",),
            is_trigger=True,
        ),
        NodeKind(
            name="send_sms",
            label="Send SMS",
            description="Send one text message to the contact.",
            schema=SEND_SMS_SCHEMA,
            template_fields=("body",),
            sms_fields=("body",),
            ports=("sent", "blocked"),
            outputs=(
                ("message_id", "The id of the text."),
                ("status", "The text's status when the step finished."),
                ("reason", "Why the checks stopped it, on 'blocked'."),
            ),
        ),
        NodeKind(
            name="agent_sms",
            label="SMS agent",
            description="Hold a text conversation toward a goal until an outcome.",
            schema=AGENT_SMS_SCHEMA,
            template_fields=("opening_message", "reminders.*.body"),
            sms_fields=("opening_message", "reminders.*.body"),
            ports=AGENT_FIXED_PORTS,
            ports_note="One port per outcome, in order, then these.",
            is_wait=True,
            outputs=(
                ("outcome", "The outcome the agent captured."),
                ("fields", "The values captured with it, by name."),
                ("confidence", "How sure the agent was, 0 to 1."),
                ("summary", "A one-line summary of the conversation."),
                ("reason", "Why it ended on timeout, handoff or opted_out."),
                ("turns", "How many replies the agent sent."),
                ("tokens", "Prompt and completion tokens used."),
                ("cost_usd", "What the model calls cost, in US dollars."),
            ),
        ),
        NodeKind(
            name="wait",
            label="Wait",
            description="Pause for a while, until a moment, or until business hours.",
            schema=WAIT_SCHEMA,
            template_fields=("until",),
            applies_when={
                option: {"mode": (mode,)} for option, mode in WAIT_OPTIONS.items()
            },
            ports=("next",),
            is_wait=True,
            outputs=(("waited_until", "When the wait ended, ISO 8601."),),
        ),
        NodeKind(
            name="branch",
            label="Branch",
            description="Follow the port of the first condition that holds.",
            schema=BRANCH_SCHEMA,
            ports=("else",),
            ports_note="One port per condition, in order, then this one.",
            outputs=(("matched", "The port of the condition that held, or else."),),
        ),
        NodeKind(
            name="set_variables",
            label="Set variables",
            description="Store values for later steps to read as vars.",
            schema=SET_VARIABLES_SCHEMA,
            template_fields=("assignments.*.value",),
            ports=("next",),
            outputs=(("vars", "The values it set; later steps read vars.<name>."),),
        ),
        NodeKind(
            name="crm_update",
            label="Update CRM",
            description="Change the contact's fields, tags, notes or deal.",
            schema=CRM_UPDATE_SCHEMA,
            template_fields=("fields.*", "note", "deal_title"),
            ports=("next",),
            outputs=(
                ("fields", "The names of the fields it set."),
                ("tags", "The contact's tags afterwards."),
                ("note", "The id of the note it added."),
                ("deal_id", "The id of the deal it moved."),
            ),
        ),
        NodeKind(
            name="http_request",
            label="HTTP request",
            description="Call another system's API and keep values from its answer.",
            schema=HTTP_REQUEST_SCHEMA,
            template_fields=("url", "headers.*", "body"),
            ports=("success", "failure"),
            outputs=(
                ("status", "The HTTP status of the answer."),
                ("vars", "The values its response map kept, by name."),
                ("elapsed_ms", "How long the call took, in milliseconds."),
            ),
        ),
        NodeKind(
            name="human_handoff",
            label="Hand off to a person",
            description="Queue the conversation for a person and wait for them.",
            schema=HUMAN_HANDOFF_SCHEMA,
            template_fields=("note",),
            ports_note="One port per outcome, in order.",
            is_wait=True,
            outputs=(
                ("outcome", "The outcome the person chose."),
                ("resolved_by", "The username of the person."),
                ("handoff_id", "The id of the handoff."),
            ),
        ),
        NodeKind(
            name="end",
            label="End",
            description="Finish the run.",
            schema=END_SCHEMA,
            outputs=(("result", "The result recorded on the run."),),
        ),
    )
}

# Where a kind's config adds ports: the list, and the key naming each port
# in its items (None when the items are the names themselves).
_CONFIG_PORTS: dict[str, tuple[str, str | None]] = {
    "agent_sms": ("outcomes", "name"),
    "branch": ("conditions", "port"),
    "human_handoff": ("outcomes", None),
}

_CONFIG_VALIDATORS = {
    name: Draft202012Validator(kind.schema) for name, kind in NODE_KINDS.items()
}
_RETRY_VALIDATOR = Draft202012Validator(NODE_RETRY_SCHEMA)


def ports_of(node: Mapping[str, Any]) -> list[str]:
    """Return the output ports of `node`, in the order the editor shows them.

    Ports named in the config come first, in config order, then the kind's
    fixed ports; each name appears once. Never raises: an unknown kind has
    no ports, and config entries that are not names are skipped.
    """
    kind = _kind_named(node.get("kind"))
    if kind is None:
        return []

    config = node.get("config")
    names: list[str] = []
    if kind.name in _CONFIG_PORTS and isinstance(config, Mapping):
        list_key, name_key = _CONFIG_PORTS[kind.name]
        objects_only = name_key is not None
        for _, entry in _entries(config.get(list_key), objects_only=objects_only):
            name = entry.get(name_key) if name_key is not None else entry
            if isinstance(name, str) and name:
                names.append(name)

    return list(dict.fromkeys([*names, *kind.ports]))


def templates_of(node: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (field, source) for every template in the node's config.

    Fields are dotted paths from the node, e.g. "config.reminders.0.body".
    Values that are missing, null or not strings are skipped.
    """
    kind = _kind_named(node.get("kind"))
    config = node.get("config")
    if kind is None or not isinstance(config, Mapping):
        return []

    found: list[tuple[str, str]] = []
    for pattern in kind.template_fields:
        for path, value in _walk(config, pattern.split("."), "config"):
            if isinstance(value, str):
                found.append((path, value))
    return found


def kind_schemas() -> dict[str, dict[str, Any]]:
    """Return each node kind as the API serves it, ready for JSON.

    The result is a fresh copy; changing it never changes the kinds.
    """
    return {
        name: {
            "label": kind.label,
            "description": kind.description,
            "schema": copy.deepcopy(kind.schema),
            "ports": list(kind.ports),
            "ports_note": kind.ports_note,
            "template_fields": list(kind.template_fields),
            "sms_fields": list(kind.sms_fields),
            "applies_when": {
                option: {key: list(values) for key, values in needs.items()}
                for option, needs in kind.applies_when.items()
            },
            "is_wait": kind.is_wait,
            "is_trigger": kind.is_trigger,
            "outputs": dict(kind.outputs),
        }
        for name, kind in NODE_KINDS.items()
    }


def validate_graph(graph: Any) -> list[Problem]:
    """Return every problem that stops `graph` from being published.

    Never raises, whatever `graph` is: input that is not a workflow at all
    is reported as a problem too. Problems come in a stable order: the
    graph's own first, then each step's in node order, by field. An empty
    list means the engine can run the graph as written.
    """
    report = _Report()
    if not isinstance(graph, Mapping):
        report.add(
            "graph_not_object",
            "A workflow must be a JSON object with a list of nodes and a list of "
            f"edges; this is {_json_type(graph)}.",
        )
        return report.problems()

    nodes = _read_nodes(_list_at(graph, "nodes", "nodes_not_list", report), report)
    for node in nodes:
        _check_node(node, report)
    _check_trigger_count(nodes, report)

    steps = _Graph(nodes)
    _read_edges(_list_at(graph, "edges", "edges_not_list", report), steps, report)
    _check_reachable(steps, report)
    _check_ports_connected(steps, report)
    _check_loops(steps, report)
    _check_references(steps, report)

    return report.problems()


# Reading nodes and edges ---------------------------------------------------


@dataclass
class _Node:
    """One entry of `nodes`, as far as it could be read."""

    index: int
    raw: Mapping[str, Any]
    # None when the id is missing, malformed or taken by an earlier node:
    # nothing can connect to such a node, and problems name it by position.
    id: str | None
    label: str | None
    kind: NodeKind | None
    config: Mapping[str, Any]
    ports: list[str]

    @property
    def name(self) -> str:
        """How messages name the node: its label, else its id, else its place."""
        if self.label:
            return f"'{self.label}'"
        if self.id is not None:
            return f"'{self.id}'"
        return f"step {self.index + 1}"


class _Report:
    """Problems in the order they were found, sorted once at the end."""

    def __init__(self) -> None:
        self._entries: list[tuple[int, Problem]] = []

    def add(
        self,
        code: str,
        message: str,
        *,
        node: _Node | None = None,
        field: str | None = None,
        order: int = -1,
    ) -> None:
        node_id = None
        if node is not None:
            order = node.index
            node_id = node.id
            if node.id is None:
                suffix = f".{field}" if field else ""
                field = f"nodes.{node.index}{suffix}"
        self._entries.append((order, Problem(code, message, node_id, field)))

    def problems(self) -> list[Problem]:
        # sorted() is stable: problems on the same field keep the order in
        # which the checks found them.
        ordered = sorted(
            self._entries, key=lambda entry: (entry[0], _field_key(entry[1].field))
        )
        return [problem for _, problem in ordered]


def _field_key(field: str | None) -> tuple[tuple[int, int, str], ...]:
    """Sort key for a field path; list indexes compare as numbers."""
    if field is None:
        return ()
    return tuple(
        (0, int(part), "") if part.isdecimal() else (1, 0, part)
        for part in field.split(".")
    )


def _list_at(
    graph: Mapping[str, Any], key: str, code: str, report: _Report
) -> list[Any]:
    value = graph.get(key)
    if isinstance(value, list):
        return value

    found = _json_type(value) if key in graph else "missing"
    report.add(
        code,
        f"The workflow's {key} must be a list; it is {found}. "
        f'Write "{key}": [] for a workflow without any.',
        field=key,
    )
    return []


def _read_nodes(raw_nodes: list[Any], report: _Report) -> list[_Node]:
    nodes: list[_Node] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_nodes):
        if not isinstance(raw, Mapping):
            report.add(
                "node_not_object",
                f"Step {index + 1} must be a JSON object with an id, a kind and "
                f"a config; it is {_json_type(raw)}.",
                field=f"nodes.{index}",
                order=index,
            )
            continue

        label = raw.get("label")
        if not isinstance(label, str) or len(label) > LABEL_MAX_CHARS:
            label = None  # Reported by _check_label_and_position.
        kind = _kind_named(raw.get("kind"))
        config = raw.get("config", {})
        node = _Node(
            index=index,
            raw=raw,
            id=None,
            label=label.strip() if label else None,
            kind=kind,
            config=config if isinstance(config, Mapping) else {},
            ports=ports_of(raw) if kind is not None else [],
        )
        node.id = _read_node_id(node, first_index, report)
        nodes.append(node)

    return nodes


def _read_node_id(
    node: _Node, first_index: dict[str, int], report: _Report
) -> str | None:
    node_id = node.raw.get("id")
    if not isinstance(node_id, str) or not re.fullmatch(NODE_ID_PATTERN[1:-1], node_id):
        if node_id is None:
            shown = "no id"
        elif isinstance(node_id, str):
            shown = f"the id {_show(node_id)}, which can't be used"
        else:
            shown = f"an id that is {_json_type(node_id)}, not text"
        report.add(
            "invalid_node_id",
            f"{_capital(node.name)} has {shown}. Give it an id of 1 to 64 "
            "letters, digits, '-' or '_', unique in the workflow.",
            node=node,
            field="id",
        )
        return None

    if node_id in first_index:
        report.add(
            "duplicate_node_id",
            f"Steps {first_index[node_id] + 1} and {node.index + 1} both have the "
            f"id '{node_id}'. Give each step an id of its own.",
            node=node,
            field="id",
        )
        return None

    first_index[node_id] = node.index
    return node_id


def _read_edges(raw_edges: list[Any], graph: _Graph, report: _Report) -> None:
    for index, raw in enumerate(raw_edges):
        if isinstance(raw, Mapping):
            _read_edge(index, raw, graph, report)
        else:
            report.add(
                "edge_not_object",
                f"Connection {index + 1} must be a JSON object with a source, a "
                f"port and a target; it is {_json_type(raw)}.",
                field=f"edges.{index}",
            )


def _read_edge(
    index: int, raw: Mapping[str, Any], graph: _Graph, report: _Report
) -> None:
    for key in raw:
        if key not in EDGE_FIELDS:
            report.add(
                "unknown_field",
                f"Connection {index + 1} has an unknown field {_show(key)}. "
                "Remove it: a connection has only a source, a port and a target.",
                field=f"edges.{index}.{key}",
            )
    source = _edge_source(raw, index, graph, report)
    if source is None:
        return

    port, target = raw.get("port"), raw.get("target")
    if not isinstance(port, str):
        report.add(
            "invalid_edge",
            f"Connection {index + 1}, from {source.name}, has no port. Set port "
            f"to one of its ports: {_names(source.ports)}.",
            field=f"edges.{index}.port",
        )
        return
    if "target" not in raw or not isinstance(target, str | None):
        report.add(
            "invalid_edge",
            f"Connection {index + 1}, from {source.name}, has no target. Set "
            "target to a step's id, or to null to end the run there.",
            field=f"edges.{index}.target",
        )
    else:
        _check_edge(source, port, target, graph, report)

    # Even with a bad target the port is meant to be connected; reporting it
    # as dangling as well would repeat the same mistake.
    graph.connected_ports.add((_id(source), port))


def _edge_source(
    raw: Mapping[str, Any], index: int, graph: _Graph, report: _Report
) -> _Node | None:
    source_id = raw.get("source")
    if not isinstance(source_id, str):
        report.add(
            "invalid_edge",
            f"Connection {index + 1} has no source. Set source to the id of the "
            "step it leaves from.",
            field=f"edges.{index}.source",
        )
        return None

    source = graph.by_id.get(source_id)
    if source is None:
        report.add(
            "unknown_edge_source",
            f"Connection {index + 1} leaves from '{source_id}', which is not a step "
            "of this workflow. Set source to an existing step's id, or remove it.",
            field=f"edges.{index}.source",
        )
    return source


def _check_edge(
    source: _Node,
    port: str,
    target_id: str | None,
    graph: _Graph,
    report: _Report,
) -> None:
    """Check one well-formed edge, and add it to the graph when it can run."""
    path = _port_phrase(source, port)
    if source.kind is not None and port not in source.ports:
        if source.ports:
            fix = f"Use one of its ports ({_names(source.ports)}) or remove it."
        else:
            fix = f"{source.name} has no ports, so remove the connection."
        report.add(
            "unknown_port",
            f"A connection leaves {source.name} from a port '{port}' it doesn't "
            f"have. {fix}",
            node=source,
        )
    if (_id(source), port) in graph.connected_ports:
        report.add(
            "duplicate_edge",
            f"{_capital(path)} of {source.name} is connected more than once. "
            "Keep one connection: a port leads to exactly one place.",
            node=source,
        )
    if target_id is None:
        return

    target = graph.by_id.get(target_id)
    if target is None:
        report.add(
            "unknown_edge_target",
            f"{_capital(path)} of {source.name} leads to '{target_id}', which is "
            "not a step of this workflow. Connect it to a step or to End.",
            node=source,
        )
    elif target.kind is not None and target.kind.is_trigger:
        report.add(
            "edge_into_trigger",
            f"{_capital(path)} of {source.name} leads back to the trigger "
            f"{target.name}, but a trigger only starts runs. Connect it to another "
            "step or to End.",
            node=source,
        )
    else:
        if target is source and not (source.kind and source.kind.is_wait):
            report.add(
                "self_loop_without_wait",
                f"{_capital(path)} of {source.name} leads back to {source.name} "
                "itself, so a run would repeat it without pause. Connect it to "
                "another step, or put a Wait in between.",
                node=source,
            )
        graph.connect(source, target)


# One node ------------------------------------------------------------------


def _check_node(node: _Node, report: _Report) -> None:
    """Check a node's own fields and config, apart from the rest of the graph."""
    raw = node.raw
    for key in raw:
        if key not in NODE_FIELDS:
            report.add(
                "unknown_field",
                f"{_capital(node.name)} has an unknown field {_show(key)}. Remove "
                "it: a step has only id, kind, label, config, position and retry.",
                node=node,
                field=str(key),
            )
    _check_label_and_position(node, report)

    if node.kind is None:
        kind = raw.get("kind")
        shown = "no kind" if kind is None else f"the unknown kind {_show(kind)}"
        report.add(
            "unknown_kind",
            f"{_capital(node.name)} has {shown}. Set kind to one of: "
            f"{', '.join(NODE_KINDS)}.",
            node=node,
            field="kind",
        )
    elif not isinstance(raw.get("config", {}), Mapping):
        report.add(
            "invalid_config",
            f"In {node.name}, config must be a JSON object; it is "
            f"{_json_type(raw['config'])}.",
            node=node,
            field="config",
        )
    else:
        _check_schema(
            node, node.config, _CONFIG_VALIDATORS[node.kind.name], "config", report
        )
        check_kind = _KIND_CHECKS.get(node.kind.name)
        if check_kind is not None:
            check_kind(node, report)

    if raw.get("retry") is not None:
        _check_schema(node, raw["retry"], _RETRY_VALIDATOR, "retry", report)


def _check_label_and_position(node: _Node, report: _Report) -> None:
    label = node.raw.get("label")
    if label is not None and (
        not isinstance(label, str) or len(label) > LABEL_MAX_CHARS
    ):
        found = (
            f"{len(label)} characters" if isinstance(label, str) else _json_type(label)
        )
        report.add(
            "invalid_label",
            f"The label of {node.name} must be text of at most {LABEL_MAX_CHARS} "
            f"characters; it is {found}.",
            node=node,
            field="label",
        )

    if "position" not in node.raw:
        return
    position = node.raw["position"]
    if not (
        isinstance(position, Mapping)
        and set(position) == {"x", "y"}
        and all(_is_number(position[axis]) for axis in ("x", "y"))
    ):
        report.add(
            "invalid_position",
            f"The position of {node.name} must be an object with two numbers, x "
            'and y, like {"x": 0, "y": 120}.',
            node=node,
            field="position",
        )


def _check_trigger_count(nodes: list[_Node], report: _Report) -> None:
    triggers = [node for node in nodes if node.kind and node.kind.is_trigger]
    if not triggers:
        report.add(
            "no_trigger",
            "The workflow has no trigger, so nothing can start it. Add a trigger "
            "step and connect it to the first step.",
            field="nodes",
        )
    for extra in triggers[1:]:
        report.add(
            "multiple_triggers",
            f"{_capital(extra.name)} is a second trigger, but a workflow starts "
            f"from exactly one ({triggers[0].name}). Remove one, or make a second "
            "workflow.",
            node=extra,
        )


# Config against the schema -------------------------------------------------


def _check_schema(
    node: _Node,
    instance: Any,
    validator: Draft202012Validator,
    prefix: str,
    report: _Report,
) -> None:
    """Report each schema error at its field, in words a person can act on."""
    code = "invalid_config" if prefix == "config" else "invalid_retry"
    reported: set[tuple[str, str]] = set()
    for error in validator.iter_errors(instance):
        for parts, message in _explain(node, error, validator.schema, prefix):
            field = ".".join([prefix, *map(str, parts)])
            if (field, message) not in reported:
                reported.add((field, message))
                report.add(code, message, node=node, field=field)


def _explain(
    node: _Node, error: ValidationError, schema: Mapping[str, Any], prefix: str
) -> Iterator[tuple[list[str | int], str]]:
    """Yield (path, message) pairs for one error; some errors name several."""
    path = list(error.absolute_path)
    keyword = error.validator
    root = "the settings" if prefix == "config" else "the retry settings"
    where = f"In {node.name},"

    if "propertyNames" in error.relative_schema_path:
        key = error.instance
        hint = PATTERN_HINTS.get(str(error.validator_value), "a valid name")
        yield (
            [*path, key],
            f"{where} the name {_show(key)} in {_phrase(schema, path, root)} "
            f"must be {hint}.",
        )
    elif keyword == "required":
        # jsonschema reports each missing property separately, with the whole
        # list as validator_value; deduplication in _check_schema keeps one.
        for name in error.validator_value:
            if isinstance(error.instance, Mapping) and name not in error.instance:
                full = [*path, name]
                yield full, f"{where} {_phrase(schema, full, root)} is required."
    elif keyword == "additionalProperties" and error.validator_value is False:
        known = error.schema.get("properties", {})
        owner = (
            f"is not a setting of {_phrase(schema, path, root)}"
            if path
            else f"is not a {_kind_word(node, prefix)} setting"
        )
        for key in error.instance:
            if key not in known:
                yield [*path, key], f"{where} {_show(key)} {owner}. Remove it."
    else:
        yield path, f"{where} {_phrase(schema, path, root)} {_predicate(error)}."


def _predicate(error: ValidationError) -> str:
    """The end of a sentence saying what a value must be."""
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "type":
        return f"must be {_type_words(expected)}"
    if keyword == "enum":
        return f"must be one of {', '.join(_show(option) for option in expected)}"
    if keyword == "minLength":
        return "can't be empty" if expected == 1 else f"needs {expected} characters"
    if keyword == "maxLength":
        return f"must be at most {expected} characters; it has {len(value)}"
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "maximum":
        return f"must be at most {expected}"
    if keyword == "minItems" and expected == 1:
        return "must have at least one entry"
    if keyword == "minItems":
        return f"must have at least {expected} entries"
    if keyword == "maxItems":
        return f"can have at most {expected} entries; it has {len(value)}"
    if keyword == "uniqueItems":
        return "lists the same value more than once"
    if keyword == "pattern":
        hint = PATTERN_HINTS.get(str(expected), f"in the form {expected}")
        return f"must be {hint}, not {_show(value)}"
    return f"is not valid: {error.message}"


def _phrase(schema: Mapping[str, Any], parts: list[str | int], root: str) -> str:
    """Name a config path with the schema's titles: "the name of outcome 2"."""
    pieces: list[str] = []
    current: Mapping[str, Any] = schema
    for part in parts:
        if part in current.get("properties", {}):
            current = _subschema(current["properties"][part])
            pieces.append(f"the {_lower(current.get('title', part))}")
            continue

        if isinstance(part, int):
            current = _subschema(current.get("items"))
            piece = f"{_lower(current.get('title', 'entry'))} {part + 1}"
        else:
            current = _subschema(current.get("additionalProperties"))
            title = current.get("title")
            piece = f"the {_lower(title)} '{part}'" if title else f"'{part}'"
        # An entry of a list or a map replaces the collection's own title:
        # "outcome 2" rather than "outcome 2 of the outcomes".
        if pieces:
            pieces[-1] = piece
        else:
            pieces.append(piece)

    return " of ".join(reversed(pieces)) or root


def _field_phrase(node: _Node, field: str) -> str:
    """_phrase for a node field path such as "config.reminders.0.body"."""
    parts: list[str | int] = [
        int(part) if part.isdecimal() else part for part in field.split(".")[1:]
    ]
    schema = node.kind.schema if node.kind else {}
    return _phrase(schema, parts, "the settings")


def _subschema(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _lower(title: str) -> str:
    """Lower-case a title's first letter, unless it starts an acronym (URL)."""
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]


def _kind_word(node: _Node, prefix: str) -> str:
    if prefix == "retry" or node.kind is None:
        return "retry"
    return node.kind.label


def _type_words(expected: str | list[str]) -> str:
    words = {
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "array": "a list",
        "object": "an object",
        "null": "empty (null)",
    }
    names = [expected] if isinstance(expected, str) else expected
    return " or ".join(words.get(name, name) for name in names)


# Kind-specific rules -------------------------------------------------------


def _check_trigger(node: _Node, report: _Report) -> None:
    config = node.config
    trigger_type = config.get("type")
    if not isinstance(trigger_type, str) or trigger_type not in TRIGGER_TYPES:
        return

    for option, owner in TRIGGER_OPTIONS.items():
        if owner != trigger_type and config.get(option) not in (None, "", {}):
            report.add(
                "unused_setting",
                f"In {node.name}, {option} only applies to {owner} triggers, and "
                f"this one is {trigger_type}. Remove {option} or change the type.",
                node=node,
                field=f"config.{option}",
            )

    field_map = config.get("field_map")
    if trigger_type == "webhook" and (
        field_map is None
        or (isinstance(field_map, Mapping) and "phone" not in field_map)
    ):
        report.add(
            "missing_setting",
            f"In {node.name}, the field mapping doesn't say where the phone number "
            "is, so a webhook call can't be matched to a contact. Map phone to its "
            'path in the payload, e.g. "phone": "form.phone".',
            node=node,
            field="config.field_map.phone",
        )
    if trigger_type == "contact_tagged" and config.get("tag") is None:
        report.add(
            "missing_setting",
            f"In {node.name}, set the tag that starts a run: a contact_tagged "
            "trigger needs one.",
            node=node,
            field="config.tag",
        )


_FIXED_PORT_MEANINGS = {
    "timeout": "the contact stops replying",
    "handoff": "the conversation goes to a person",
    "opted_out": "the contact opts out",
}


def _check_agent_sms(node: _Node, report: _Report) -> None:
    config = node.config
    first: dict[str, int] = {}
    for index, outcome in _entries(config.get("outcomes")):
        name = outcome.get("name")
        field = f"config.outcomes.{index}.name"
        if isinstance(name, str) and name in _FIXED_PORT_MEANINGS:
            report.add(
                "reserved_port",
                f"In {node.name}, outcome {index + 1} is named '{name}', which is "
                f"already the port taken when {_FIXED_PORT_MEANINGS[name]}. "
                "Choose another name.",
                node=node,
                field=field,
            )
        elif isinstance(name, str) and name in first:
            report.add(
                "duplicate_port",
                f"In {node.name}, outcomes {first[name] + 1} and {index + 1} are both "
                f"named '{name}'. Rename one: each outcome is a port of its own.",
                node=node,
                field=field,
            )
        elif isinstance(name, str):
            first[name] = index
        _check_outcome_fields(node, outcome, f"config.outcomes.{index}", report)

    handoff = config.get("handoff")
    if isinstance(handoff, Mapping):
        for index, name in _entries(handoff.get("review_outcomes"), objects_only=False):
            if isinstance(name, str) and name not in first:
                report.add(
                    "unknown_review_outcome",
                    f"In {node.name}, the outcome '{name}' is set for review, but "
                    f"there is no such outcome. Use one of: {_names(first)}.",
                    node=node,
                    field=f"config.handoff.review_outcomes.{index}",
                )

    _check_reminders(node, report)
    _check_agent_tests(node, report)


def _check_agent_tests(node: _Node, report: _Report) -> None:
    outcomes = {
        o.get("name"): o
        for _, o in _entries(node.config.get("outcomes"))
        if isinstance(o.get("name"), str)
    }
    ports = [*outcomes, *AGENT_FIXED_PORTS]
    for index, test in _entries(node.config.get("tests")):
        port = test.get("expect_port")
        prefix = f"config.tests.{index}"
        if isinstance(port, str) and port not in ports:
            report.add(
                "unknown_port",
                f"In {node.name}, test {index + 1} expects the port '{port}', which "
                f"this step does not have. Use one of: {', '.join(ports)}.",
                node=node,
                field=f"{prefix}.expect_port",
            )
            continue
        if test.get("now") is not None and _parse_moment(test["now"]) is None:
            report.add(
                "invalid_datetime",
                f"In {node.name}, test {index + 1} has a current time that is "
                "not an ISO date and time such as 2026-12-01T10:00:00-05:00.",
                node=node,
                field=f"{prefix}.now",
            )
        expected = test.get("expect_fields")
        if not isinstance(expected, Mapping) or not expected:
            continue
        names = {
            f.get("name") for _, f in _entries(outcomes.get(port, {}).get("fields"))
        }
        for name in expected:
            if name not in names:
                report.add(
                    "unknown_field",
                    f"In {node.name}, test {index + 1} expects a field '{name}', "
                    f"which the outcome '{port}' does not capture.",
                    node=node,
                    field=f"{prefix}.expect_fields.{name}",
                )


def _parse_moment(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _check_outcome_fields(
    node: _Node, outcome: Mapping[str, Any], prefix: str, report: _Report
) -> None:
    """Field names are unique in an outcome; enum fields, and only they, list values."""
    owner = _field_phrase(node, prefix)
    seen: set[str] = set()
    for index, spec in _entries(outcome.get("fields")):
        name = spec.get("name")
        field = f"{prefix}.fields.{index}"
        if isinstance(name, str) and name in seen:
            report.add(
                "duplicate_name",
                f"In {node.name}, two fields of {owner} are named '{name}'. "
                "Rename one.",
                node=node,
                field=f"{field}.name",
            )
        if isinstance(name, str):
            seen.add(name)

        is_enum, has_values = spec.get("type") == "enum", "values" in spec
        if is_enum != has_values:
            fix = (
                "is an enum, so list the values to choose from."
                if is_enum
                else "lists values, which only enum fields use. Remove them, or "
                "set the type to enum."
            )
            report.add(
                "invalid_enum_values",
                f"In {node.name}, field {index + 1} of {owner} {fix}",
                node=node,
                field=f"{field}.values",
            )


def _check_reminders(node: _Node, report: _Report) -> None:
    timeout_s = node.config.get("reply_timeout_s", DEFAULT_REPLY_TIMEOUT_S)
    if not _is_integer(timeout_s):
        return
    for index, reminder in _entries(node.config.get("reminders")):
        after_s = reminder.get("after_s")
        if _is_integer(after_s) and after_s >= timeout_s:
            report.add(
                "reminder_after_timeout",
                f"In {node.name}, reminder {index + 1} comes after {after_s} seconds, "
                f"but the conversation times out after {timeout_s}, so it would "
                "never be sent. Send it sooner, or raise the reply timeout.",
                node=node,
                field=f"config.reminders.{index}.after_s",
            )


def _check_wait(node: _Node, report: _Report) -> None:
    config = node.config
    mode = config.get("mode", "duration")
    for needed_mode, setting, what in (
        ("duration", "seconds", "the number of seconds to wait"),
        ("until", "until", "a template giving the ISO date and time to wait for"),
    ):
        if mode == needed_mode and config.get(setting) is None:
            report.add(
                "missing_setting",
                f"In {node.name}, a {mode} wait needs {setting}, {what}. Set it.",
                node=node,
                field=f"config.{setting}",
            )

    zone = config.get("timezone")
    if isinstance(zone, str) and zone and zone != "contact" and not _is_zone(zone):
        report.add(
            "unknown_time_zone",
            f"In {node.name}, '{zone}' is not a time zone. Use 'contact' for the "
            "contact's own zone, or an IANA name like America/Chicago.",
            node=node,
            field="config.timezone",
        )

    start, end = config.get("start", "09:00"), config.get("end", "17:00")
    if _is_clock(start) and _is_clock(end) and end <= start:
        report.add(
            "invalid_business_hours",
            f"In {node.name}, business hours close at {end}, which is not after "
            f"they open at {start}. Set a later closing time; hours that run "
            "past midnight aren't supported.",
            node=node,
            field="config.end",
        )


def _check_branch(node: _Node, report: _Report) -> None:
    first: dict[str, int] = {}
    for index, condition in _entries(node.config.get("conditions")):
        port = condition.get("port")
        field = f"config.conditions.{index}.port"
        if port == "else":
            report.add(
                "reserved_port",
                f"In {node.name}, condition {index + 1} uses the port 'else', which "
                "is taken when no condition holds. Choose another name.",
                node=node,
                field=field,
            )
        elif isinstance(port, str) and port in first:
            report.add(
                "duplicate_port",
                f"In {node.name}, conditions {first[port] + 1} and {index + 1} both "
                f"use the port '{port}'. Rename one, or merge the two conditions.",
                node=node,
                field=field,
            )
        elif isinstance(port, str):
            first[port] = index

        when = condition.get("when")
        if isinstance(when, Mapping):
            _check_condition_value(node, index, when, report)


def _check_condition_value(
    node: _Node, index: int, when: Mapping[str, Any], report: _Report
) -> None:
    op = when.get("op")
    problem = _condition_value_problem(op, when)
    if problem is not None:
        report.add(
            "invalid_condition_value",
            f"In {node.name}, condition {index + 1} uses '{op}', which {problem}",
            node=node,
            field=f"config.conditions.{index}.when.value",
        )


def _condition_value_problem(op: Any, when: Mapping[str, Any]) -> str | None:
    """What is wrong with a condition's value for its operator, if anything.

    An unknown operator gives None: the schema reports it.
    """
    value = when.get("value")
    if op in ("exists", "not_exists"):
        return "takes no value. Remove the value." if "value" in when else None
    if op in ("in", "not_in") and not isinstance(value, list):
        return 'compares with a list. Set the value to one, like ["a", "b"].'
    if op in ("gt", "gte", "lt", "lte") and not _is_number(value):
        return "compares numbers. Set the value to a number."
    if op == "matches":
        if not isinstance(value, str):
            return "needs a regular expression. Set the value to one, as text."
        try:
            re.compile(value)
        except (re.error, OverflowError, RecursionError) as exc:
            return f"needs a valid regular expression ({exc}). Fix the pattern."
    if op in ("eq", "neq", "contains", "not_contains") and "value" not in when:
        return "needs a value to compare with. Set the value."
    return None


def _check_set_variables(node: _Node, report: _Report) -> None:
    seen: set[str] = set()
    for index, assignment in _entries(node.config.get("assignments")):
        name = assignment.get("name")
        if isinstance(name, str) and name in seen:
            report.add(
                "duplicate_name",
                f"In {node.name}, '{name}' is assigned twice; only one value would "
                "be kept. Remove one assignment.",
                node=node,
                field=f"config.assignments.{index}.name",
            )
        if isinstance(name, str):
            seen.add(name)


# Names that would silently become custom fields though people mean the
# contact's own attributes.
_CRM_RESERVED_FIELDS = {
    "phone": "the phone number identifies the contact and can't be changed here",
    "full_name": "set first_name and last_name instead",
    "tags": "use add_tags and remove_tags instead",
}


def _check_crm_update(node: _Node, report: _Report) -> None:
    fields = node.config.get("fields")
    if not isinstance(fields, Mapping):
        return
    for name in fields:
        if name in _CRM_RESERVED_FIELDS:
            report.add(
                "reserved_field_name",
                f"In {node.name}, '{name}' can't be set: {_CRM_RESERVED_FIELDS[name]}.",
                node=node,
                field=f"config.fields.{name}",
            )


def _check_http_request(node: _Node, report: _Report) -> None:
    url = node.config.get("url")
    # A URL that starts with a template expression is only known at run
    # time; the request itself refuses other schemes then.
    if not isinstance(url, str) or url.lstrip().startswith("{"):
        return
    if not re.match(r"https?://\S", url.strip(), re.IGNORECASE):
        report.add(
            "invalid_url",
            f"In {node.name}, the URL must start with http:// or https://; it is "
            f"{_show(url)}.",
            node=node,
            field="config.url",
        )


def _check_human_handoff(node: _Node, report: _Report) -> None:
    first: dict[str, int] = {}
    for index, name in _entries(node.config.get("outcomes"), objects_only=False):
        if isinstance(name, str) and name in first:
            report.add(
                "duplicate_port",
                f"In {node.name}, outcomes {first[name] + 1} and {index + 1} are both "
                f"'{name}'. Remove one: each outcome is a port of its own.",
                node=node,
                field=f"config.outcomes.{index}",
            )
        elif isinstance(name, str):
            first[name] = index


_KIND_CHECKS: dict[str, Callable[[_Node, _Report], None]] = {
    "trigger": _check_trigger,
    "agent_sms": _check_agent_sms,
    "wait": _check_wait,
    "branch": _check_branch,
    "set_variables": _check_set_variables,
    "crm_update": _check_crm_update,
    "http_request": _check_http_request,
    "human_handoff": _check_human_handoff,
}


# The graph as a whole ------------------------------------------------------


class _Graph:
    """The nodes that have ids, and the edges between them that can run."""

    def __init__(self, nodes: list[_Node]) -> None:
        self.nodes = nodes
        self.by_id = {node.id: node for node in nodes if node.id is not None}
        self.successors: dict[str, list[str]] = {node_id: [] for node_id in self.by_id}
        self.predecessors: dict[str, list[str]] = {
            node_id: [] for node_id in self.by_id
        }
        self.connected_ports: set[tuple[str, str]] = set()
        self._ancestors: dict[str, set[str]] = {}

    def connect(self, source: _Node, target: _Node) -> None:
        self.successors[_id(source)].append(_id(target))
        self.predecessors[_id(target)].append(_id(source))

    def reachable(self, starts: Iterable[str], links: dict[str, list[str]]) -> set[str]:
        """Ids reached from `starts` along one or more links."""
        found: set[str] = set()
        todo = [next_id for start in starts for next_id in links[start]]
        while todo:
            node_id = todo.pop()
            if node_id not in found:
                found.add(node_id)
                todo.extend(links[node_id])
        return found

    def ancestors(self, node_id: str) -> set[str]:
        """Ids with a path to `node_id`; the node itself only on a loop."""
        if node_id not in self._ancestors:
            self._ancestors[node_id] = self.reachable([node_id], self.predecessors)
        return self._ancestors[node_id]


def _check_reachable(graph: _Graph, report: _Report) -> None:
    triggers = [
        node_id
        for node_id, node in graph.by_id.items()
        if node.kind is not None and node.kind.is_trigger
    ]
    if not triggers:
        return  # Reported as no_trigger; every step would be unreachable.

    reached = graph.reachable(triggers, graph.successors) | set(triggers)
    for node_id, node in graph.by_id.items():
        if node_id not in reached:
            report.add(
                "unreachable_node",
                f"{_capital(node.name)} can't be reached from the trigger, so it "
                "would never run. Connect a port to it, or remove it.",
                node=node,
            )


def _check_ports_connected(graph: _Graph, report: _Report) -> None:
    for node_id, node in graph.by_id.items():
        for port in node.ports:
            if (node_id, port) not in graph.connected_ports:
                report.add(
                    "port_not_connected",
                    f"{_capital(_port_phrase(node, port))} of {node.name} isn't "
                    "connected. Connect it to a step or to End.",
                    node=node,
                )


def _check_loops(graph: _Graph, report: _Report) -> None:
    """Every loop must pass a step that waits, or a run would spin forever.

    Self-loops are reported when their edge is read.
    """
    for component in _strongly_connected(graph):
        if len(component) < 2:
            continue
        members = sorted(
            (graph.by_id[node_id] for node_id in component), key=lambda n: n.index
        )
        if any(node.kind is not None and node.kind.is_wait for node in members):
            continue
        names = [node.name for node in members[:5]]
        if len(members) > 5:
            names.append(f"{len(members) - 5} more steps")
        listed = ", ".join(names[:-1]) + f" and {names[-1]}"
        report.add(
            "cycle_without_wait",
            f"{listed} form a loop in which nothing waits, so a run would go round "
            "it without pause. Add a Wait, an SMS agent or a hand-off to the loop, "
            "or remove one of its connections.",
            node=members[0],
        )


def _strongly_connected(graph: _Graph) -> list[list[str]]:
    """The graph's strongly connected components (Kosaraju, without recursion)."""
    finished: list[str] = []
    visited: set[str] = set()
    for start in graph.by_id:
        if start in visited:
            continue
        visited.add(start)
        stack = [(start, iter(graph.successors[start]))]
        while stack:
            node_id, children = stack[-1]
            for child in children:
                if child not in visited:
                    visited.add(child)
                    stack.append((child, iter(graph.successors[child])))
                    break
            else:
                stack.pop()
                finished.append(node_id)

    components: list[list[str]] = []
    assigned: set[str] = set()
    for start in reversed(finished):
        if start in assigned:
            continue
        assigned.add(start)
        component, todo = [], [start]
        while todo:
            node_id = todo.pop()
            component.append(node_id)
            for parent in graph.predecessors[node_id]:
                if parent not in assigned:
                    assigned.add(parent)
                    todo.append(parent)
        components.append(component)
    return components


# Templates and the values they read ----------------------------------------


def _check_references(graph: _Graph, report: _Report) -> None:
    for node in graph.nodes:
        for field, source in templates_of(node.raw):
            _check_template(graph, node, field, source, report)

        if node.kind is None or node.kind.name != "branch":
            continue
        for index, condition in _entries(node.config.get("conditions")):
            when = condition.get("when")
            path = when.get("var") if isinstance(when, Mapping) else None
            if isinstance(path, str) and re.fullmatch(PATH_PATTERN[1:-1], path):
                field = f"config.conditions.{index}.when.var"
                _check_path(graph, node, field, path, report, in_template=False)


def _check_template(
    graph: _Graph, node: _Node, field: str, source: str, report: _Report
) -> None:
    try:
        references = template_references(source)
        strangers = unknown_roots(source)
        if not strangers:
            # Compiling catches what parsing allows but a run would refuse:
            # unknown filters and tests, includes.
            check_template(source)
    except TemplateSyntaxProblem as exc:
        where = f" on line {exc.line}" if exc.line else ""
        report.add(
            "template_syntax",
            f"In {node.name}, {_field_phrase(node, field)} has an error{where}. "
            f"{_sentence(exc.detail)} Fix the template.",
            node=node,
            field=field,
        )
        return
    except TemplateError:
        # Only a source over the template size limit gets here, and every
        # template field's schema maxLength is within that limit, so the
        # length has been reported as invalid_config already.
        return

    allowed = ", ".join(sorted(ALLOWED_ROOTS))
    for root in sorted(strangers):
        report.add(
            "unknown_root",
            f"In {node.name}, {_field_phrase(node, field)} reads '{root}', which "
            f"templates don't provide. Use one of {allowed}, or define '{root}' "
            "in the template first.",
            node=node,
            field=field,
        )
    for path in sorted(references):
        _check_path(graph, node, field, path, report, in_template=True)


def _check_path(
    graph: _Graph,
    node: _Node,
    field: str,
    path: str,
    report: _Report,
    *,
    in_template: bool,
) -> None:
    """Check one dotted path read by a template or a branch condition."""
    root, _, rest = path.partition(".")
    key = rest.split(".")[0]
    subject = f"In {node.name}, {_field_phrase(node, field)} reads {path}"
    if root not in ALLOWED_ROOTS:
        # Template roots come from unknown_roots(), which also leaves out
        # names the template defines itself.
        if not in_template:
            report.add(
                "unknown_root",
                f"{subject}, but a condition can only read paths that start with "
                f"{', '.join(sorted(ALLOWED_ROOTS))}. Fix the path.",
                node=node,
                field=field,
            )
        return
    if not key:
        return

    if root == "steps":
        _check_step_reference(graph, node, field, key, subject, report)
    elif root == "vars" and node.id is not None:
        if key not in _variables_before(graph, node.id):
            report.add(
                "unknown_variable",
                f"{subject}, but no step before it sets '{key}'. Set it in a Set "
                "variables step (or an HTTP request's response mapping) that "
                "leads here, or fix the name.",
                node=node,
                field=field,
            )
    elif root in ROOT_ATTRIBUTES and key not in ROOT_ATTRIBUTES[root]:
        custom = " Custom fields are under contact.fields." if root == "contact" else ""
        report.add(
            "unknown_attribute",
            f"{subject}, but {root} has no '{key}'. It has "
            f"{_names(ROOT_ATTRIBUTES[root])}.{custom}",
            node=node,
            field=field,
        )


def _check_step_reference(
    graph: _Graph, node: _Node, field: str, key: str, subject: str, report: _Report
) -> None:
    other = graph.by_id.get(key)
    if other is None:
        report.add(
            "unknown_step_reference",
            f"{subject}, but there is no step with the id '{key}'. Use the id of a "
            "step that runs before this one.",
            node=node,
            field=field,
        )
    elif node.id is not None and key not in graph.ancestors(node.id):
        reason = (
            "that is this step's own output, which doesn't exist until it has run"
            if other is node
            else f"{other.name} doesn't lead to this step, so its output isn't "
            "there yet"
        )
        report.add(
            "step_not_upstream",
            f"{subject}, but {reason}. Read only steps that come before this one.",
            node=node,
            field=field,
        )


def _variables_before(graph: _Graph, node_id: str) -> set[str]:
    """Names set under vars by some step with a path to `node_id`."""
    return set(_variable_setters(graph, node_id))


def _variable_setters(graph: _Graph, node_id: str) -> dict[str, _Node]:
    """Each name set under vars before `node_id`, with the first step setting it."""
    setters: dict[str, _Node] = {}
    ancestors = graph.ancestors(node_id)
    for ancestor in graph.nodes:
        if ancestor.id not in ancestors:
            continue
        kind = ancestor.kind.name if ancestor.kind else None
        names: list[Any] = []
        if kind == "set_variables":
            names = [
                a.get("name") for _, a in _entries(ancestor.config.get("assignments"))
            ]
        elif kind == "http_request":
            response_map = ancestor.config.get("response_map")
            names = list(response_map) if isinstance(response_map, Mapping) else []
        for name in names:
            if isinstance(name, str):
                setters.setdefault(name, ancestor)
    return setters


@dataclass(frozen=True)
class Reads:
    """What a step's templates and conditions may read, as the graph says.

    `trigger` is the trigger step, `upstream` the steps with a path to the
    step (the step itself only on a loop), both as written in the graph;
    `variables` maps each name under vars to the id of a step setting it.
    """

    trigger: Mapping[str, Any] | None
    upstream: list[Mapping[str, Any]]
    variables: dict[str, str]


def reads_at(graph: Any, node_id: str) -> Reads | None:
    """What a template or condition in `node_id` may read; None if no such step.

    The graph is read as `validate_graph` reads it, with the same rules for
    `steps.<id>` and `vars.<name>`, so a draft that still has problems gets
    an answer for every part that can be read.
    """
    if not isinstance(graph, Mapping):
        return None
    ignored = _Report()  # Problems are validate_graph's to report.
    nodes = _read_nodes(_list_at(graph, "nodes", "nodes_not_list", ignored), ignored)
    steps = _Graph(nodes)
    _read_edges(_list_at(graph, "edges", "edges_not_list", ignored), steps, ignored)
    if node_id not in steps.by_id:
        return None

    ancestors = steps.ancestors(node_id)
    trigger = next((n for n in nodes if n.kind and n.kind.is_trigger), None)
    return Reads(
        trigger=trigger.raw if trigger is not None else None,
        upstream=[node.raw for node in nodes if node.id in ancestors],
        variables={
            name: _id(setter)
            for name, setter in _variable_setters(steps, node_id).items()
        },
    )


# Small helpers -------------------------------------------------------------


def _kind_named(name: Any) -> NodeKind | None:
    return NODE_KINDS.get(name) if isinstance(name, str) else None


def _id(node: _Node) -> str:
    """The id of a node known to be in the graph."""
    assert node.id is not None
    return node.id


def _entries(value: Any, *, objects_only: bool = True) -> Iterator[tuple[int, Any]]:
    """(index, item) for a list value; only object items when `objects_only`."""
    if not isinstance(value, list):
        return
    for index, item in enumerate(value):
        if isinstance(item, Mapping) or not objects_only:
            yield index, item


def _walk(value: Any, segments: list[str], path: str) -> Iterator[tuple[str, Any]]:
    """Follow a template field pattern; `*` fans out over a list or an object."""
    if not segments:
        yield path, value
        return

    head, rest = segments[0], segments[1:]
    if head == "*" and isinstance(value, Mapping):
        children = [(str(key), child) for key, child in value.items()]
    elif head == "*" and isinstance(value, list):
        children = [(str(index), child) for index, child in enumerate(value)]
    elif isinstance(value, Mapping) and head in value:
        children = [(head, value[head])]
    else:
        return
    for key, child in children:
        yield from _walk(child, rest, f"{path}.{key}")


def _port_phrase(node: _Node, port: str) -> str:
    has_outcomes = node.kind is not None and node.kind.name in (
        "agent_sms",
        "human_handoff",
    )
    if has_outcomes and port not in AGENT_FIXED_PORTS:
        return f"the outcome '{port}'"
    return f"the '{port}' port"


def _names(names: Iterable[str]) -> str:
    listed = ", ".join(names)
    return listed or "none"


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"'{shown}'"
    return _json_type(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__


def _capital(text: str) -> str:
    """Upper-case the first letter only; str.capitalize() lowers the rest."""
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip() or "the template can't be read"
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_clock(value: Any) -> bool:
    return (
        isinstance(value, str) and re.fullmatch(CLOCK_PATTERN[1:-1], value) is not None
    )


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        # ZoneInfoNotFoundError is a KeyError; malformed names raise
        # ValueError, and a directory such as "America" an OSError.
        return False
    return True
