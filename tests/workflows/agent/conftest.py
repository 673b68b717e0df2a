"""Fixtures for SMS agent tests: a scripted model, a clock, texting in."""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from conversations.inbound import store_inbound
from tests.factories import make_contact
from tests.messaging import inbound_form, opt_in
from tests.tasks import run_queued_tasks
from workflows.agent import llm
from workflows.engine import executor


@dataclass
class Script:
    """What the model answers, call by call, through litellm's mock responses.

    Each entry is an exception to raise, or a dict with `content` and
    `calls` [(name, arguments dict or raw JSON string)]. `seen` keeps the
    keyword arguments of every call, for checking the wire format.
    """

    answers: list[Any] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)
    during_call: Callable[[], None] | None = None

    def say(self, content: str = "", *calls: tuple[str, Any]) -> "Script":
        self.answers.append({"content": content, "calls": list(calls)})
        return self

    def fail(self, error: Exception) -> "Script":
        self.answers.append(error)
        return self


@pytest.fixture
def script(monkeypatch) -> Script:
    litellm = llm.load()
    real = litellm.completion
    plan = Script()
    monkeypatch.setattr(llm, "RETRY_PAUSE_S", 0)

    def completion(**kwargs: Any) -> Any:
        plan.seen.append(kwargs)
        if plan.during_call is not None:
            hook, plan.during_call = plan.during_call, None
            hook()
        if not plan.answers:
            raise AssertionError("the model was called more often than scripted")
        answer = plan.answers.pop(0)
        if isinstance(answer, Exception):
            return real(**kwargs, mock_response=answer)
        calls = [
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
            for index, (name, args) in enumerate(answer["calls"])
        ]
        return real(
            **kwargs,
            mock_response=answer["content"],
            **({"mock_tool_calls": calls} if calls else {}),
        )

    monkeypatch.setattr(litellm, "completion", completion)
    return plan


@pytest.fixture
def clock(monkeypatch):
    # Mid-afternoon in New York, so quiet hours never hold a text back.
    start = datetime.datetime(2026, 12, 1, 20, 0, tzinfo=datetime.UTC)
    state = {"now": start}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


@pytest.fixture
def customer(cast):
    contact = make_contact(
        cast.workspace,
        first_name="Maya",
        phone="+12125550140",
        time_zone="America/New_York",
        custom_fields={"appointment_at": "2026-12-02T10:00:00-05:00"},
    )
    opt_in(contact)
    return contact


@pytest.fixture
def settle(sender, fake_twilio, django_capture_on_commit_callbacks):
    """Run queued tasks and commit callbacks until nothing is left to do."""

    def run() -> list[tuple[str, object]]:
        results: list[tuple[str, object]] = []
        for _ in range(20):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                ran = run_queued_tasks()
            results += ran
            if not ran and not callbacks:
                return results
        raise AssertionError("work kept appearing")

    return run


@pytest.fixture
def text_in(sender, settle):
    """The contact texts the workspace's number; everything that follows runs."""

    def send(contact, body: str) -> list[tuple[str, object]]:
        store_inbound(
            workspace_id=sender.workspace_id,
            sender_id=sender.pk,
            form=inbound_form(sender, contact.phone, body),
        )
        return settle()

    return send


@pytest.fixture
def advance(clock, settle):
    """Move the clock on and let the claimer find what fell due."""

    def move(seconds: float) -> list[tuple[str, object]]:
        clock["now"] += datetime.timedelta(seconds=seconds)
        executor.claim_due_steps()
        return settle()

    return move
