"""Runs survive their worker being killed mid-wait and mid-step."""

import contextlib
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conversations.models import Message
from tests.factories import make_contact
from tests.messaging import make_local_sender, opt_in
from tests.processes import kill_group, spawn_worker
from tests.workflows.builders import edge, make_workflow, node
from workflows.engine.runs import start_run
from workflows.models import Run

pytestmark = pytest.mark.django_db(transaction=True)

STEP_LEASE_S = 3


class SlowServer:
    """A local HTTP endpoint that answers after a delay and records each call."""

    def __init__(self, delay_s: float) -> None:
        self.calls: list[str | None] = []
        self.arrived = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.calls.append(self.headers.get("Idempotency-Key"))
                outer.arrived.set()
                time.sleep(delay_s)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def workers():
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = spawn_worker(STEP_LEASE_S=str(STEP_LEASE_S))
        started.append(process)
        return process

    yield start
    for process in started:
        kill_group(process)


def wait_for_run(run: Run, status: str, timeout_s: float = 40) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status == status:
            return
        time.sleep(0.2)
    steps = list(run.steps.values_list("node_id", "status", "attempt"))
    raise AssertionError(f"run stayed {run.status}; steps: {steps}")


@pytest.fixture
def customer(cast):
    make_local_sender(cast.workspace)
    contact = make_contact(cast.workspace, phone="+12125550188", time_zone="UTC")
    opt_in(contact)
    return contact


def test_run_survives_its_worker_killed_mid_wait(cast, customer, workers):
    workflow = make_workflow(
        cast.workspace,
        [
            node("start", "trigger", type="manual"),
            node("pause", "wait", mode="duration", seconds=4),
            node("done", "end", result="woke"),
        ],
        [edge("start", "next", "pause"), edge("pause", "next", "done")],
    )
    first = workers()
    run = start_run(workflow, customer, {})
    wait_for_run(run, Run.Status.WAITING)

    kill_group(first)
    workers()

    wait_for_run(run, Run.Status.COMPLETED)
    assert run.result == "woke"
    assert run.steps.get(node_id="pause").attempt == 1


def test_run_survives_its_worker_killed_mid_step_without_repeating_a_text(
    cast, customer, workers
):
    cast.workspace.allow_private_http = True
    cast.workspace.save()
    server = SlowServer(delay_s=6)
    workflow = make_workflow(
        cast.workspace,
        [
            node("start", "trigger", type="manual"),
            node(
                "text", "send_sms", body="We got your request", purpose="notification"
            ),
            node("notify", "http_request", method="POST", url=server.url, timeout_s=10),
            node("done", "end", result="notified"),
        ],
        [
            edge("start", "next", "text"),
            edge("text", "sent", "notify"),
            edge("text", "blocked", None),
            edge("notify", "success", "done"),
            edge("notify", "failure", None),
        ],
    )
    first = workers()
    run = start_run(workflow, customer, {})
    assert server.arrived.wait(timeout=30), "the HTTP step never started"

    kill_group(first)  # Mid-step: the HTTP call is in flight.
    workers()

    try:
        wait_for_run(run, Run.Status.COMPLETED)
    finally:
        server.stop()
    assert Message.objects.filter(direction="outbound").count() == 1
    notify = run.steps.get(node_id="notify")
    assert notify.attempt == 2
    # The repeated call carries the same key, so the receiver can drop it.
    assert server.calls == [f"step-{notify.pk}"] * 2
