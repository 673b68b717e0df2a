"""Run queued tasks in the test process, the way a worker would."""

from django.utils.module_loading import import_string
from django_q.models import OrmQ


def queued_task_names() -> list[str]:
    return [row.task["func"] for row in OrmQ.objects.order_by("pk")]


def run_queued_tasks(max_rounds: int = 20) -> list[tuple[str, object]]:
    """Run every queued task, and those they enqueue, until none is left.

    Returns (function path, result) pairs in the order they ran.
    """
    results: list[tuple[str, object]] = []
    for _ in range(max_rounds):
        rows = list(OrmQ.objects.order_by("pk"))
        if not rows:
            return results
        for row in rows:
            OrmQ.objects.filter(pk=row.pk).delete()
            task = row.task
            function = import_string(task["func"])
            results.append((task["func"], function(*task["args"], **task["kwargs"])))
    raise AssertionError(f"tasks still queued after {max_rounds} rounds")


def drop_queued_tasks() -> int:
    """Lose every queued task, as a broker failure would."""
    deleted, _ = OrmQ.objects.all().delete()
    return deleted
