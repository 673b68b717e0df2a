"""What the benchmarks share: a scratch database, ports, and servers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
# Not a secret: it only encrypts the fake tokens in the scratch database, and
# stays fixed so a token saved by an earlier run still decrypts.
BENCH_SECRET_KEY = "bench-only-secret-key-for-a-scratch-database-0123456789"  # noqa: S105


def production_env(database_url: str, public_port: int, **extra: str) -> dict[str, str]:
    """Settings the README recommends for production, on the scratch database."""
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        sys.exit("Set REDIS_URL: the benchmark runs the production configuration.")
    # Named after the scratch database, so benchmarks run by others against
    # the same Redis keep to their own keys.
    database = urlsplit(database_url).path.lstrip("/")
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": database.replace("_", "-"),
        "PRODUCTION": "true",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{public_port}",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def setup_django(env: dict[str, str]) -> None:
    """Load Django in this process with `env`, and migrate the database."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thoughtflow.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def bench_database(database_url: str) -> str:
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL server: the benchmark runs production."
        )
    name = parts.path.lstrip("/") + "_bench"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit(f"nothing listened on port {port} within {timeout_s}s")


def gunicorn(
    app: str, port: int, env: dict[str, str], workers: int = 2
) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            app,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


def daphne(app: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    """Serve websockets the way the README recommends for production."""
    return subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "daphne"),
            app,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--verbosity",
            "0",
        ],
        cwd=ROOT,
        env=env,
    )
