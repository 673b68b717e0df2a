"""The agent's tools: their schemas, and the checks every call must pass.

The tool set is fixed here, in code. Nothing a contact texts can add a
tool, widen one, or point one at another contact: each tool acts on the
run's own contact, and its arguments are checked against the node's
outcome schema before anything happens. A call that fails the checks is
returned to the model with the reason, so it can correct itself.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_date, parse_datetime

from workflows.agent.brief import Brief, FieldSpec

CAPTURE_OUTCOME = "capture_outcome"
REQUEST_HANDOFF = "request_handoff"
UPDATE_CONTACT = "update_contact"
END_CONVERSATION = "end_conversation"
# The contact fields the agent may change; the phone number, consent and
# tags are not among them.
CONTACT_FIELDS = ("first_name", "last_name", "email")
MAX_TEXT = 500


@dataclass(frozen=True)
class ToolCall:
    """A checked call: `args` are the cleaned arguments."""

    id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    id: str
    name: str
    raw: str
    error: str


@dataclass
class Checked:
    calls: list[ToolCall] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def tool_schemas(brief: Brief) -> list[dict]:
    """The tools offered to the model, in OpenAI's function format."""
    properties: dict[str, Any] = {}
    for outcome in brief.outcomes:
        for spec in outcome.fields:
            properties.setdefault(spec.name, _json_type(spec))
    outcome_lines = "; ".join(
        f"{o.name}: {o.description or o.name}"
        + (
            f" (required: {', '.join(f.name for f in o.fields if f.required)})"
            if any(f.required for f in o.fields)
            else ""
        )
        for o in brief.outcomes
    )
    contact_props = {name: {"type": "string"} for name in CONTACT_FIELDS}
    return [
        _function(
            CAPTURE_OUTCOME,
            "End the conversation with one of the outcomes and the values "
            f"learned. Outcomes: {outcome_lines}.",
            {
                "outcome": {
                    "type": "string",
                    "enum": [o.name for o in brief.outcomes],
                },
                "fields": {
                    "type": "object",
                    "properties": properties,
                    "additionalProperties": False,
                },
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "summary": {"type": "string", "description": "One sentence."},
            },
            required=["outcome"],
        ),
        _function(
            REQUEST_HANDOFF,
            "Hand the conversation to a person, with the reason.",
            {"reason": {"type": "string"}},
            required=["reason"],
        ),
        _function(
            UPDATE_CONTACT,
            "Save details the contact states about themselves.",
            {
                "fields": {
                    "type": "object",
                    "properties": contact_props,
                    "additionalProperties": False,
                }
            },
            required=["fields"],
        ),
        _function(
            END_CONVERSATION,
            "Close the conversation, after an outcome or when the contact "
            "wants no more texts, with a one-sentence summary.",
            {"summary": {"type": "string"}},
            required=["summary"],
        ),
    ]


def _function(
    name: str, description: str, properties: dict, *, required: list[str]
) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


def _json_type(spec: FieldSpec) -> dict[str, Any]:
    if spec.type == "enum":
        return {"type": "string", "enum": list(spec.values)}
    if spec.type in ("number", "boolean"):
        return {"type": spec.type}
    if spec.type == "date":
        return {"type": "string", "description": "YYYY-MM-DD"}
    if spec.type == "datetime":
        return {"type": "string", "description": "ISO 8601 with UTC offset"}
    return {"type": "string"}


def check_calls(raw_calls: list[tuple[str, str, str]], brief: Brief) -> Checked:
    """Check each (id, name, arguments JSON) call against the brief."""
    checked = Checked()
    for call_id, name, raw in raw_calls:
        try:
            args = json.loads(raw or "{}")
            if not isinstance(args, dict):
                raise InvalidCall("The arguments must be a JSON object.")
            cleaned = _check(name, args, brief)
        except json.JSONDecodeError:
            checked.rejections.append(
                Rejection(call_id, name, raw, "The arguments are not valid JSON.")
            )
        except InvalidCall as exc:
            checked.rejections.append(Rejection(call_id, name, raw, str(exc)))
        else:
            checked.calls.append(ToolCall(call_id, name, cleaned))
    return checked


class InvalidCall(Exception):
    pass


def _check(name: str, args: dict[str, Any], brief: Brief) -> dict[str, Any]:
    if name == CAPTURE_OUTCOME:
        return _check_outcome(args, brief)
    if name == REQUEST_HANDOFF:
        return {"reason": _text(args, "reason", required=True)}
    if name == UPDATE_CONTACT:
        return {"fields": _check_contact_fields(args.get("fields"))}
    if name == END_CONVERSATION:
        return {"summary": _text(args, "summary")}
    offered = ", ".join(
        (CAPTURE_OUTCOME, REQUEST_HANDOFF, UPDATE_CONTACT, END_CONVERSATION)
    )
    raise InvalidCall(f"There is no tool named {name!r}. The tools are: {offered}.")


