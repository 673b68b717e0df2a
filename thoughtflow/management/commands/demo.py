"""Run Thoughtflow locally: migrate, seed, then serve the app with a worker.

The web server (daphne: HTTP and websockets) and a worker (django-q2 and the
claimer, see thoughtflow/claimer.py) run as child processes; Ctrl-C stops
both.
"""

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from thoughtflow.management.commands.seed_demo import DEMO_PASSWORD, PEOPLE

STOP_TIMEOUT_S = 15
ASGI_APP = "thoughtflow.asgi:application"


class Command(BaseCommand):
    help = "Migrate, seed the demo workspace, and run the web server and a worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("seed_demo", force=True)

        python = sys.executable
        commands = [
            [python, "-m", "daphne", "-b", host, "-p", str(port), ASGI_APP],
            [python, "manage.py", "worker"],
        ]
        # Own process groups: Ctrl-C reaches only this command, which then
        # stops each child in the order and way it needs.
        children = [
            subprocess.Popen(command, start_new_session=True)  # noqa: S603
            for command in commands
        ]
        self._print_login(host, port)
        self._wait(children)

    def _print_login(self, host: str, port: int) -> None:
        base = f"http://{host}:{port}"
        users = ", ".join(f"{name} ({role})" for name, role, _ in PEOPLE)
        self.stdout.write(
            self.style.SUCCESS(f"\nThoughtflow is running at {base}/\n")
            + f"  Sign in:  {base}/login/  as {users}; password: {DEMO_PASSWORD}\n"
            + f"  Simulator: {base}/simulator/ (text the demo line as a contact)\n"
            + f"  Inbox:    {base}/inbox/ (where people answer contacts)\n"
            + f"  Admin:    {base}/admin/\n"
            + f"  API docs: {base}/api/docs/   schema: {base}/api/schema/\n"
            + f"  Health:   {base}/healthz\n"
            + "Press Ctrl-C to stop.\n"
        )

    def _wait(self, children: list[subprocess.Popen]) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)

        # SIGTERM to each main process only: django-q2's cluster stops its
        # own workers, and signalling them directly leaves it hanging.
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
        if not stopping:
            exited = [str(child.args) for child in children if child.returncode]
            self.stderr.write(f"Stopped because a process exited: {', '.join(exited)}")
