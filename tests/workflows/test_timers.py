"""Waits whose time ran out: claimed in batches, each fired once."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ

from tests.factories import make_contact
from tests.tasks import drop_queued_tasks, queued_task_names, run_queued_tasks
from tests.workflows.builders import minute_wait
from thoughtflow import claimer
from workflows.engine import executor, nodes
from workflows.engine.runs import start_run
from workflows.models import Run, Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    state = {"now": timezone.now().replace(microsecond=0)}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


def start_waiting_runs(workspace, count: int) -> list[Run]:
    """`count` runs, each waiting a minute before it ends."""
    workflow = minute_wait(workspace, result="woke")
    runs = [
        start_run(
            workflow,
            make_contact(workspace, phone=f"+1212555{n:04d}", time_zone="UTC"),
            {},
        )
        for n in range(count)
    ]
    run_queued_tasks()
    return runs


def queued_timer_batches() -> list[list[int]]:
    return [
        row.task["args"][0]
        for row in OrmQ.objects.order_by("pk")
        if row.task["func"] == "workflows.tasks.fire_timers"
    ]


def test_timers_due_together_fire_in_batches(cast, clock):
    runs = start_waiting_runs(cast.workspace, executor.TIMER_BATCH * 2 + 5)
    clock["now"] += datetime.timedelta(seconds=61)

    executor.claim_due_steps()

    batches = queued_timer_batches()
    assert [len(batch) for batch in batches] == [
        executor.TIMER_BATCH,
        executor.TIMER_BATCH,
        5,
    ]
    assert set(queued_task_names()) == {"workflows.tasks.fire_timers"}
    run_queued_tasks()
    assert set(
        Run.objects.filter(pk__in=[r.pk for r in runs]).values_list("status", "result")
    ) == {(Run.Status.COMPLETED, "woke")}
    pause = Step.objects.filter(node_id="pause")
    assert set(pause.values_list("finished_at", flat=True)) == {clock["now"]}
    assert not pause.filter(claimed_until__isnull=False).exists()


def test_a_timer_that_fails_is_retaken_without_holding_up_its_batch(
    cast, clock, monkeypatch, caplog
):
    runs = start_waiting_runs(cast.workspace, 3)
    broken = Step.objects.get(run=runs[1], node_id="pause")
    wait_timeout = nodes.TIMEOUTS["wait"]
    failures = []

    def fail_once(step, node, context):
        if step.pk == broken.pk and not failures:
            failures.append(step.pk)
            raise RuntimeError("database went away")
        return wait_timeout(step, node, context)

    monkeypatch.setitem(nodes.TIMEOUTS, "wait", fail_once)
    clock["now"] += datetime.timedelta(seconds=61)
    executor.claim_due_steps()

    [(_, results)] = run_queued_tasks()
    assert sorted(results) == ["crashed", "timed_out", "timed_out"]
    assert f"timer failed step_id={broken.pk}" in caplog.text
    statuses = [Run.objects.get(pk=r.pk).status for r in runs]
    assert statuses == ["completed", "waiting", "completed"]

    # Its claim holds for a while, as a failed task's would, then lapses.
    clock["now"] += datetime.timedelta(seconds=5)
    assert executor.claim_due_steps() == 0
    clock["now"] += datetime.timedelta(seconds=30)
    assert executor.claim_due_steps() == 1
    run_queued_tasks()
    assert Run.objects.get(pk=runs[1].pk).status == Run.Status.COMPLETED


def test_a_lost_batch_is_claimed_again_once_its_claim_runs_out(cast, clock):
    runs = start_waiting_runs(cast.workspace, 3)
    clock["now"] += datetime.timedelta(seconds=61)
    executor.claim_due_steps()
    drop_queued_tasks()  # The worker died with the batch, or the queue lost it.

    clock["now"] += datetime.timedelta(seconds=29)
    assert executor.claim_due_steps() == 0
    clock["now"] += datetime.timedelta(seconds=2)
    assert executor.claim_due_steps() == 3
    run_queued_tasks()

    assert {Run.objects.get(pk=r.pk).status for r in runs} == {"completed"}


def test_a_batch_delivered_twice_fires_each_timer_once(cast, clock):
    start_waiting_runs(cast.workspace, 2)
    clock["now"] += datetime.timedelta(seconds=61)
    executor.claim_due_steps()
    [batch] = queued_timer_batches()

    first = executor.fire_timers(batch)
    second = executor.fire_timers(batch)

    assert (first, second) == (["timed_out", "timed_out"], ["done", "done"])
    assert Step.objects.filter(node_id="done").count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time; only PostgreSQL skips locked rows.",
)
def test_two_claimers_never_take_the_same_timer(cast, clock, monkeypatch):
    start_waiting_runs(cast.workspace, 30)
    clock["now"] += datetime.timedelta(seconds=61)
    taken: dict[str, list[int]] = {"first": [], "second": []}
    first = threading.current_thread()

    def claim_from_another_connection() -> None:
        try:
            executor.claim_due_steps(limit=20)
        finally:
            connection.close()

    def enqueue(task, ids):
        if threading.current_thread() is not first:
            taken["second"].extend(ids)
            return
        # The first claimer's timers are locked and leased, not yet
        # committed, when the second one looks for due timers.
        taken["first"].extend(ids)
        other = threading.Thread(target=claim_from_another_connection)
        other.start()
        other.join(timeout=10)
        assert not other.is_alive(), "the second claimer waited for the first"

    monkeypatch.setattr(claimer, "enqueue", enqueue)
    executor.claim_due_steps(limit=20)

    assert len(taken["first"]) == 20
    assert len(taken["second"]) == 10
    assert not set(taken["first"]) & set(taken["second"])
