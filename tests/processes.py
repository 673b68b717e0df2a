"""Run real Thoughtflow processes (a django-q2 worker) against the test database."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection
from django_q.status import Stat

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database this test run uses, for a child process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def child_environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url(), **extra}
    env.pop("TASKS_RUN_INLINE", None)
    return env


def start_worker(timeout_s: float = 30.0, **extra_env: str) -> subprocess.Popen:
    """Start `manage.py worker` and wait until its cluster reports itself alive."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env=child_environment(**extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited early with code {process.returncode}")
        # Match on pid: a killed worker's heartbeat outlives it for seconds.
        if any(stat.pid == process.pid for stat in Stat.get_all()):
            return process
        time.sleep(0.2)
    stop_worker(process)
    raise TimeoutError(f"worker did not report itself alive within {timeout_s}s")


def start_web_server(
    timeout_s: float = 30.0, **extra_env: str
) -> tuple[subprocess.Popen, str]:
    """Start daphne, as `make demo` does, on a free port; return it and its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "thoughtflow.asgi:application",
        ],
        cwd=ROOT,
        env=child_environment(**extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"web server exited early with code {process.returncode}"
            )
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    stop_worker(process)
    raise TimeoutError(f"web server did not listen within {timeout_s}s")


def stop_worker(process: subprocess.Popen, timeout_s: float = 20.0) -> None:
    """Stop the cluster the way an operator would: SIGTERM to the main process."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def spawn_worker(**extra_env: str) -> subprocess.Popen:
    """Start `manage.py worker` in its own process group, ready to be killed."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env=child_environment(WORKER_PROCESSES="1", **extra_env),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a worker and every process it started: no chance to clean up."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
