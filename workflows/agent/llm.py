"""Calling a language model: one path for every vendor and the offline provider.

`complete` tries the brief's models in order. Each call has an explicit
timeout (litellm's default is ten minutes); a call that fails for a reason
that may pass (a timeout, a rate limit, a server error) is retried, and a
model that keeps failing, or refuses the request outright, gives way to
the next. When every model fails, `ModelsFailed` lists what each did, and
the caller hands the conversation to a person.

litellm is imported on first use: the import costs seconds, and most
processes (the web server, management commands) never call a model.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# Between retries of one model, in seconds: short, since a contact waits.
RETRY_PAUSE_S = 0.5


@dataclass(frozen=True)
class Completion:
    content: str
    tool_calls: list[tuple[str, str, str]]  # (id, name, arguments JSON)
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)


class ModelsFailed(Exception):
    def __init__(self, failures: list[dict[str, Any]]) -> None:
        self.failures = failures
        last = failures[-1]["error"] if failures else "no model configured"
        super().__init__(f"No model answered: {last}")


def complete(
    models: tuple[str, ...] | list[str],
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
) -> Completion:
    litellm = load()
    failures: list[dict[str, Any]] = []
    for model in models:
        for attempt in range(settings.LLM_RETRIES + 1):
            started = time.monotonic()
            try:
                response = litellm.completion(
                    model=model,
                    messages=messages,
                    **({"tools": tools} if tools else {}),
                    timeout=settings.LLM_TIMEOUT_S,
                    num_retries=0,
                    **(
                        {"api_base": settings.LLM_API_BASE}
                        if settings.LLM_API_BASE
                        else {}
                    ),
                )
            except Exception as exc:  # Any failure of a vendor is a failure to answer.
                elapsed = round((time.monotonic() - started) * 1000)
                retryable = _retryable(litellm, exc)
                failures.append(
                    {
                        "model": model,
                        "attempt": attempt + 1,
                        "error": f"{type(exc).__name__}: {_short(exc)}",
                        "latency_ms": elapsed,
                    }
                )
                logger.warning(
                    "model call failed model=%s attempt=%s error=%s",
                    model,
                    attempt + 1,
                    type(exc).__name__,
                )
                if not retryable:
                    break
                if attempt < settings.LLM_RETRIES:
                    time.sleep(RETRY_PAUSE_S * 2**attempt)
                continue
            return _completion(litellm, model, response, started, failures)
    raise ModelsFailed(failures)


def _completion(
    litellm: Any, model: str, response: Any, started: float, failures: list
) -> Completion:
    message = response.choices[0].message
    usage = getattr(response, "usage", None)
    calls = [
        (
            call.id or f"call_{index}",
            call.function.name,
            call.function.arguments or "{}",
        )
        for index, call in enumerate(message.tool_calls or ())
    ]
    return Completion(
        content=(message.content or "").strip(),
        tool_calls=calls,
        model=model,
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cost_usd=_cost(litellm, response),
        latency_ms=round((time.monotonic() - started) * 1000),
        failures=list(failures),
    )


def _cost(litellm: Any, response: Any) -> Decimal:
    """litellm's price for the call; zero for models it has no price for."""
    try:
        cost = litellm.completion_cost(completion_response=response)
    except Exception:  # Unknown models raise; they are free as far as we know.
        return Decimal(0)
    return Decimal(str(round(cost or 0, 6)))


def _retryable(litellm: Any, exc: Exception) -> bool:
    final = (
        litellm.AuthenticationError,
        litellm.BadRequestError,
        litellm.NotFoundError,
        litellm.PermissionDeniedError,
        litellm.ContextWindowExceededError,
        litellm.ContentPolicyViolationError,
    )
    return not isinstance(exc, final)


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


def load() -> Any:
    """Import litellm, with the offline provider registered."""
    import litellm

    from workflows.agent import offline

    offline.register()
    litellm.suppress_debug_info = True
    return litellm
