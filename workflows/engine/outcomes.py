"""What a node handler returns to the executor."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Done:
    """The node finished: follow `port`, remember `output` as steps.<id>."""

    port: str
    output: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """The node waits for an event (`wait_key`) or a moment (`until`), or both.

    When `until` passes first, the executor asks the node what its timeout
    means (`on_timeout`).
    """

    wait_key: str = ""
    until: datetime.datetime | None = None
    output: dict[str, Any] = field(default_factory=dict)


class NodeError(Exception):
    """A step failed. `retryable` says whether another attempt can succeed."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
