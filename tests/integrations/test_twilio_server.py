"""The local Twilio server, driven by the real twilio SDK."""

import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageInstance

from tests.twilio_server import FakeTwilio, count_segments

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "auth-token-for-tests"
API_KEY_SID = "SK" + "fedcba9876543210" * 2
API_KEY_SECRET = "api-key-secret-for-tests"
SERVICE_SID = "MG" + "00112233445566778899aabbccddeeff"
SENDER = "+14155550199"
RECIPIENT = "+14155550100"
CALLBACK_URL = "https://thoughtflow.example.com/twilio/status"

MESSAGE_SID_RE = re.compile(r"(SM|MM)[0-9a-f]{32}")

# Sends one message and waits for the answer; the test kills it first.
IN_FLIGHT_CLIENT = """
import sys
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

base_url, account_sid, auth_token = sys.argv[1:4]
client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=60))
client.api.base_url = base_url
client.messages.create(to="+14155550100", from_="+14155550199", body="in flight")
"""


@pytest.fixture
def server() -> Iterator[FakeTwilio]:
    api_keys = {API_KEY_SID: (API_KEY_SECRET, ACCOUNT_SID)}
    with FakeTwilio({ACCOUNT_SID: AUTH_TOKEN}, api_keys=api_keys) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _no_twilio_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK rewrites hostnames when an edge or region is set, which turns
    # 127.0.0.1 into an address that does not exist.
    monkeypatch.delenv("TWILIO_EDGE", raising=False)
    monkeypatch.delenv("TWILIO_REGION", raising=False)


def make_client(
    server: FakeTwilio,
    username: str = ACCOUNT_SID,
    password: str = AUTH_TOKEN,
    account_sid: str | None = None,
) -> Client:
    client = Client(
        username,
        password,
        account_sid=account_sid,
        http_client=TwilioHttpClient(timeout=5),
    )
    client.api.base_url = server.base_url
    return client


