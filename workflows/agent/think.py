"""One turn of the agent, without the database: read, ask the model, check.

`think` sends the brief and the conversation to the model, checks the tool
calls it makes, and returns the reply and the actions to take. Nothing is
sent or stored here; `runtime` applies the result inside a transaction, and
`scenarios` runs test conversations through the same function.

- An invalid tool call goes back to the model with the reason, at most
  `MAX_CORRECTIONS` times; then the turn goes on without it.
- A reply is made to fit the medium: plain text, only links the operator
  wrote into the brief, at most `max_segments` segments (the model is asked
  once to shorten it, then it is cut at a sentence).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from conversations.encoding import count_segments, split_segments
from workflows.agent import llm
from workflows.agent.brief import Brief, system_prompt
from workflows.agent.tools import (
    CAPTURE_OUTCOME,
    END_CONVERSATION,
    REQUEST_HANDOFF,
    UPDATE_CONTACT,
    Rejection,
    ToolCall,
    check_calls,
    tool_schemas,
)

MAX_CORRECTIONS = 2
# Below this confidence, a captured outcome goes to a person when the node
# hands off on low confidence.
LOW_CONFIDENCE = 0.5
MAX_ROUNDS = 4
# Runs of this many words copied from the instructions count as a leak.
LEAK_WORDS = 8
URL = re.compile(r"(?:https?://|www\.)[^\s<>()\"']+", re.IGNORECASE)
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
CLAIMS_HUMAN = re.compile(
    r"\b(I am|I'm|Im)\s+"
    r"(not\s+a\s+(bot|robot|machine|ai)|(a\s+)?(real\s+)?(person|human))\b",
    re.IGNORECASE,
)
ASKS_IF_BOT = re.compile(
    r"\b(bot|robot|automated|ai|a\s+real\s+person|a\s+human|human\?)\b", re.IGNORECASE
)


@dataclass
class Turn:
    """What one turn decided. `failure` is set when no model answered."""

    reply: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    completions: list[llm.Completion] = field(default_factory=list)
    failure: llm.ModelsFailed | None = None
    notes: list[str] = field(default_factory=list)

    def first(self, name: str) -> ToolCall | None:
        return next((call for call in self.calls if call.name == name), None)

    @property
    def outcome(self) -> ToolCall | None:
        return self.first(CAPTURE_OUTCOME)

    @property
    def handoff(self) -> ToolCall | None:
        return self.first(REQUEST_HANDOFF)

    @property
    def ended(self) -> ToolCall | None:
        return self.first(END_CONVERSATION)

    @property
    def contact_updates(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        for call in self.calls:
            if call.name == UPDATE_CONTACT:
                fields.update(call.args["fields"])
        return fields

    @property
    def model(self) -> str:
        return self.completions[-1].model if self.completions else ""

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.completions)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.completions)

    @property
    def cost_usd(self) -> Decimal:
        return sum((c.cost_usd for c in self.completions), Decimal(0))

    @property
    def latency_ms(self) -> int:
        return sum(c.latency_ms for c in self.completions)

    @property
    def failures(self) -> list[dict[str, Any]]:
        seen = [f for c in self.completions for f in c.failures]
        if self.failure is not None:
            seen += self.failure.failures
        return seen

    def call_log(self) -> list[dict[str, Any]]:
        """The tool calls, accepted and rejected, as stored on the turn."""
        return [
            {"name": call.name, "arguments": call.args, "accepted": True}
            for call in self.calls
        ] + [
            {
                "name": r.name,
                "arguments": r.raw[:2000],
                "accepted": False,
                "error": r.error,
            }
            for r in self.rejections
        ]


@dataclass(frozen=True)
class Decision:
    """Where a turn takes the conversation: a port, and what to output."""

    port: str
    output: dict[str, Any]


def decide(brief: Brief, turn: Turn) -> Decision | None:
    """The port the turn's tool calls lead to; None to keep talking."""
    if turn.handoff is not None:
        return Decision("handoff", {"reason": turn.handoff.args["reason"]})
    captured = turn.outcome
    if captured is not None:
        name = captured.args["outcome"]
        confidence = captured.args["confidence"]
        found = {
            "outcome": name,
            "fields": captured.args["fields"],
            "confidence": confidence,
            "summary": captured.args["summary"],
        }
        if name in brief.review_outcomes:
            reason = f"The outcome '{name}' needs a person's review."
            return Decision("handoff", {**found, "reason": reason})
        if brief.on_low_confidence and confidence < LOW_CONFIDENCE:
            reason = (
                f"The agent was unsure of the outcome '{name}' "
                f"(confidence {confidence:.2f})."
            )
            return Decision("handoff", {**found, "reason": reason})
        return Decision(name, found)
    if turn.ended is not None:
        summary = turn.ended.args["summary"]
        reason = f"The agent ended the conversation without an outcome: {summary}"
        return Decision("handoff", {"summary": summary, "reason": reason})
    return None


