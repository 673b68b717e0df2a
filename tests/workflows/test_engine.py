"""The engine: steps persisted, nodes executed, waits, retries and policies."""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.models import Message
from integrations.crm.models import Activity, Contact
from tests.factories import make_contact
from tests.messaging import opt_in
from tests.tasks import drop_queued_tasks, run_queued_tasks
from tests.workflows.builders import (
    edge,
    make_workflow,
    minute_wait,
    node,
    webhook_trigger,
)
from workflows import services
from workflows.engine import executor
from workflows.engine.runs import cancel_run, resolve_handoff, retry_run, start_run
from workflows.models import Handoff, Run, Step, Workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    state = {"now": timezone.now().replace(hour=15, minute=0, second=0, microsecond=0)}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


@pytest.fixture
def customer(cast):
    contact = make_contact(
        cast.workspace, first_name="Maya", phone="+12125550140", time_zone="UTC"
    )
    opt_in(contact)
    return contact


def _advance(clock, seconds: float) -> list:
    clock["now"] += datetime.timedelta(seconds=seconds)
    executor.claim_due_steps()
    return run_queued_tasks()


def sms_flow(workspace, body="Hi {{ contact.first_name }}, thanks for calling!"):
    return make_workflow(
        workspace,
        [webhook_trigger(), node("text", "send_sms", body=body), node("done", "end")],
        [
            edge("start", "next", "text"),
            edge("text", "sent", "done"),
            edge("text", "blocked", None),
        ],
    )


def test_run_executes_each_step_and_records_it(
    cast, customer, sender, fake_twilio, clock
):
    workflow = sms_flow(cast.workspace)

    run = start_run(workflow, customer, {"form": {"phone": customer.phone}})
    run_queued_tasks()

    run.refresh_from_db()
    assert run.status == Run.Status.COMPLETED
    steps = list(run.steps.order_by("id"))
    assert [(s.node_id, s.status, s.port, s.attempt) for s in steps] == [
        ("start", "succeeded", "next", 1),
        ("text", "succeeded", "sent", 1),
        ("done", "succeeded", "", 1),
    ]
    assert steps[1].input["config"]["body"].startswith("Hi {{")
    assert steps[1].output["status"] == "queued"
    assert fake_twilio.messages[0]["form"]["Body"] == "Hi Maya, thanks for calling!"
    assert run.context["steps"]["text"]["port"] == "sent"


def test_run_stays_on_its_version_when_a_new_one_is_published(
    cast, customer, sender, fake_twilio, clock
):
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node("pause", "wait", mode="duration", seconds=3600),
            node("text", "send_sms", body="version one"),
        ],
        [
            edge("start", "next", "pause"),
            edge("pause", "next", "text"),
            edge("text", "sent", None),
            edge("text", "blocked", None),
        ],
    )
    first = start_run(workflow, customer, {})
    run_queued_tasks()

    draft = dict(workflow.draft)
    draft["nodes"][2]["config"]["body"] = "version two"
    services.save_draft(workflow, draft, workflow.draft_revision)
    services.publish(workflow)
    workflow.refresh_from_db()
    other = make_contact(cast.workspace, phone="+12125550141", time_zone="UTC")
    opt_in(other)
    second = start_run(workflow, other, {})
    run_queued_tasks()
    _advance(clock, 3601)

    bodies = sorted(m["form"]["Body"] for m in fake_twilio.messages)
    assert bodies == ["version one", "version two"]
    assert (first.version.number, second.version.number) == (1, 2)


def test_wait_fires_when_due_and_survives_a_lost_task(
    cast, customer, sender, fake_twilio, clock
):
    workflow = minute_wait(cast.workspace)
    run = start_run(workflow, customer, {})
    run_queued_tasks()
    run.refresh_from_db()
    assert run.status == Run.Status.WAITING

    clock["now"] += datetime.timedelta(seconds=61)
    executor.claim_due_steps()
    drop_queued_tasks()  # The queue loses the wake-up...
    assert _advance(clock, 0) == []  # ...and the claim is leased for a while,
    _advance(clock, 31)  # then claimed again.

    run.refresh_from_db()
    assert (run.status, run.result) == (Run.Status.COMPLETED, "waited")