def post_raw(
    server: FakeTwilio, body: bytes, content_type: str
) -> tuple[int, dict[str, Any]]:
    """POST to Messages.json without the SDK and return status and JSON."""
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    # Both S310 waivers: the URL is the local server's own http:// address.
    request = urllib.request.Request(  # noqa: S310
        f"{server.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data=body,
        headers={"Content-Type": content_type, "Authorization": f"Basic {credentials}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def send(client: Client, **overrides: Any) -> MessageInstance:
    fields: dict[str, Any] = {"to": RECIPIENT, "from_": SENDER, "body": "Hello"}
    fields.update(overrides)
    return client.messages.create(**fields)


def test_send_returns_message_and_records_form(server: FakeTwilio) -> None:
    client = make_client(server)

    message = send(
        client, body="Your visit is confirmed.", status_callback=CALLBACK_URL
    )

    assert MESSAGE_SID_RE.fullmatch(message.sid)
    assert message.sid.startswith("SM")
    assert message.status == "queued"
    assert message.account_sid == ACCOUNT_SID
    assert (message.to, message.from_) == (RECIPIENT, SENDER)
    assert message.messaging_service_sid is None
    assert message.num_segments == "1"
    assert message.num_media == "0"
    assert message.direction == "outbound-api"
    assert message.api_version == "2010-04-01"
    assert isinstance(message.date_created, datetime)
    assert message.price is None
    assert message.error_code is None
    assert (
        message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"
    )
    [recorded] = server.messages
    assert recorded["sid"] == message.sid
    assert recorded["account_sid"] == ACCOUNT_SID
    assert recorded["form"] == {
        "To": RECIPIENT,
        "From": SENDER,
        "Body": "Your visit is confirmed.",
        "StatusCallback": CALLBACK_URL,
    }
    assert server.requests[-1]["status"] == 201


def test_raw_response_matches_message_schema(server: FakeTwilio) -> None:
    form = {"To": RECIPIENT, "From": SENDER, "Body": "Hi"}

    status, payload = post_raw(
        server,
        urllib.parse.urlencode(form).encode(),
        "application/x-www-form-urlencoded",
    )

    assert status == 201
    assert set(payload) == {
        "account_sid",
        "api_version",
        "body",
        "date_created",
        "date_sent",
        "date_updated",
        "direction",
        "error_code",
        "error_message",
        "from",
        "messaging_service_sid",
        "num_media",
        "num_segments",
        "price",
        "price_unit",
        "sid",
        "status",
        "subresource_uris",
        "to",
        "uri",
    }
    assert re.fullmatch(
        r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000",
        payload["date_created"],
    )


def test_send_through_messaging_service_is_accepted(server: FakeTwilio) -> None:
    client = make_client(server)

    message = send(client, from_=None, messaging_service_sid=SERVICE_SID)

    assert message.status == "accepted"
    assert message.from_ is None
    assert message.messaging_service_sid == SERVICE_SID
    assert message.num_segments == "0"


def test_from_and_messaging_service_together_are_accepted(
    server: FakeTwilio,
) -> None:
    """Twilio takes a From from the service's pool alongside the service SID."""
    client = make_client(server)

    message = send(client, messaging_service_sid=SERVICE_SID)

    assert (message.from_, message.messaging_service_sid) == (SENDER, SERVICE_SID)
    assert message.status == "accepted"


def test_send_with_media_gets_mm_sid(server: FakeTwilio) -> None:
    client = make_client(server)

    message = send(client, body=None, media_url=["https://example.com/a.png"] * 2)

    assert message.sid.startswith("MM")
    assert message.num_media == "2"
    assert server.messages[0]["form"]["MediaUrl"] == ["https://example.com/a.png"] * 2


def test_scheduled_send_is_scheduled(server: FakeTwilio) -> None:
    client = make_client(server)
    send_at = datetime.now(UTC) + timedelta(hours=1)

    message = send(
        client,
        from_=None,
        messaging_service_sid=SERVICE_SID,
        schedule_type="fixed",
        send_at=send_at,
    )

    assert message.status == "scheduled"


def test_wrong_auth_token_raises_20003(server: FakeTwilio) -> None:
    client = make_client(server, password="not-the-token")

    with pytest.raises(TwilioRestException) as caught:
        send(client)

    assert caught.value.status == 401
    assert caught.value.code == 20003
    assert server.messages == []
    assert server.requests[-1]["status"] == 401


def test_token_of_another_account_is_refused(server: FakeTwilio) -> None:
    other_sid = "AC" + "f" * 32
    client = make_client(server, username=other_sid)

    with pytest.raises(TwilioRestException) as caught:
        send(client)

    assert (caught.value.status, caught.value.code) == (401, 20003)


def test_api_key_authenticates_for_its_account(server: FakeTwilio) -> None:
    client = make_client(server, API_KEY_SID, API_KEY_SECRET, account_sid=ACCOUNT_SID)

    message = send(client)

    assert message.account_sid == ACCOUNT_SID
    assert server.messages[0]["account_sid"] == ACCOUNT_SID


def test_missing_sender_raises_21603(server: FakeTwilio) -> None:
    client = make_client(server)

    with pytest.raises(TwilioRestException) as caught:
        send(client, from_=None)

    assert (caught.value.status, caught.value.code) == (400, 21603)
    assert "'From' or 'MessagingServiceSid'" in caught.value.msg
    assert server.messages == []


def test_invalid_to_raises_21211(server: FakeTwilio) -> None:
    client = make_client(server)

    with pytest.raises(TwilioRestException) as caught:
        send(client, to="415-555-0100")

    assert (caught.value.status, caught.value.code) == (400, 21211)
    assert "E.164" in caught.value.msg


SCHEDULED = {
    "schedule_type": "fixed",
    "from_": None,
    "messaging_service_sid": SERVICE_SID,
}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        pytest.param({"from_": "+1 415 555"}, 21212, id="invalid-from"),
        pytest.param(
            {"from_": None, "messaging_service_sid": "MG123"}, 21705, id="short-mg-sid"
        ),
        pytest.param({"body": None}, 21602, id="no-body-or-media"),
        pytest.param({"body": "x" * 1601}, 21617, id="body-over-1600"),
        pytest.param({"status_callback": "/status"}, 21609, id="relative-callback"),
        pytest.param(
            {"status_callback": "ftp://example.com/status"}, 21609, id="ftp-callback"
        ),
        pytest.param(
            {"status_callback": "https://bad_host.example.com/s"},
            21609,
            id="underscore-callback",
        ),
        pytest.param(
            {"schedule_type": "fixed", "send_at": datetime(2030, 1, 1, tzinfo=UTC)},
            35118,
            id="schedule-without-service",
        ),
        pytest.param(SCHEDULED, 35111, id="schedule-without-send-at"),
        pytest.param(
            {**SCHEDULED, "send_at": datetime.now(UTC) + timedelta(seconds=60)},
            35115,
            id="schedule-too-soon",
        ),
    ],
)
def test_invalid_form_is_refused_with_twilio_code(
    server: FakeTwilio, overrides: dict[str, Any], code: int
) -> None:
    client = make_client(server)

    with pytest.raises(TwilioRestException) as caught:
        send(client, **overrides)

    assert (caught.value.status, caught.value.code) == (400, code)
    assert server.messages == []


def test_body_of_1600_characters_is_accepted(server: FakeTwilio) -> None:
    client = make_client(server)

    message = send(client, body="x" * 1600)

    assert message.num_segments == "11"


