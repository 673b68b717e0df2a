"""Throughput and latency of the inbound-SMS webhook, against baselines.

Starts Thoughtflow the way the README recommends for production (gunicorn
sync workers, PostgreSQL, Redis) and, beside it, the cheapest Django views
this machine serves (bench/baseline.py, also on gunicorn). wrk then drives
each from 16 connections: a trivial view, a one-row insert, and signed
inbound webhooks, each with a fresh MessageSid; finally the webhook again,
throttled to half the insert view's throughput, for its latency under load.
The figures are the ratios to the baselines measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/thoughtflow \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m bench.webhook

The benchmark uses its own database (the URL's name + "_bench") and Redis
prefix, creates them if needed, and installs wrk with apt when it is missing
and it runs as root. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from bench.common import (
    bench_database,
    free_port,
    gunicorn,
    production_env,
    setup_django,
    stop,
    wait_for_port,
)

WORKERS = 2  # gunicorn sync workers per server, as the README recommends
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "c" * 32
TO_NUMBER = "+15005550006"

WRK_SCRIPT = r"""
local requests = {}
local index = 0
local body_file = os.getenv("BENCH_BODIES")
local think_ms = tonumber(os.getenv("BENCH_THINK_MS") or "0")

init = function(args)
  if body_file == nil or body_file == "" then
    requests[1] = wrk.format(nil, nil)
    return
  end
  for line in io.lines(body_file) do
    local body, signature = line:match("([^\t]*)\t(.*)")
    requests[#requests + 1] = wrk.format("POST", nil, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = signature,
    }, body)
  end
end

request = function()
  index = index % #requests + 1
  return requests[index]
end

if think_ms > 0 then
  delay = function() return think_ms end
end

