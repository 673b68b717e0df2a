import datetime
from dataclasses import dataclass

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_api_key, make_contact, make_user, make_workspace
from thoughtflow.models import Role, User, Workspace


@pytest.fixture(autouse=True)
def _fresh_routes():
    """Each test starts with no cached number-to-workspace routes."""
    from integrations.twilio import routes

    routes.forget()
    yield
    routes.forget()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The default hasher is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Cast:
    """The people most tests need: a workspace's staff and an outsider.

    `outsider` is an admin of another workspace, `other`, and appears in
    every permission test.
    """

    workspace: Workspace
    admin: User
    operator: User
    agent: User
    other: Workspace
    outsider: User


@pytest.fixture
def cast(db) -> Cast:
    workspace = make_workspace("Acme")
    other = make_workspace("Globex")
    return Cast(
        workspace=workspace,
        admin=make_user("ada", workspace=workspace, role=Role.ADMIN),
        operator=make_user("otto", workspace=workspace, role=Role.OPERATOR),
        agent=make_user("agnes", workspace=workspace, role=Role.AGENT),
        other=other,
        outsider=make_user("oscar", workspace=other, role=Role.ADMIN),
    )


@pytest.fixture
def api():
    """An API client; call `api.force_login(user)` or use `key_client`."""
    return APIClient()


@pytest.fixture
def key_client(cast):
    """A client authenticated with an operator API key of `cast.workspace`."""
    _, plaintext = make_api_key(cast.workspace)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def contact(cast):
    return make_contact(cast.workspace, first_name="Maya", phone="+12125550101")


@pytest.fixture
def foreign_contact(cast):
    """A contact of the outsider's workspace."""
    return make_contact(
        cast.other, first_name="Foreign", last_name="Person", phone="+13125550199"
    )


@pytest.fixture
def worker(transactional_db):
    """A real django-q2 worker process on the test database."""
    from tests.processes import start_worker, stop_worker

    process = start_worker()
    yield process
    stop_worker(process)


@pytest.fixture
def fake_twilio(settings):
    """A Twilio-compatible server on 127.0.0.1 that the real SDK talks to."""
    from integrations.twilio import client as carrier
    from tests.messaging import ACCOUNT_SID, AUTH_TOKEN
    from tests.twilio_server import FakeTwilio

    with FakeTwilio({ACCOUNT_SID: AUTH_TOKEN}) as server:
        settings.TWILIO_API_BASE_URL = server.base_url
        carrier._client.cache_clear()
        yield server
    carrier._client.cache_clear()


@pytest.fixture
def sender(cast):
    from tests.messaging import make_twilio_sender

    return make_twilio_sender(cast.workspace, is_default=True)


@pytest.fixture
def daytime(monkeypatch):
    """Freeze the clock at noon UTC, inside every default sending window.

    The latest noon already past: the local Twilio server stamps messages
    with the real time, which must not come before the frozen one.
    """
    real_now = timezone.now()
    noon = real_now.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon > real_now:
        noon -= datetime.timedelta(days=1)
    clock = {"now": noon}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    return clock


@pytest.fixture
async def db_thread():
    """Close the connections a consumer's database thread opened.

    Left open, they keep PostgreSQL from dropping the test database.
    """
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def fresh_channel_layer():
    """Give the test its own channel layer.

    A Redis layer keeps locks bound to the event loop of the test that
    first received through it, and fails in a later test's loop.
    """
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
