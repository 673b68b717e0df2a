"""What each node kind does when its step runs.

A handler gets the step, the node (id, kind, config) and the template
context, and returns `Done` (follow a port) or `Wait` (for an event or a
moment), or raises `NodeError`. Handlers may run more than once for one
step (a retry, a worker that died mid-step), so every side effect carries a
key derived from the step: a text is sent with idempotency key
`step:<id>`, a timeline note is looked up by step before it is added, an
HTTP request carries `Idempotency-Key: step-<id>`.
"""

from __future__ import annotations

import datetime
import json
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from conversations import events
from conversations.assignment import find_team
from conversations.models import Message
from conversations.sending import send_sms
from conversations.state import flag_for_person, latest_open_conversation
from integrations.crm import services as crm
from integrations.crm.models import Activity, Deal
from workflows import outbound_http
from workflows.engine.context import lookup
from workflows.engine.outcomes import Done, NodeError, Wait
from workflows.models import Handoff, Step
from workflows.templates import TemplateError, render, render_json

Handler = Callable[[Step, dict[str, Any], dict[str, Any]], "Done | Wait"]
UNREACHED = ("blocked", "canceled")


def run_trigger(step: Step, node: dict, ctx: dict) -> Done:
    return Done("next")


def run_send_sms(step: Step, node: dict, ctx: dict) -> Done:
    config = node["config"]
    body = _render(config["body"], ctx, "body")
    expires_after = config.get("expires_after_s")
    message = send_sms(
        contact=step.run.contact,
        body=body,
        author=Message.Author.WORKFLOW,
        purpose=config.get("purpose") or Message.Purpose.NOTIFICATION,
        sender=_sender(step, config.get("sender_id")),
        idempotency_key=f"step:{step.pk}",
        expires_at=timezone.now() + datetime.timedelta(seconds=expires_after)
        if expires_after
        else None,
    )
    output = {
        "message_id": message.pk,
        "status": message.status,
        "reason": message.block_reason,
    }
    return Done("blocked" if message.status in UNREACHED else "sent", output)


def run_wait(step: Step, node: dict, ctx: dict) -> Done | Wait:
    config = node["config"]
    now = timezone.now()
    mode = config.get("mode", "duration")
    until: datetime.datetime | None
    if mode == "duration":
        until = now + datetime.timedelta(seconds=int(config["seconds"]))
    elif mode == "until":
        text = _render(config["until"], ctx, "until").strip()
        until = parse_datetime(text) if text else None
        if until is None:
            raise NodeError(
                f"The wait's 'until' rendered {text!r}, which is not an ISO date and "
                "time such as 2026-12-24T09:00:00+00:00.",
                retryable=False,
            )
        if timezone.is_naive(until):
            until = timezone.make_aware(until, datetime.UTC)
    else:
        until = next_business_moment(now, config, ctx["contact"]["time_zone"])
    if until <= now:
        return Done("next", {"waited_until": until.isoformat()})
    return Wait(until=until, output={"waiting_until": until.isoformat()})


def wait_timeout(step: Step, node: dict, ctx: dict) -> Done:
    return Done(
        "next", {"waited_until": step.due_at.isoformat() if step.due_at else None}
    )


def next_business_moment(
    now: datetime.datetime, config: dict, contact_zone: str
) -> datetime.datetime:
    """The first moment at or after `now` inside the configured business hours."""
    name = config.get("timezone") or "contact"
    zone = zoneinfo.ZoneInfo(contact_zone if name == "contact" else name)
    start = datetime.time.fromisoformat(config.get("start", "09:00"))
    end = datetime.time.fromisoformat(config.get("end", "17:00"))
    days = set(config.get("days", [0, 1, 2, 3, 4]))
    local = now.astimezone(zone)
    for offset in range(15):
        day = local.date() + datetime.timedelta(days=offset)
        if day.weekday() not in days:
            continue
        opens = datetime.datetime.combine(day, start, zone)
        closes = datetime.datetime.combine(day, end, zone)
        if local < closes:
            return max(opens, local).astimezone(datetime.UTC)
    raise NodeError(
        "The business hours allow no time in the next two weeks.", retryable=False
    )


