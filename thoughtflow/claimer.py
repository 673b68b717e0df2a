"""The claimer: a loop in the worker that finds due rows and wakes tasks.

The queue is only a signal, and a lost signal must not lose work: every
kind of delayed or retried work (outbox messages now, workflow timers later)
is a row with a due time, and a claimer function takes due rows with
`SELECT ... FOR UPDATE SKIP LOCKED`, leases them and enqueues their task.
Several workers may run claimers at once; the row locks keep them apart.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def claimers() -> list[Callable[[], int]]:
    return [import_string(path) for path in settings.CLAIMERS]


def run_claimers(should_stop: Callable[[], bool], poll_s: float | None = None) -> None:
    """Run every claimer until `should_stop()`; sleep only when all were idle."""
    functions = claimers()
    poll_s = settings.CLAIMER_POLL_S if poll_s is None else poll_s
    while not should_stop():
        claimed = 0
        for claim in functions:
            try:
                claimed += claim()
            except Exception:
                logger.exception("claimer failed claimer=%s", claim.__qualname__)
                close_old_connections()
        if not claimed:
            time.sleep(poll_s)
