"""Browser tests: Debian's Chromium driven by Playwright against a live server.

The server is Daphne in a process of its own (HTTP and websockets, as in
the demo) on the test database; tests that need tasks processed start a
real worker too. Screenshots go to test-results/.
"""

import datetime
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from conversations.models import MessagingSettings
from integrations.crm.models import Contact
from tests.factories import make_contact, make_user, make_workspace
from tests.messaging import make_local_sender, opt_in
from tests.processes import ROOT, start_web_server, start_worker, stop_worker
from thoughtflow.models import Role, Workspace

T = TypeVar("T")
SCREENSHOTS = ROOT / "test-results"


@pytest.fixture(autouse=True)
def _fast_passwords():
    """Keep the default hasher: the server process does not share test settings."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
        ],
    }


@pytest.fixture
def live_server_url(transactional_db):
    """Daphne in its own process on the test database, as `make demo` runs it.

    A forked server would inherit this process's database connections and
    could read through a stale snapshot; a fresh process opens its own.
    """
    process, url = start_web_server()
    yield url
    stop_worker(process)


@pytest.fixture
def live_worker(transactional_db):
    process = start_worker()
    yield process
    stop_worker(process)


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def eventually(find: Callable[[], T | None], timeout_s: float = 15.0) -> T:
    """Poll `find` until it returns something; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (found := find()) is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"nothing found within {timeout_s}s")


def texting_workspace(name: str) -> tuple[Workspace, Contact]:
    """A workspace with Olivia the operator, a local line, and Jordan opted in.

    The agent's opening text is not a reply, so quiet hours would hold it
    back at night: this workspace texts around the clock.
    """
    workspace = make_workspace(name)
    make_user("olivia", workspace=workspace, role=Role.OPERATOR)
    make_local_sender(workspace, "+15005550006")
    MessagingSettings.objects.update_or_create(
        workspace=workspace,
        defaults={
            "quiet_hours_start": datetime.time(0, 0),
            "quiet_hours_end": datetime.time(23, 59, 59),
            "state_rules": False,
        },
    )
    contact = make_contact(workspace, first_name="Jordan", phone="+13125550102")
    opt_in(contact)
    return workspace, contact
