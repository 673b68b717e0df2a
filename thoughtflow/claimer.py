"""The claimer: a loop in the worker that finds due rows and wakes tasks.

The queue is only a signal, and a lost signal must not lose work: every
kind of delayed or retried work (outbox messages, workflow steps and their
timers, campaign slices) is a row with a due time, and a claimer function
takes due rows with `SELECT ... FOR UPDATE SKIP LOCKED`, leases them and
enqueues their task. Several workers may run claimers at once; the row
locks keep them apart.
"""

import datetime
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from thoughtflow.tasks import enqueue

logger = logging.getLogger(__name__)


def claimers() -> list[Callable[[], int]]:
    return [import_string(path) for path in settings.CLAIMERS]


def claim_due(
    due: Callable[[datetime.datetime], QuerySet],
    *,
    order_by: str,
    task: str,
    lease_s: int,
    limit: int = 200,
    batch_size: int = 0,
) -> int:
    """Lease the rows `due(now)` selects and enqueue `task` for each.

    With `batch_size`, `task` gets lists of up to that many row ids instead,
    for work so cheap that a task per row would cost more than the work.
    Rows whose claim lease has not run out are left alone, and so are rows
    another claimer has locked. The rows need a `claimed_until` field.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = (
            due(now)
            .select_for_update(skip_locked=True, no_key=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .order_by(order_by)
        )
        ids = list(rows.values_list("pk", flat=True)[:limit])
        if not ids:
            return 0
        lease = now + datetime.timedelta(seconds=lease_s)
        rows.model.objects.filter(pk__in=ids).update(claimed_until=lease)
        if batch_size:
            for start in range(0, len(ids), batch_size):
                enqueue(task, ids[start : start + batch_size])
        else:
            for row_id in ids:
                enqueue(task, row_id)
    logger.debug("claimed task=%s count=%d", task, len(ids))
    return len(ids)


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