def think(
    brief: Brief,
    history: list[dict[str, str]],
) -> Turn:
    """Ask the brief's models for the next reply to `history`.

    `history` holds {"role": "user"|"assistant", "content": text} items,
    oldest first; user items are the contact's texts.
    """
    turn = Turn()
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(brief)},
        *history,
    ]
    tools = tool_schemas(brief)
    corrections = 0
    content = ""
    for _ in range(MAX_ROUNDS):
        try:
            completion = llm.complete(brief.models, messages, tools)
        except llm.ModelsFailed as failure:
            turn.failure = failure
            return turn
        turn.completions.append(completion)
        checked = check_calls(completion.tool_calls, brief)
        for call in checked.calls:
            if call not in turn.calls:
                turn.calls.append(call)
        turn.rejections += checked.rejections
        content = completion.content or content
        ends = any(call.name != UPDATE_CONTACT for call in checked.calls)
        if checked.rejections and corrections < MAX_CORRECTIONS:
            corrections += 1
        elif completion.content or ends or not checked.calls:
            break
        # Answer each call (errors for rejected ones) and let the model go on.
        messages += _tool_exchange(completion, checked.calls, checked.rejections)
    turn.reply = _fit(content, brief, history, turn, messages)
    return turn


def _tool_exchange(
    completion: llm.Completion, accepted: list[ToolCall], rejected: list[Rejection]
) -> list[dict[str, Any]]:
    exchange: list[dict[str, Any]] = [
        {
            "role": "assistant",
            "content": completion.content or None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
                for call_id, name, arguments in completion.tool_calls
            ],
        }
    ]
    for call in accepted:
        exchange.append(
            _tool_result(call.id, {"ok": True, "note": "Done; do not repeat."})
        )
    for rejection in rejected:
        exchange.append(_tool_result(rejection.id, {"error": rejection.error}))
    return exchange


def _tool_result(call_id: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)}


def _fit(
    text: str,
    brief: Brief,
    history: list[dict[str, str]],
    turn: Turn,
    messages: list[dict[str, Any]],
) -> str:
    """Make the reply a plain SMS within the brief's limits."""
    text = plain_text(text, allowed_links(brief))
    if text and _leaks(text, brief):
        turn.notes.append("reply withheld: it quoted the instructions")
        text = "Sorry, I can't share that. Is there anything I can help you with?"
    if text and CLAIMS_HUMAN.search(text) and _asked_if_bot(history):
        turn.notes.append("reply corrected: it claimed to be a person")
        text = (
            f"I'm an automated assistant for {brief.workspace_name or 'this business'}."
        )
    if count_segments(text).segments > brief.max_segments:
        text = _shorter(text, brief, messages, turn)
    return text


def _shorter(
    text: str, brief: Brief, messages: list[dict[str, Any]], turn: Turn
) -> str:
    """Ask once for a shorter reply; cut it at a sentence if still too long."""
    segments = count_segments(text).segments
    request = [
        *messages,
        {"role": "assistant", "content": text},
        {
            "role": "system",
            "content": f"That reply takes {segments} SMS segments; the limit is "
            f"{brief.max_segments}. Write it again, shorter, as plain text.",
        },
    ]
    try:
        completion = llm.complete(brief.models, request, [])
    except llm.ModelsFailed:
        completion = None
    if completion is not None:
        turn.completions.append(completion)
        retry = plain_text(completion.content, allowed_links(brief))
        if retry and count_segments(retry).segments <= brief.max_segments:
            return retry
    turn.notes.append("reply cut to fit the segment limit")
    return cut_to_segments(text, brief.max_segments)


def cut_to_segments(text: str, limit: int) -> str:
    """The longest run of whole sentences (or words) that fits `limit` segments."""
    kept = "".join(split_segments(text)[:limit])
    if kept == text:
        return text
    sentence_end = max(kept.rfind(". "), kept.rfind("? "), kept.rfind("! "))
    if sentence_end > len(kept) // 2:
        return kept[: sentence_end + 1]
    words = kept.rsplit(" ", 1)[0]
    while count_segments(words + "…").segments > limit:
        words = words.rsplit(" ", 1)[0]
    return words + "…"


def plain_text(text: str, links: set[str]) -> str:
    """Strip markdown and any link the operator did not write into the brief."""
    text = MARKDOWN_LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}", text or "")
    text = re.sub(r"(\*\*|__|`)", "", text)
    text = re.sub(r"(?m)^\s*(#+|[-*•]|\d+[.)])\s+", "", text)
    text = URL.sub(
        lambda m: m.group(0) if m.group(0).rstrip(".,!?") in links else "", text
    )
    return " ".join(text.split())


def allowed_links(brief: Brief) -> set[str]:
    written = " ".join(
        [brief.goal, brief.instructions, brief.persona, *brief.knowledge]
    )
    return {match.rstrip(".,!?") for match in URL.findall(written)}


def _leaks(text: str, brief: Brief) -> bool:
    words = re.findall(r"\w+", brief.instructions.lower())
    if len(words) < LEAK_WORDS:
        return False
    reply = " " + " ".join(re.findall(r"\w+", text.lower())) + " "
    return any(
        f" {' '.join(words[i : i + LEAK_WORDS])} " in reply
        for i in range(len(words) - LEAK_WORDS + 1)
    )


def _asked_if_bot(history: list[dict[str, str]]) -> bool:
    recent = [item["content"] for item in history[-3:] if item["role"] == "user"]
    return any(ASKS_IF_BOT.search(text) for text in recent)