def test_branch_follows_the_first_matching_condition(cast, customer, clock):
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node(
                "route",
                "branch",
                conditions=[
                    {
                        "port": "hot",
                        "when": {
                            "var": "trigger.form.budget",
                            "op": "gte",
                            "value": 1000,
                        },
                    },
                    {
                        "port": "roof",
                        "when": {
                            "var": "trigger.form.topic",
                            "op": "eq",
                            "value": "roof",
                        },
                    },
                ],
            ),
            node("hot", "end", result="hot"),
            node("roof", "end", result="roof"),
            node("other", "end", result="other"),
        ],
        [
            edge("start", "next", "route"),
            edge("route", "hot", "hot"),
            edge("route", "roof", "roof"),
            edge("route", "else", "other"),
        ],
        active_run_policy=Workflow.ActiveRunPolicy.QUEUE,
    )

    results = []
    for form in ({"budget": "5000"}, {"topic": "Roof "}, {"topic": "gutters"}):
        run = start_run(workflow, customer, {"form": form})
        run_queued_tasks()
        run.refresh_from_db()
        results.append(run.result)

    assert results == ["hot", "roof", "other"]


def test_variables_and_crm_updates_are_applied_once(cast, customer, clock):
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node(
                "vars",
                "set_variables",
                assignments=[
                    {"name": "greeting", "value": "Hello {{ contact.first_name }}"}
                ],
            ),
            node(
                "crm",
                "crm_update",
                fields={"last_name": "Lopez", "source": "{{ vars.greeting }}"},
                add_tags=["callback"],
                note="Asked for a callback: {{ trigger.form.message }}",
                deal_stage="qualified",
            ),
        ],
        [
            edge("start", "next", "vars"),
            edge("vars", "next", "crm"),
            edge("crm", "next", None),
        ],
    )

    run = start_run(workflow, customer, {"form": {"message": "after 5pm"}})
    run_queued_tasks()
    crm_step = run.steps.get(node_id="crm")
    # A worker died after the node ran: the step runs again.
    Step.objects.filter(pk=crm_step.pk).update(status="pending", due_at=clock["now"])
    executor.execute_step(crm_step.pk)

    customer.refresh_from_db()
    assert customer.last_name == "Lopez"
    assert customer.custom_fields["source"] == "Hello Maya"
    assert "callback" in customer.tags.values_list("name", flat=True)
    notes = customer.activities.filter(kind="note")
    assert [n.summary for n in notes] == ["Asked for a callback: after 5pm"]
    assert customer.deals.get().stage == "qualified"


def test_send_sms_step_run_twice_sends_once(cast, customer, sender, fake_twilio, clock):
    workflow = sms_flow(cast.workspace)
    run = start_run(workflow, customer, {})
    run_queued_tasks()
    step = run.steps.get(node_id="text")

    Step.objects.filter(pk=step.pk).update(
        status="running", lease_until=None, due_at=clock["now"]
    )
    executor.execute_step(step.pk)
    run_queued_tasks()

    assert Message.objects.filter(direction="outbound").count() == 1
    assert len(fake_twilio.messages) == 1


def test_step_abandoned_by_a_dead_worker_is_taken_over_after_its_lease(
    cast, customer, clock
):
    workflow = make_workflow(
        cast.workspace,
        [webhook_trigger(), node("done", "end", result="ok")],
        [edge("start", "next", "done")],
    )
    run = start_run(workflow, customer, {})
    step = run.steps.get()
    drop_queued_tasks()
    Step.objects.filter(pk=step.pk).update(
        status="running",
        attempt=1,
        due_at=clock["now"],
        lease_until=clock["now"] + datetime.timedelta(seconds=120),
    )

    assert _advance(clock, 60) == []
    _advance(clock, 61)

    run.refresh_from_db()
    assert run.status == Run.Status.COMPLETED
    assert run.steps.get(node_id="start").attempt == 2


def test_failing_step_retries_with_backoff_then_fails_the_run_visibly(
    cast, customer, clock
):
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            {
                **node(
                    "call", "http_request", method="GET", url="http://127.0.0.1:9/none"
                ),
                "label": "Notify CRM",
                "retry": {"max_attempts": 3, "backoff_s": 5},
            },
        ],
        [
            edge("start", "next", "call"),
            edge("call", "success", None),
            edge("call", "failure", None),
        ],
    )
    cast.workspace.allow_private_http = True
    cast.workspace.save()

    run = start_run(workflow, customer, {})
    results = [r for _, r in run_queued_tasks()]
    results += [r for _, r in _advance(clock, 5)]
    results += [r for _, r in _advance(clock, 10)]

    assert results == ["retry", "retry", "failed"]
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert run.error.startswith("Step 'Notify CRM' failed after 3 attempt(s):")
    step = run.steps.get(node_id="call")
    assert (step.status, step.attempt) == ("failed", 3)

    retry_run(run)
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING
    assert run.steps.filter(node_id="call").count() == 2