def _text(args: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = args.get(key, "")
    if not isinstance(value, str):
        raise InvalidCall(f"'{key}' must be a string.")
    value = " ".join(value.split())[:MAX_TEXT]
    if required and not value:
        raise InvalidCall(f"'{key}' is required.")
    return value


def _check_outcome(args: dict[str, Any], brief: Brief) -> dict[str, Any]:
    name = args.get("outcome")
    outcome = brief.outcome(name) if isinstance(name, str) else None
    if outcome is None:
        choices = ", ".join(o.name for o in brief.outcomes)
        raise InvalidCall(f"'outcome' must be one of: {choices}; got {name!r}.")
    given = args.get("fields") or {}
    if not isinstance(given, dict):
        raise InvalidCall("'fields' must be an object.")
    specs = {spec.name: spec for spec in outcome.fields}
    unknown = sorted(set(given) - set(specs))
    if unknown:
        allowed = ", ".join(specs) or "none"
        raise InvalidCall(
            f"Outcome '{outcome.name}' has no field {', '.join(unknown)}; "
            f"its fields are: {allowed}."
        )
    fields: dict[str, Any] = {}
    problems = []
    for spec in outcome.fields:
        value = given.get(spec.name)
        if value in (None, ""):
            if spec.required:
                problems.append(
                    f"'{spec.name}' is required for '{outcome.name}'; ask the "
                    "contact for it"
                )
            continue
        try:
            fields[spec.name] = clean_value(spec, value, brief.now)
        except ValueError as exc:
            problems.append(f"'{spec.name}' {exc}")
    if problems:
        raise InvalidCall("; ".join(problems) + ".")
    confidence = args.get("confidence", 1.0)
    if (
        not isinstance(confidence, int | float)
        or isinstance(confidence, bool)
        or not 0 <= confidence <= 1
    ):
        raise InvalidCall("'confidence' must be a number from 0 to 1.")
    return {
        "outcome": outcome.name,
        "fields": fields,
        "confidence": float(confidence),
        "summary": _text(args, "summary"),
    }


def clean_value(spec: FieldSpec, value: Any, now: datetime.datetime) -> Any:
    """`value` as the field's type; ValueError says what is wrong."""
    if spec.type == "number":
        if isinstance(value, bool):
            raise ValueError("must be a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("must be a number") from None
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return int(number) if number.is_integer() else number
    if spec.type == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in ("true", "yes"):
            return True
        if str(value).strip().lower() in ("false", "no"):
            return False
        raise ValueError("must be true or false")
    text = str(value).strip()
    if spec.type == "enum":
        for allowed in spec.values:
            if allowed.casefold() == text.casefold():
                return allowed
        raise ValueError(f"must be one of: {', '.join(spec.values)}")
    if spec.type == "date":
        day = _parse_date(text)
        if day is None:
            raise ValueError("must be a date such as 2026-12-24")
        return day.isoformat()
    if spec.type == "datetime":
        moment = _parse_datetime(text)
        if moment is None:
            raise ValueError(
                "must be a date and time such as 2026-12-24T15:00:00-05:00"
            )
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=now.tzinfo)
        return moment.isoformat()
    if not isinstance(value, str | int | float):
        raise ValueError("must be text")
    return " ".join(text.split())[:MAX_TEXT]


def _parse_date(text: str) -> datetime.date | None:
    try:
        return parse_date(text)
    except ValueError:
        return None


def _parse_datetime(text: str) -> datetime.datetime | None:
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def _check_contact_fields(given: Any) -> dict[str, str]:
    if not isinstance(given, dict) or not given:
        raise InvalidCall("'fields' must be an object with at least one field.")
    refused = sorted(set(given) - set(CONTACT_FIELDS))
    if refused:
        raise InvalidCall(
            f"The agent cannot change {', '.join(refused)}. It may update only: "
            f"{', '.join(CONTACT_FIELDS)}."
        )
    cleaned = {}
    for key, value in given.items():
        if not isinstance(value, str) or not value.strip():
            raise InvalidCall(f"'{key}' must be non-empty text.")
        cleaned[key] = " ".join(value.split())[:200]
    if "email" in cleaned:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            raise InvalidCall(
                f"{cleaned['email']!r} is not an email address."
            ) from None
    return cleaned