def run_branch(step: Step, node: dict, ctx: dict) -> Done:
    for condition in node["config"]["conditions"]:
        when = condition["when"]
        value = lookup(ctx, when["var"])
        if _holds(when["op"], value, when.get("value")):
            return Done(condition["port"], {"matched": condition["port"]})
    return Done("else", {"matched": "else"})


def _holds(op: str, value: Any, expected: Any) -> bool:
    try:
        if op == "exists":
            return value not in (None, "", [], {})
        if op == "not_exists":
            return value in (None, "", [], {})
        if op == "eq":
            return _same(value, expected)
        if op == "neq":
            return not _same(value, expected)
        if op == "contains":
            return expected in (value or "")
        if op == "not_contains":
            return expected not in (value or "")
        if op == "in":
            return any(_same(value, item) for item in expected or [])
        if op == "not_in":
            return not any(_same(value, item) for item in expected or [])
        if op == "matches":
            return re.search(str(expected), str(value or "")) is not None
        number, limit = float(value), float(expected)
    except (TypeError, ValueError, re.error):
        return False
    return {
        "gt": number > limit,
        "gte": number >= limit,
        "lt": number < limit,
        "lte": number <= limit,
    }.get(op, False)


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, str) and isinstance(expected, str):
        return value.strip().casefold() == expected.strip().casefold()
    return value == expected


def run_set_variables(step: Step, node: dict, ctx: dict) -> Done:
    values = {
        item["name"]: _render(item["value"], ctx, f"assignments.{item['name']}")
        for item in node["config"]["assignments"]
    }
    return Done("next", {"vars": values})


def run_crm_update(step: Step, node: dict, ctx: dict) -> Done:
    config = node["config"]
    contact = step.run.contact
    fields = {
        name: _render(value, ctx, f"fields.{name}")
        for name, value in (config.get("fields") or {}).items()
    }
    standard = {
        k: v
        for k, v in fields.items()
        if k in ("first_name", "last_name", "email", "time_zone")
    }
    custom = {k: v for k, v in fields.items() if k not in standard}
    tags = set(contact.tags.values_list("name", flat=True))
    tags |= set(config.get("add_tags") or [])
    tags -= set(config.get("remove_tags") or [])
    changes: dict[str, Any] = {**standard, "tags": sorted(tags)}
    if custom:
        changes["custom_fields"] = {**contact.custom_fields, **custom}
    try:
        crm.update_contact(contact, changes)
    except crm.InvalidContact as exc:
        raise NodeError(exc.message, retryable=False) from None

    output: dict[str, Any] = {"fields": sorted(fields), "tags": sorted(tags)}
    if note := config.get("note"):
        output["note"] = _note_once(step, _render(note, ctx, "note"))
    if stage := config.get("deal_stage"):
        output["deal_id"] = _move_deal(step, stage, config, ctx)
    return Done("next", output)


def _note_once(step: Step, text: str) -> int:
    """Add the step's note unless an earlier attempt already did."""
    contact = step.run.contact
    existing = contact.activities.filter(
        kind=Activity.Kind.NOTE, data__step_id=step.pk
    ).first()
    if existing is not None:
        return existing.pk
    activity = crm.record_activity(
        contact, Activity.Kind.NOTE, text[:300], data={"text": text, "step_id": step.pk}
    )
    return activity.pk


def _move_deal(step: Step, stage: str, config: dict, ctx: dict) -> int:
    contact = step.run.contact
    deal = (
        contact.deals.exclude(stage__in=[Deal.Stage.WON, Deal.Stage.LOST])
        .order_by("-updated_at")
        .first()
    )
    if deal is None:
        title = _render(config.get("deal_title") or "", ctx, "deal_title") or (
            f"{contact.full_name or contact.phone} ({step.run.workflow.name})"
        )
        deal = Deal.objects.create(
            workspace_id=contact.workspace_id, contact=contact, title=title[:200]
        )
    crm.change_deal_stage(deal, stage)
    return deal.pk