def test_human_handoff_waits_and_continues_on_the_chosen_outcome(cast, customer, clock):
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node(
                "human",
                "human_handoff",
                queue="sales",
                note="Call {{ contact.first_name }}",
                outcomes=["booked", "lost"],
            ),
            node("won", "end", result="booked"),
            node("lost", "end", result="lost"),
        ],
        [
            edge("start", "next", "human"),
            edge("human", "booked", "won"),
            edge("human", "lost", "lost"),
        ],
    )
    run = start_run(workflow, customer, {})
    run_queued_tasks()
    handoff = Handoff.objects.get()
    assert (handoff.note, handoff.queue, handoff.status) == (
        "Call Maya",
        "sales",
        "open",
    )

    resolve_handoff(handoff, "booked", cast.agent)
    run_queued_tasks()

    run.refresh_from_db()
    assert (run.status, run.result) == (Run.Status.COMPLETED, "booked")
    assert run.context["steps"]["human"]["resolved_by"] == "agnes"


def test_cancelling_a_waiting_run_cancels_its_steps_and_handoff(cast, customer, clock):
    workflow = make_workflow(
        cast.workspace,
        [webhook_trigger(), node("human", "human_handoff", outcomes=["done"])],
        [edge("start", "next", "human"), edge("human", "done", None)],
    )
    run = start_run(workflow, customer, {})
    run_queued_tasks()

    cancel_run(run, cast.operator)

    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    assert run.error == "Cancelled by otto."
    assert run.steps.get(node_id="human").status == "cancelled"
    assert Handoff.objects.get().status == "cancelled"


@pytest.mark.parametrize(
    ("policy", "statuses"),
    [
        ("skip", ["waiting", None]),
        ("queue", ["completed", "waiting"]),
        ("restart", ["cancelled", "waiting"]),
    ],
)
def test_active_run_policy(cast, customer, clock, policy, statuses):
    workflow = make_workflow(
        cast.workspace,
        [webhook_trigger(), node("human", "human_handoff", outcomes=["done"])],
        [edge("start", "next", "human"), edge("human", "done", None)],
        active_run_policy=policy,
    )
    first = start_run(workflow, customer, {})
    run_queued_tasks()

    second = start_run(workflow, customer, {})
    run_queued_tasks()
    if policy == "queue":
        assert second.status == Run.Status.QUEUED
        resolve_handoff(Handoff.objects.get(run=first), "done")
        run_queued_tasks()

    first.refresh_from_db()
    if second is not None:
        second.refresh_from_db()
    assert [first.status, second and second.status] == statuses


