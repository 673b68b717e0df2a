"""Live run updates: a hint to the browsers watching a run that it changed.

When a step of a run is created or changes status, or the run's status
changes, one `run.changed` message goes to the group `run-<id>` after the
transaction commits; `RunConsumer` forwards it to the browser, which
refetches `GET /api/runs/<id>/`. The database stays the truth, so a lost or
repeated message costs nothing. All the changes one transaction makes to a
run leave as one message, naming the latest step that changed.

Every step and run row passes through `Model.save`, so the engine is not
touched: the receivers below notice the saves that change a status. See
docs/architecture.md, "Workflow engine".
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from thoughtflow.layer import send_to_groups
from workflows.models import Run, Step

logger = logging.getLogger(__name__)

RUN_CHANGED = "run.changed"


def run_group(run_id: int) -> str:
    return f"run-{run_id}"


class RunChanged:
    """The message for one run, sent once its transaction commits."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.message: dict[str, Any] = {
            "type": RUN_CHANGED,
            "run": run_id,
            "step": None,
            "node": None,
            "status": None,
            "run_status": None,
        }

    def __call__(self) -> None:
        try:
            send_to_groups([run_group(self.run_id)], self.message)
        except Exception:
            # Browsers refetch on reconnect and on the next change; the
            # engine must not fail because a hint could not be delivered.
            logger.warning("run update not sent run_id=%s", self.run_id, exc_info=True)


def notify_run_changed(run_id: int, **fields: Any) -> None:
    """Tell the run's watchers, after commit, that it changed."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # A transaction that moves a run along saves a step, the run and the
        # next step: amend the message already waiting for the commit.
        # Django drops the entries of a rolled-back savepoint from this
        # list, so a message found here will still be sent.
        for _, callback, _ in connection.run_on_commit:
            if isinstance(callback, RunChanged) and callback.run_id == run_id:
                callback.message.update(fields)
                return
    changed = RunChanged(run_id)
    changed.message.update(fields)
    transaction.on_commit(changed, robust=True)


def _changes_status(created: bool, update_fields: Any) -> bool:
    return created or update_fields is None or "status" in update_fields


@receiver(post_save, sender=Step)
def _step_saved(
    sender: Any, instance: Step, created: bool, update_fields: Any, **kwargs: Any
) -> None:
    if _changes_status(created, update_fields):
        notify_run_changed(
            instance.run_id,
            step=instance.pk,
            node=instance.node_id,
            status=instance.status,
        )


@receiver(post_save, sender=Run)
def _run_saved(
    sender: Any, instance: Run, created: bool, update_fields: Any, **kwargs: Any
) -> None:
    if _changes_status(created, update_fields):
        notify_run_changed(instance.pk, run_status=instance.status)
