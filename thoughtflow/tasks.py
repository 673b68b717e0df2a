"""Enqueueing work for the django-q2 workers.

The queue lives in the application database, so `enqueue` inside a
transaction commits or rolls back with it. With TASKS_RUN_INLINE on, the
task runs in this process instead, after the surrounding transaction
commits, exactly as a worker would see it.
"""

import logging
from typing import Any

from django.db import transaction
from django_q.conf import Conf
from django_q.tasks import async_task

logger = logging.getLogger(__name__)


def enqueue(function_path: str, *args: Any) -> None:
    """Run `function_path(*args)` in a worker once the current transaction commits."""
    if Conf.SYNC:
        transaction.on_commit(lambda: async_task(function_path, *args, sync=True))
        return
    async_task(function_path, *args)