def run_http_request(step: Step, node: dict, ctx: dict) -> Done:
    config = node["config"]
    workspace = step.run.contact.workspace
    body = None
    headers = {
        name: _render(value, ctx, f"headers.{name}")
        for name, value in (config.get("headers") or {}).items()
    }
    if config.get("body"):
        try:
            body = json.dumps(render_json(config["body"], ctx)).encode()
        except TemplateError as exc:
            raise NodeError(
                f"The request body template failed: {exc}", retryable=False
            ) from None
        headers.setdefault("Content-Type", "application/json")
    call = outbound_http.HttpCall(
        method=config.get("method", "POST"),
        url=_render(config["url"], ctx, "url").strip(),
        headers=headers,
        body=body,
        timeout_s=float(config.get("timeout_s", 10)),
        idempotency_key=f"step-{step.pk}",
        hmac_secret=config.get("hmac_secret") or None,
        allow_private=workspace.allow_private_http,
    )
    try:
        result = outbound_http.perform(call)
    except outbound_http.HttpCallError as exc:
        raise NodeError(str(exc), retryable=exc.retryable) from None
    if outbound_http.is_retryable_status(result.status):
        raise NodeError(f"The server answered {result.status}; it may succeed later.")

    mapped = {
        name: outbound_http.lookup(result.json, path)
        for name, path in (config.get("response_map") or {}).items()
    }
    output = {
        "status": result.status,
        "vars": mapped,
        "elapsed_ms": round(result.elapsed_ms),
    }
    return Done("success" if 200 <= result.status < 300 else "failure", output)


def run_human_handoff(step: Step, node: dict, ctx: dict) -> Wait:
    config = node["config"]
    note = _render(config.get("note") or "", ctx, "note")
    with transaction.atomic():
        handoff, created = Handoff.objects.get_or_create(
            step=step,
            defaults={
                "workspace_id": step.workspace_id,
                "run": step.run,
                "contact": step.run.contact,
                "queue": config.get("queue") or "default",
                "note": note,
                "outcomes": list(config["outcomes"]),
            },
        )
        if created:
            _show_in_inbox(handoff)
    return Wait(wait_key=f"handoff:{handoff.pk}", output={"handoff_id": handoff.pk})


def _show_in_inbox(handoff: Handoff) -> None:
    conversation = latest_open_conversation(handoff.contact_id)
    reason = handoff.note or "A workflow step asks for a person."
    details = {
        "handoff_id": handoff.pk,
        "run_id": handoff.run_id,
        "queue": handoff.queue,
        "outcomes": handoff.outcomes,
    }
    if conversation is None:
        # The contact was never texted: the inbox still lists the request.
        events.handoff_requested(None, handoff.workspace_id, reason, **details)
    else:
        # The queue names the team that takes the conversation, when the
        # workspace has one by that name; otherwise it keeps its team.
        team = find_team(handoff.workspace_id, handoff.queue)
        flag_for_person(
            conversation.pk, handoff.workspace_id, reason, team=team, **details
        )


def run_agent_sms(step: Step, node: dict, ctx: dict) -> Done | Wait:
    from workflows.agent.runtime import start

    return start(step, node, ctx)


def run_end(step: Step, node: dict, ctx: dict) -> Done:
    return Done("", {"result": node["config"].get("result") or ""})


HANDLERS: dict[str, Handler] = {
    "trigger": run_trigger,
    "send_sms": run_send_sms,
    "wait": run_wait,
    "branch": run_branch,
    "set_variables": run_set_variables,
    "crm_update": run_crm_update,
    "http_request": run_http_request,
    "human_handoff": run_human_handoff,
    "agent_sms": run_agent_sms,
    "end": run_end,
}
TIMEOUTS: dict[str, Handler] = {"wait": wait_timeout}


def _render(source: str, ctx: dict, field: str) -> str:
    try:
        return render(source, ctx)
    except TemplateError as exc:
        raise NodeError(
            f"The template in '{field}' failed: {exc}", retryable=False
        ) from None


def _sender(step: Step, sender_id: int | None) -> Any:
    if not sender_id:
        return None
    from integrations.twilio.models import Sender

    sender = (
        Sender.objects.for_workspace(step.workspace_id)
        .active()
        .filter(pk=sender_id)
        .first()
    )
    if sender is None:
        raise NodeError(
            f"Sender {sender_id} is not an active number of this workspace. Pick "
            "another sender in the step, or leave it empty to use the default.",
            retryable=False,
        )
    return sender