done = function(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per run")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    database_url = bench_database(os.environ.get("DATABASE_URL", ""))
    wrk = ensure_wrk()
    app_port, baseline_port = free_port(), free_port()
    env = production_env(database_url, app_port)
    prepare(env)
    servers = [
        gunicorn("thoughtflow.wsgi", app_port, env),
        gunicorn("bench.baseline:application", baseline_port, env),
    ]
    try:
        for port in (app_port, baseline_port):
            wait_for_port(port)
        results = measure(wrk, args, app_port, baseline_port, env["PUBLIC_BASE_URL"])
    finally:
        stop(servers)
    report(results, args)


def measure(
    wrk: str,
    args: argparse.Namespace,
    app_port: int,
    baseline_port: int,
    public_url: str,
) -> dict[str, dict]:
    baseline = f"http://127.0.0.1:{baseline_port}"
    webhook = f"http://127.0.0.1:{app_port}/webhooks/twilio/sms"
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "bench.lua"
        script.write_text(WRK_SCRIPT)
        run = lambda url, **kw: run_wrk(wrk, script, url, args, Path(scratch), **kw)  # noqa: E731

        results["trivial view"] = run(f"{baseline}/trivial")
        results["one-insert view"] = run(f"{baseline}/insert", body=True)
        results["webhook"] = run(webhook, webhook_url=public_url)
        half = results["one-insert view"]["rps"] / 2
        results["webhook at half the insert rate"] = run(
            webhook, webhook_url=public_url, target_rps=half
        )
    return results


def run_wrk(
    wrk: str,
    script: Path,
    url: str,
    args: argparse.Namespace,
    scratch: Path,
    *,
    body: bool = False,
    webhook_url: str | None = None,
    target_rps: float | None = None,
) -> dict:
    env = {**os.environ, "BENCH_BODIES": "", "BENCH_THINK_MS": "0"}
    connections = args.connections
    if webhook_url or body:
        bodies = scratch / f"bodies-{secrets.token_hex(4)}.tsv"
        write_bodies(bodies, webhook_url, count=60_000 if webhook_url else 1)
        env["BENCH_BODIES"] = str(bodies)
    if target_rps:
        # Each connection waits between requests, so together they offer
        # about target_rps; latency is then measured below saturation. The
        # wait leaves room for the request itself, a few milliseconds.
        connections = 32
        think_ms = connections * 1000 / target_rps - 5
        env["BENCH_THINK_MS"] = str(max(int(think_ms), 1))

    # A short warm-up fills connection pools and code caches.
    subprocess.run(  # noqa: S603
        [wrk, "-t1", f"-c{connections}", "-d2s", "-s", str(script), url],
        env=env,
        capture_output=True,
        check=True,
    )
    output = subprocess.run(  # noqa: S603
        [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{args.duration}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["non_2xx"] + raw["socket_errors"],
        "connections": connections,
    }


def write_bodies(path: Path, public_url: str | None, count: int) -> None:
    """Signed inbound-SMS forms, one per line, each with its own MessageSid."""
    if public_url is None:
        path.write_text("payload=one-row\t-\n")
        return

    from twilio.request_validator import RequestValidator

    validator = RequestValidator(AUTH_TOKEN)
    url = public_url + "/webhooks/twilio/sms"
    lines = []
    for n in range(count):
        sid = "SM" + secrets.token_hex(16)
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": f"+1212555{n % 10000:04d}",
            "To": TO_NUMBER,
            "Body": "Yes, tomorrow at 3 works for me",
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        lines.append(f"{urlencode(form)}\t{validator.compute_signature(url, form)}")
    path.write_text("\n".join(lines) + "\n")


def prepare(env: dict[str, str]) -> None:
    """Migrate the bench database and give it a workspace with a Twilio number."""
    setup_django(env)
    from django.db import connection

    from conversations.models import InboundWebhook
    from integrations.twilio.models import CarrierAccount, Sender
    from thoughtflow.models import Workspace

    workspace, _ = Workspace.objects.get_or_create(
        slug="bench", defaults={"name": "Bench"}
    )
    account, _ = CarrierAccount.objects.update_or_create(
        account_sid=ACCOUNT_SID,
        defaults={"workspace": workspace, "name": "Bench", "auth_token": AUTH_TOKEN},
    )
    Sender.objects.update_or_create(
        phone_number=TO_NUMBER,
        defaults={"workspace": workspace, "account": account, "is_active": True},
    )
    InboundWebhook.objects.filter(workspace=workspace).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline_row "
            "(id bigserial PRIMARY KEY, payload text)"
        )
        cursor.execute("TRUNCATE bench_baseline_row")
        cursor.execute("DELETE FROM django_q_ormq")
    connection.close()


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() != 0:
        sys.exit("The benchmark needs wrk: sudo apt-get install wrk")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)  # noqa: S607
    return shutil.which("wrk") or sys.exit("wrk did not install")


def report(results: dict[str, dict], args: argparse.Namespace) -> None:
    print(f"\n{WORKERS} gunicorn sync workers each; wrk, {args.duration}s per run\n")
    header = ["conns", "req/s", "p50 ms", "p99 ms", "errors"]
    print(f"{'endpoint':34} " + " ".join(f"{name:>8}" for name in header))
    for name, row in results.items():
        print(
            f"{name:34} {row['connections']:>8} {row['rps']:>8.0f} "
            f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['errors']:>8}"
        )
    if failed := sum(row["errors"] for row in results.values()):
        sys.exit(f"\n{failed} requests failed: these figures are not valid.")
    webhook, insert = results["webhook"], results["one-insert view"]
    trivial, half = results["trivial view"], results["webhook at half the insert rate"]
    ratio = webhook["rps"] / insert["rps"]
    print(f"\nwebhook / one-insert view throughput: {ratio:.2f} (aim: at least 0.50)")
    print(
        f"webhook / trivial view throughput:    {webhook['rps'] / trivial['rps']:.2f}"
    )
    print(
        f"webhook p99 at {half['rps']:.0f} req/s (half the insert rate): "
        f"{half['p99_ms']:.1f} ms (aim: under 50 ms)"
    )


if __name__ == "__main__":
    main()
