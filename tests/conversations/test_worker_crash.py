"""A real worker killed mid-delivery neither loses a message nor sends it twice."""

import subprocess
import time

import pytest
from django.utils import timezone

from conversations.models import Message
from conversations.sending import send_sms
from tests.factories import make_contact
from tests.messaging import ACCOUNT_SID, AUTH_TOKEN, make_twilio_sender, opt_in
from tests.processes import kill_group, spawn_worker
from tests.twilio_server import FakeTwilio

pytestmark = pytest.mark.django_db(transaction=True)

SEND_LEASE_S = 3


@pytest.fixture
def carrier():
    with FakeTwilio({ACCOUNT_SID: AUTH_TOKEN}) as server:
        yield server


@pytest.fixture
def start_worker(carrier):
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = spawn_worker(
            TWILIO_API_BASE_URL=carrier.base_url,
            TWILIO_HTTP_TIMEOUT_S="1",
            SMS_SEND_LEASE_S=str(SEND_LEASE_S),
        )
        started.append(process)
        return process

    yield start
    for process in started:
        kill_group(process)


def _wait_for_status(
    message: Message, statuses: set[str], timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status in statuses:
            return
        time.sleep(0.1)
    raise AssertionError(f"message stayed {message.status}, wanted {statuses}")


@pytest.fixture
def message_to_send(cast):
    def write() -> Message:
        make_twilio_sender(cast.workspace, messages_per_second=100)
        contact = make_contact(cast.workspace, phone="+12125550199")
        opt_in(contact)
        # Live conversation: quiet hours and caps do not hold it back.
        contact.recipient_state.last_inbound_at = timezone.now()
        contact.recipient_state.save()
        return send_sms(
            contact=contact, body="Your technician is on the way", author="agent"
        )

    return write


def test_worker_killed_after_the_carrier_accepted(
    carrier, start_worker, message_to_send
):
    carrier.hold(decide_first=True)
    first = start_worker()
    message = message_to_send()

    carrier.wait_for_held(1, timeout_s=30)
    kill_group(first)
    carrier.release()
    message.refresh_from_db()
    assert message.status == Message.Status.SUBMITTING
    assert len(carrier.messages) == 1

    start_worker()
    _wait_for_status(message, {Message.Status.ACCEPTED})

    assert len(carrier.messages) == 1
    assert message.twilio_sid == carrier.messages[0]["sid"]
    assert message.status_history[-1]["source"] == "reconcile"


def test_worker_killed_before_the_carrier_got_the_message(
    carrier, start_worker, message_to_send
):
    carrier.hold(decide_first=False)
    first = start_worker()
    message = message_to_send()

    carrier.wait_for_held(1, timeout_s=30)
    kill_group(first)
    carrier.release(drop=True)
    assert carrier.messages == []

    start_worker()
    _wait_for_status(message, {Message.Status.ACCEPTED})

    assert len(carrier.messages) == 1
    assert message.twilio_sid == carrier.messages[0]["sid"]
    assert message.attempts == 2