@pytest.mark.django_db(transaction=True)
def test_a_trigger_never_deadlocks_with_a_step_writing_about_the_contact(
    cast, customer
):
    """A step holds its run and writes a row about the contact while a new
    trigger for that contact waits on the run. Foreign keys are checked at
    commit; that check must not wait on the trigger's lock on the contact."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; PostgreSQL shows the deadlock.")
    workflow = make_workflow(
        cast.workspace,
        [webhook_trigger(), node("human", "human_handoff", outcomes=["done"])],
        [edge("start", "next", "human"), edge("human", "done", None)],
    )
    first = start_run(workflow, customer, {})
    run_queued_tasks()
    step_holds_the_run = threading.Event()
    errors: list[BaseException] = []

    def step() -> None:
        try:
            with transaction.atomic():
                Run.objects.select_for_update().get(pk=first.pk)
                Activity.objects.create(
                    workspace=cast.workspace,
                    contact=customer,
                    kind=Activity.Kind.NOTE,
                    summary="Asked to be called back.",
                )
                step_holds_the_run.set()
                # Long enough for the trigger to lock the contact and queue
                # behind the run, as it would when they collide.
                time.sleep(0.5)
        except BaseException as error:
            errors.append(error)
        finally:
            step_holds_the_run.set()
            connection.close()

    def trigger() -> None:
        try:
            step_holds_the_run.wait(timeout=10)
            start_run(workflow, customer, {})
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=step), threading.Thread(target=trigger)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    assert Activity.objects.filter(contact=customer, kind="note").count() == 1


def test_same_trigger_key_starts_one_run(cast, customer, clock):
    workflow = sms_flow(cast.workspace)
    workflow.active_run_policy = "queue"
    workflow.save()

    first = start_run(workflow, customer, {}, trigger_key="call:CA1")
    again = start_run(workflow, customer, {}, trigger_key="call:CA1")

    assert again.pk == first.pk
    assert Run.objects.count() == 1
    assert Contact.objects.count() == 1


def test_wait_until_a_time_from_the_context_and_business_hours(cast, customer, clock):
    clock["now"] = clock["now"].replace(hour=20)  # After business hours, UTC.
    due = clock["now"] + datetime.timedelta(minutes=30)
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node("until", "wait", mode="until", until="{{ trigger.form.at }}"),
            node(
                "office",
                "wait",
                mode="business_hours",
                start="09:00",
                end="17:00",
                days=[0, 1, 2, 3, 4, 5, 6],
            ),
            node("done", "end", result="in hours"),
        ],
        [
            edge("start", "next", "until"),
            edge("until", "next", "office"),
            edge("office", "next", "done"),
        ],
    )

    run = start_run(workflow, customer, {"form": {"at": due.isoformat()}})
    run_queued_tasks()
    until = run.steps.get(node_id="until")
    _advance(clock, 30 * 60)
    office = run.steps.get(node_id="office")

    assert until.due_at == due
    assert office.status == "waiting"
    assert office.due_at.hour == 9 and office.due_at.date() > due.date()
    _advance(clock, (office.due_at - clock["now"]).total_seconds())
    run.refresh_from_db()
    assert (run.status, run.result) == (Run.Status.COMPLETED, "in hours")


def test_http_step_maps_the_response_into_variables(cast, customer, clock):
    import json as json_module
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received["body"] = json_module.loads(self.rfile.read(length))
            received["key"] = self.headers["Idempotency-Key"]
            payload = json_module.dumps({"lead": {"id": "L-7", "score": 88}}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cast.workspace.allow_private_http = True
    cast.workspace.save()
    url = f"http://127.0.0.1:{server.server_address[1]}/leads"
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node(
                "crm",
                "http_request",
                method="POST",
                url=url,
                body='{"phone": {{ contact.phone | tojson }}}',
                response_map={"lead_id": "lead.id", "score": "lead.score"},
            ),
            node(
                "route",
                "branch",
                conditions=[
                    {
                        "port": "hot",
                        "when": {"var": "vars.score", "op": "gte", "value": 80},
                    }
                ],
            ),
            node("hot", "end", result="{{ vars.lead_id }}"),
        ],
        [
            edge("start", "next", "crm"),
            edge("crm", "success", "route"),
            edge("crm", "failure", None),
            edge("route", "hot", "hot"),
            edge("route", "else", None),
        ],
    )

    run = start_run(workflow, customer, {})
    run_queued_tasks()
    server.shutdown()

    run.refresh_from_db()
    assert received["body"] == {"phone": "+12125550140"}
    step = run.steps.get(node_id="crm")
    assert received["key"] == f"step-{step.pk}"
    assert run.context["vars"] == {"lead_id": "L-7", "score": 88}
    assert run.steps.get(node_id="route").port == "hot"
    assert run.status == Run.Status.COMPLETED


def test_private_addresses_are_refused_unless_the_workspace_allows_them(
    cast, customer, clock
):
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            {
                **node(
                    "call", "http_request", method="GET", url="http://127.0.0.1:9/x"
                ),
                "retry": {"max_attempts": 1, "backoff_s": 1},
            },
        ],
        [
            edge("start", "next", "call"),
            edge("call", "success", None),
            edge("call", "failure", None),
        ],
    )

    run = start_run(workflow, customer, {})
    run_queued_tasks()

    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert "loopback" in run.error


def instant_flow(workspace, greeting="Hello {{ contact.first_name }}"):
    return make_workflow(
        workspace,
        [
            node("start", "trigger", type="manual"),
            node(
                "route",
                "branch",
                conditions=[
                    {"port": "known", "when": {"var": "contact.phone", "op": "exists"}}
                ],
            ),
            node(
                "greet", "set_variables", assignments=[{"name": "g", "value": greeting}]
            ),
            node("done", "end", result="greeted"),
        ],
        [
            edge("start", "next", "route"),
            edge("route", "known", "greet"),
            edge("route", "else", None),
            edge("greet", "next", "done"),
        ],
    )


def test_instant_steps_that_follow_one_another_commit_together(cast, customer, clock):
    run = start_run(instant_flow(cast.workspace), customer, {})
    trigger = run.steps.get()
    drop_queued_tasks()

    with CaptureQueriesContext(connection) as queries:
        assert executor.execute_step(trigger.pk) == "succeeded"

    # Inside the test's transaction, each transaction the task opens is a
    # savepoint: the whole run took one.
    savepoints = [q for q in queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 1
    run.refresh_from_db()
    assert (run.status, run.result) == ("completed", "greeted")
    assert run.context["vars"] == {"g": "Hello Maya"}
    steps = list(run.steps.order_by("pk"))
    assert [(s.node_id, s.status, s.attempt) for s in steps] == [
        ("start", "succeeded", 1),
        ("route", "succeeded", 1),
        ("greet", "succeeded", 1),
        ("done", "succeeded", 1),
    ]
    assert all(
        s.started_at and s.finished_at and s.claimed_until is None for s in steps
    )
    assert steps[2].input["config"]["assignments"][0]["name"] == "g"
    assert run_queued_tasks() == []


def _statements(queries, prefix: str) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith(prefix)]


def test_a_chain_of_instant_steps_writes_each_step_once_and_the_run_once(
    cast, customer, clock
):
    run = start_run(instant_flow(cast.workspace), customer, {})
    trigger = run.steps.get()
    drop_queued_tasks()

    with CaptureQueriesContext(connection) as queries:
        executor.execute_step(trigger.pk)

    # The trigger's row is updated; the three steps after it are inserted
    # already finished; the run is written once, as it ends.
    assert len(_statements(queries, 'UPDATE "workflows_step"')) == 1
    assert len(_statements(queries, 'INSERT INTO "workflows_step"')) == 3
    assert len(_statements(queries, 'UPDATE "workflows_run"')) == 1
    # The branch and the assignment both read the contact: its tags once.
    assert len([q for q in queries if "crm_tag" in q["sql"]]) == 1
    run.refresh_from_db()
    assert run.status == "completed"
    assert set(run.context["steps"]) == {"start", "route", "greet", "done"}


def test_a_wait_that_times_out_reads_no_tags_and_writes_the_run_once(
    cast, customer, clock
):
    workflow = minute_wait(cast.workspace)
    run = start_run(workflow, customer, {})
    run_queued_tasks()
    pause = run.steps.get(node_id="pause")
    clock["now"] += datetime.timedelta(seconds=61)

    with CaptureQueriesContext(connection) as queries:
        assert executor.execute_step(pause.pk) == "timed_out"

    assert not [q for q in queries if "crm_tag" in q["sql"]]
    assert len(_statements(queries, 'UPDATE "workflows_run"')) == 1
    assert len(_statements(queries, 'SELECT "workflows_run"')) == 1  # Queued runs.
    run.refresh_from_db()
    assert (run.status, run.result) == ("completed", "waited")
    assert run.context["steps"]["pause"]["port"] == "next"


def test_a_failing_instant_step_in_a_chain_fails_in_its_own_turn(cast, customer, clock):
    workflow = instant_flow(
        cast.workspace, greeting="{{ contact.first_name * 100000 }}"
    )
    run = start_run(workflow, customer, {})

    results = run_queued_tasks()

    assert results == [("workflows.tasks.execute_step", "failed")]
    run.refresh_from_db()
    assert run.status == "failed"
    assert "assignments.g" in run.error
    steps = {s.node_id: s for s in run.steps.all()}
    assert steps["route"].status == "succeeded"
    assert (steps["greet"].status, steps["greet"].attempt) == ("failed", 1)
    assert "done" not in steps


def test_a_step_that_acts_starts_with_the_instant_steps_before_it(
    cast, customer, sender, fake_twilio, clock, monkeypatch
):
    run = start_run(sms_flow(cast.workspace), customer, {})
    locks = []
    real_lock = executor._lock
    monkeypatch.setattr(executor, "_lock", lambda pk: locks.append(pk) or real_lock(pk))

    results = run_queued_tasks()

    # One transaction took the trigger and marked the text RUNNING, a
    # second recorded the text and ended the run.
    trigger, text, done = run.steps.order_by("pk")
    assert locks == [trigger.pk, text.pk]
    assert results[0] == ("workflows.tasks.execute_step", "succeeded")
    run.refresh_from_db()
    assert (run.status, text.status, text.attempt, done.status) == (
        "completed",
        "succeeded",
        1,
        "succeeded",
    )
    assert text.claimed_until is None
    assert Message.objects.get().idempotency_key == f"step:{text.pk}"