def test_json_body_reads_as_missing_to(server: FakeTwilio) -> None:
    body = json.dumps({"To": RECIPIENT, "From": SENDER, "Body": "Hi"}).encode()

    status, payload = post_raw(server, body, "application/json")

    assert payload["status"] == status == 400
    assert payload["code"] == 21604
    assert "not application/x-www-form-urlencoded" in payload["message"]
    assert payload["more_info"] == "https://www.twilio.com/docs/errors/21604"


def test_fail_to_21610_refuses_and_records_nothing(server: FakeTwilio) -> None:
    server.fail_to("+15005550009", status=400, code=21610)
    client = make_client(server)

    with pytest.raises(TwilioRestException) as caught:
        send(client, to="+15005550009")
    other = send(client)

    assert (caught.value.status, caught.value.code) == (400, 21610)
    assert "unsubscribed" in caught.value.msg
    assert [message["sid"] for message in server.messages] == [other.sid]


def test_fail_next_429_twice_then_success(server: FakeTwilio) -> None:
    server.fail_next(status=429, code=20429, times=2)
    client = make_client(server)
    errors = []

    for _attempt in range(2):
        with pytest.raises(TwilioRestException) as caught:
            send(client)
        errors.append((caught.value.status, caught.value.code))
    message = send(client)

    assert errors == [(429, 20429), (429, 20429)]
    assert message.status == "queued"
    assert [request["status"] for request in server.requests] == [429, 429, 201]
    assert len(server.messages) == 1


def test_fail_next_answers_5xx(server: FakeTwilio) -> None:
    server.fail_next(status=503, code=20503)
    client = make_client(server)

    with pytest.raises(TwilioRestException) as caught:
        send(client)

    assert (caught.value.status, caught.value.code) == (503, 20503)
    assert server.messages == []


def test_fetch_by_sid_returns_stored_message(server: FakeTwilio) -> None:
    client = make_client(server)
    created = send(client, body="Fetch me")

    fetched = client.messages(created.sid).fetch()

    assert fetched.sid == created.sid
    assert fetched.body == "Fetch me"
    assert fetched.status == "queued"


def test_fetch_of_unknown_sid_raises_20404(server: FakeTwilio) -> None:
    client = make_client(server)

    with pytest.raises(TwilioRestException) as caught:
        client.messages("SM" + "0" * 32).fetch()

    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_delay_s_slows_every_answer(server: FakeTwilio) -> None:
    server.delay_s = 0.3
    client = make_client(server)
    started = time.monotonic()

    send(client)

    assert time.monotonic() - started >= 0.3


def test_concurrent_sends_are_all_recorded(server: FakeTwilio) -> None:
    client = make_client(server)
    threads = [threading.Thread(target=send, args=(client,)) for _ in range(20)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    messages = server.wait_for_messages(20, timeout_s=5)
    assert len({message["sid"] for message in messages}) == 20


def test_wait_for_messages_names_what_arrived(server: FakeTwilio) -> None:
    server.fail_next(status=429, code=20429)
    client = make_client(server)
    with pytest.raises(TwilioRestException):
        send(client)

    with pytest.raises(TimeoutError, match=r"got 0\. Answers given so far: \[429\]"):
        server.wait_for_messages(1, timeout_s=0.1)


def test_killed_client_leaves_message_accepted(server: FakeTwilio) -> None:
    """A client killed mid-send leaves Twilio holding an accepted message."""
    server.hold()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            IN_FLIGHT_CLIENT,
            server.base_url,
            ACCOUNT_SID,
            AUTH_TOKEN,
        ],
        env=env,
    )
    try:
        server.wait_for_held(1, timeout_s=30)
    finally:
        process.kill()
        process.wait(timeout=10)

    server.release()
    after = send(make_client(server))

    assert process.returncode != 0
    assert [message["form"]["Body"] for message in server.messages] == [
        "in flight",
        "Hello",
    ]
    assert server.messages[1]["sid"] == after.sid


def test_hold_before_decision_accepts_only_after_release(server: FakeTwilio) -> None:
    server.hold(decide_first=False)
    client = make_client(server)
    sender = threading.Thread(target=send, args=(client,))
    sender.start()

    server.wait_for_held(1)
    accepted_while_held = server.messages
    server.release()
    sender.join(timeout=5)

    assert accepted_while_held == []
    assert len(server.wait_for_messages(1)) == 1


def test_stopped_server_refuses_connections() -> None:
    server = FakeTwilio({ACCOUNT_SID: AUTH_TOKEN})
    client = make_client(server)
    server.stop()

    with pytest.raises(OSError):
        send(client)


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("é" * 70, 1),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("á" * 70, 1),
        ("á" * 71, 2),
        ("\N{THUMBS UP SIGN}" + "a" * 68, 1),
        ("\N{THUMBS UP SIGN}" + "a" * 69, 2),
    ],
)
def test_count_segments(body: str, segments: int) -> None:
    assert count_segments(body) == segments
