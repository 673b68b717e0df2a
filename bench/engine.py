"""Workflow engine throughput, end-to-end latency and timer lateness.

Starts Thoughtflow as the README recommends for production (gunicorn,
PostgreSQL, Redis) with one `manage.py worker` running two django-q2 worker
processes, and a local Twilio-compatible server as the carrier. Then:

1. N form fills posted to a workflow's webhook from 10 concurrent clients;
   each run goes webhook -> branch -> send SMS -> end. Prints completed runs
   per second and p50/p99 from posting the form to the carrier receiving
   the text.
2. 1,000 runs whose wait ends at the same moment. Prints how late the
   waits finished (p50/p99/max).

Before both, the baseline: the same gunicorn and PostgreSQL serving an
endpoint that only inserts one row (bench/baseline.py), posted the same
forms by the same 10 clients. Runs per second are printed as a ratio to
it too, since the machine's other load moves both figures together.

For reference, on a machine like ours n8n 2.8 completed about 28-45 runs
per second of webhook -> IF -> HTTP request -> respond.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/thoughtflow \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m bench.engine
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.common import (
    ROOT,
    bench_database,
    free_port,
    gunicorn,
    production_env,
    setup_django,
    stop,
    wait_for_port,
)
from tests.twilio_server import FakeTwilio

ACCOUNT_SID = "AC" + "e" * 32
AUTH_TOKEN = "d" * 32
FROM_NUMBER = "+15005550007"
CLIENTS = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--baseline-requests", type=int, default=2000)
    args = parser.parse_args()

    database_url = bench_database(os.environ.get("DATABASE_URL", ""))
    carrier = FakeTwilio({ACCOUNT_SID: AUTH_TOKEN})
    port = free_port()
    env = production_env(
        database_url,
        port,
        TWILIO_API_BASE_URL=carrier.base_url,
        WORKER_PROCESSES="2",
    )
    setup_django(env)
    hook_url, timer_workflow = prepare(port)
    baseline = measure_baseline(env, args.baseline_requests)

    processes = [
        gunicorn("thoughtflow.wsgi", port, env),
        subprocess.Popen([sys.executable, "manage.py", "worker"], cwd=ROOT, env=env),
    ]
    try:
        wait_for_port(port)
        time.sleep(2)  # Let the worker's cluster start.
        runs = measure_runs(hook_url, carrier, args.runs)
        timers = measure_timers(timer_workflow, args.timers)
    finally:
        stop(processes)
        carrier.stop()
    report(args, baseline, runs, timers)


def measure_baseline(env: dict[str, str], count: int) -> dict:
    """Requests per second of the one-insert endpoint, alone on the machine."""
    from django.db import connection

    from bench.baseline import CREATE_TABLE

    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    connection.close()
    port = free_port()
    server = gunicorn("bench.baseline:application", port, env)
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/bench/insert"
        requests.post(url, data=_form(0), timeout=30).raise_for_status()
        started = time.time()
        with ThreadPoolExecutor(CLIENTS) as pool:
            for response in pool.map(
                lambda n: requests.post(url, data=_form(n), timeout=30), range(count)
            ):
                response.raise_for_status()
        elapsed = time.time() - started
    finally:
        stop([server])
    return {"requests": count, "rate": count / elapsed}


def _form(n: int) -> dict[str, str]:
    return {
        "phone": f"+1{212 + n // 10000}555{n % 10000:04d}",
        "name": f"Lead {n}",
        "kind": "lead",
        "sms_consent": "yes",
    }


def prepare(port: int) -> tuple[str, object]:
    from django.db import connection

    from conversations.models import MessagingSettings
    from integrations.crm.models import Contact
    from integrations.twilio.models import CarrierAccount, Sender
    from thoughtflow.models import Workspace
    from workflows import services
    from workflows.models import Run, Workflow

    workspace, _ = Workspace.objects.get_or_create(
        slug="bench", defaults={"name": "Bench"}
    )
    Run.objects.filter(workspace=workspace).delete()
    Contact.objects.filter(workspace=workspace).delete()
    account, _ = CarrierAccount.objects.update_or_create(
        account_sid=ACCOUNT_SID,
        defaults={"workspace": workspace, "name": "Bench", "auth_token": AUTH_TOKEN},
    )
    # This benchmark's number becomes the workspace's default sender.
    Sender.objects.filter(workspace=workspace).update(is_default=False)
    Sender.objects.update_or_create(
        phone_number=FROM_NUMBER,
        defaults={
            "workspace": workspace,
            "account": account,
            "is_active": True,
            "is_default": True,
            "messages_per_second": 1000,
        },
    )
    # Texts at any hour and in any number: this measures the engine, not
    # the quiet hours.
    MessagingSettings.objects.update_or_create(
        workspace=workspace,
        defaults={
            "quiet_hours_start": datetime.time(0, 0),
            "quiet_hours_end": datetime.time(23, 59, 59),
            "max_messages_per_day": 1000,
            "state_rules": False,
        },
    )
    Workflow.objects.filter(workspace=workspace).delete()
    lead = Workflow.objects.create(
        workspace=workspace, name="Form follow-up", draft=LEAD_GRAPH
    )
    services.publish(lead)
    timers = Workflow.objects.create(
        workspace=workspace, name="Timers", draft=TIMER_GRAPH, active_run_policy="queue"
    )
    services.publish(timers)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_q_ormq")
    connection.close()
    return (
        f"http://127.0.0.1:{port}/hooks/{lead.hook_token}",
        Workflow.objects.select_related("published_version").get(pk=timers.pk),
    )


def measure_runs(hook_url: str, carrier: FakeTwilio, count: int) -> dict:
    from workflows.models import Run

    def post(n: int) -> tuple[str, float]:
        form = _form(n)
        sent = time.time()
        response = requests.post(hook_url, data=form, timeout=30)
        response.raise_for_status()
        return form["phone"], sent

    started = time.time()
    with ThreadPoolExecutor(CLIENTS) as pool:
        sent_at = dict(pool.map(post, range(count)))
    posted = time.time()
    carrier.wait_for_messages(count, timeout_s=600)
    while Run.objects.filter(status="completed").count() < count:
        time.sleep(0.2)
    finished = time.time()

    latencies = sorted(
        (m["received_at"].timestamp() - sent_at[m["form"]["To"]]) * 1000
        for m in carrier.messages
        if m["form"]["To"] in sent_at
    )
    return {
        "runs": count,
        "post_s": posted - started,
        "total_s": finished - started,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
    }


def measure_timers(workflow: object, count: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from integrations.crm.models import Contact
    from workflows.engine.runs import start_run
    from workflows.models import Step

    due = timezone.now() + datetime.timedelta(seconds=20)
    contacts = Contact.objects.bulk_create(
        Contact(
            workspace_id=workflow.workspace_id,
            phone=f"+1415555{n:04d}",
            time_zone="UTC",
        )
        for n in range(count)
    )
    with transaction.atomic():
        for contact in contacts:
            start_run(workflow, contact, {"manual": {"at": due.isoformat()}})
    while Step.objects.filter(node_id="pause", status="succeeded").count() < count:
        time.sleep(0.2)
        if timezone.now() > due + datetime.timedelta(minutes=5):
            sys.exit(
                "The timers did not all fire within five minutes of their due time."
            )
    finished = sorted(
        (moment - due).total_seconds() * 1000
        for moment in Step.objects.filter(node_id="pause").values_list(
            "finished_at", flat=True
        )
    )
    return {
        "count": count,
        "p50_ms": statistics.median(finished),
        "p99_ms": finished[int(len(finished) * 0.99) - 1],
        "max_ms": finished[-1],
    }


def report(args: argparse.Namespace, baseline: dict, runs: dict, timers: dict) -> None:
    rate = runs["runs"] / runs["total_s"]
    print(
        f"\nbaseline, one-row insert: {baseline['requests']} requests "
        f"from {CLIENTS} clients"
    )
    print(f"  requests per second:              {baseline['rate']:8.1f}")
    flow = "webhook -> branch -> send SMS -> end"
    print(f"\n{flow}: {runs['runs']} runs from {CLIENTS} clients")
    print(f"  completed runs per second:        {rate:8.1f}")
    print(f"  ... as a ratio to the baseline:   {rate / baseline['rate']:8.3f}")
    print(f"  form fills accepted per second:   {runs['runs'] / runs['post_s']:8.1f}")
    p50, p99 = runs["p50_ms"], runs["p99_ms"]
    print(f"  webhook to carrier, p50 / p99:    {p50:8.0f} / {p99:.0f} ms")
    print("  n8n reference (same machine kind): 28-45 runs/s; aim 5x: 140-225 runs/s")
    print(f"\n{timers['count']} waits due at the same moment")
    print(
        f"  lateness p50 / p99 / max:         {timers['p50_ms']:8.0f} / "
        f"{timers['p99_ms']:.0f} / {timers['max_ms']:.0f} ms"
    )


def _node(node_id: str, kind: str, **config: object) -> dict:
    return {"id": node_id, "kind": kind, "config": config, "position": {"x": 0, "y": 0}}


LEAD_GRAPH = {
    "nodes": [
        _node(
            "start",
            "trigger",
            type="webhook",
            consent_field="form.sms_consent",
            field_map={"phone": "form.phone", "first_name": "form.name"},
        ),
        _node(
            "route",
            "branch",
            conditions=[
                {
                    "port": "lead",
                    "when": {"var": "trigger.form.kind", "op": "eq", "value": "lead"},
                }
            ],
        ),
        _node(
            "text",
            "send_sms",
            body="Thanks {{ contact.first_name }}, we'll call you shortly.",
            purpose="conversation",
        ),
        _node("done", "end", result="texted"),
    ],
    "edges": [
        {"source": "start", "port": "next", "target": "route"},
        {"source": "route", "port": "lead", "target": "text"},
        {"source": "route", "port": "else", "target": None},
        {"source": "text", "port": "sent", "target": "done"},
        {"source": "text", "port": "blocked", "target": None},
    ],
}
TIMER_GRAPH = {
    "nodes": [
        _node("start", "trigger", type="manual"),
        _node("pause", "wait", mode="until", until="{{ trigger.manual.at }}"),
        _node("done", "end", result="woke"),
    ],
    "edges": [
        {"source": "start", "port": "next", "target": "pause"},
        {"source": "pause", "port": "next", "target": "done"},
    ],
}


if __name__ == "__main__":
    main()
