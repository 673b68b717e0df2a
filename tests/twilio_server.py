"""A local Twilio-compatible HTTP server for tests and benchmarks.

It answers the two Message endpoints of api.twilio.com 2010-04-01 that the
send path uses, with the checks Twilio makes before it accepts a message and
Twilio's classic error JSON, so the real SDK raises ``TwilioRestException``
with the same ``status`` and ``code`` it would get in production:

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` creates a message.
- ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`` fetches one.

Nothing is delivered and no status callback is sent; a test that needs
callbacks posts them itself. Point the real SDK at the server with
``client.api.base_url = server.base_url``, and keep TWILIO_EDGE and
TWILIO_REGION unset: the SDK rewrites hostnames with them, 127.0.0.1 included.

    with FakeTwilio({account_sid: auth_token}) as server:
        client = Client(account_sid, auth_token)
        client.api.base_url = server.base_url
        client.messages.create(to=..., from_=..., body=...)
        assert server.messages[0]["form"]["Body"] == ...

Tests steer failures with ``fail_next`` and ``fail_to``, slow every answer
with ``delay_s``, and park requests mid-flight with ``hold`` and ``release``.
"""

import base64
import binascii
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
MAX_BODY_CHARS = 1600
MAX_STATUS_CALLBACK_CHARS = 4000

# Scheduled sends must leave more than 300 s and at most 35 days of notice.
SCHEDULE_MIN_LEAD = timedelta(seconds=300)
SCHEDULE_MAX_LEAD = timedelta(days=35)

MESSAGING_SERVICE_SID_RE = re.compile(r"MG[0-9a-fA-F]{32}")
E164_RE = re.compile(r"(?:whatsapp:)?\+[1-9][0-9]{1,14}")
SHORT_CODE_RE = re.compile(r"[0-9]{3,8}")
# Alphanumeric sender IDs: up to 11 characters, at least one of them a letter.
ALPHANUMERIC_SENDER_RE = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 &+\-_]{1,11}")

LIST_PATH_RE = re.compile(r"/2010-04-01/Accounts/(?P<account_sid>[^/]+)/Messages\.json")
INSTANCE_PATH_RE = re.compile(
    r"/2010-04-01/Accounts/(?P<account_sid>[^/]+)/Messages/(?P<sid>[^/]+)\.json"
)

# Form fields Twilio reads as repeated parameters; every other field is
# read once.
LIST_FIELDS = frozenset({"MediaUrl", "PersistentAction"})

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# Messages used when a test injects a failure without its own text.
DEFAULT_ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
}

Form = dict[str, str | list[str]]


class DroppedRequest(Exception):
    """Raised to close a parked request's connection without an answer."""


class TwilioApiError(Exception):
    """A refusal in Twilio's classic error shape."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_payload(self) -> dict[str, Any]:
        """Return the JSON body Twilio sends for this error."""
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


@dataclass(frozen=True)
class Failure:
    """An answer a test has asked the server to give instead of the real one."""

    status: int
    code: int
    message: str

    def to_error(self) -> TwilioApiError:
        """Return the error this failure answers with."""
        return TwilioApiError(self.status, self.code, self.message)


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: str
    authorization: str | None
    content_type: str | None
    body: bytes
    received_at: datetime


@dataclass
class _Answer:
    status: int
    payload: dict[str, Any]
    code: int | None = None
    account_sid: str | None = None
    sid: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def count_segments(body: str) -> int:
    """Count the SMS segments a body needs, the way Twilio bills them.

    A body of GSM-7 characters fits 160 septets in one segment and 153 per
    segment once split; one character outside GSM-7 turns the whole body into
    UCS-2, 70 code units alone and 67 per segment once split. A character is
    never cut in two, so an escape pair or an emoji that would straddle a
    boundary moves whole to the next segment.
    """
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in body):
        sizes = [2 if char in GSM7_EXTENSION else 1 for char in body]
        single, per_part = 160, 153
    else:
        sizes = [len(char.encode("utf-16-le")) // 2 for char in body]
        single, per_part = 70, 67

    if sum(sizes) <= single:
        return 1

    segments, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            segments += 1
            used = 0
        used += size

    return segments


def parse_form(body: bytes) -> Form:
    """Parse a form-encoded body, keeping repeated fields such as MediaUrl."""
    pairs = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {
        name: values if name in LIST_FIELDS else values[0]
        for name, values in pairs.items()
    }


def _text(form: Form, name: str) -> str | None:
    """Return a scalar field, or None when it is missing or empty."""
    value = form.get(name)
    if isinstance(value, str) and value:
        return value
    return None


def _items(form: Form, name: str) -> list[str]:
    """Return the non-empty values of a repeated field."""
    value = form.get(name)
    if isinstance(value, list):
        return [item for item in value if item]
    return []


def _bad_request(code: int, message: str) -> TwilioApiError:
    return TwilioApiError(400, code, message)


def _is_valid_sender(value: str) -> bool:
    return any(
        pattern.fullmatch(value)
        for pattern in (E164_RE, SHORT_CODE_RE, ALPHANUMERIC_SENDER_RE)
    )


def _is_valid_callback_url(value: str) -> bool:
    # Error 21609 lists what Twilio refuses: relative URLs, schemes other
    # than http and https, underscores in the hostname, over 4000 characters.
    if len(value) > MAX_STATUS_CALLBACK_CHARS:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    hostname = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(hostname) and "_" not in hostname


def validate_message_form(form: Form, is_form_encoded: bool, now: datetime) -> None:
    """Check a create-Message form the way Twilio does before accepting it.

    Raise TwilioApiError with Twilio's HTTP status and error code for the
    first rule the form breaks. Unknown fields are allowed: Twilio adds
    parameters without notice and ignores the ones it does not know.
    """
    to = _text(form, "To")
    if to is None:
        message = "A 'To' phone number is required."
        if not is_form_encoded:
            message += (
                " The request body was not application/x-www-form-urlencoded,"
                " so no parameters were read."
            )
        raise _bad_request(21604, message)
    if not E164_RE.fullmatch(to):
        raise _bad_request(
            21211,
            f"The 'To' number {to} is not a valid phone number. "
            "Send it in E.164 form, for example +14155552671.",
        )

    sender = _text(form, "From")
    service_sid = _text(form, "MessagingServiceSid")
    if service_sid is not None and not MESSAGING_SERVICE_SID_RE.fullmatch(service_sid):
        raise _bad_request(
            21705,
            f"The Messaging Service SID {service_sid} is invalid. "
            "It must be 'MG' followed by 32 hexadecimal characters.",
        )
    if sender is None and service_sid is None:
        raise _bad_request(
            21603,
            "A 'From' or 'MessagingServiceSid' parameter is required "
            "to send a message.",
        )
    if sender is not None and not (
        _is_valid_sender(sender) or MESSAGING_SERVICE_SID_RE.fullmatch(sender)
    ):
        raise _bad_request(
            21212,
            f"The 'From' number {sender} is not a valid phone number, "
            "short code, or alphanumeric sender ID.",
        )

    body = _text(form, "Body")
    if body is None and not _items(form, "MediaUrl") and not _text(form, "ContentSid"):
        raise _bad_request(
            21602, "Message body is required. Send a Body, a MediaUrl or a ContentSid."
        )
    if body is not None and len(body) > MAX_BODY_CHARS:
        raise _bad_request(
            21617,
            f"The concatenated message body exceeds the {MAX_BODY_CHARS} "
            f"character limit ({len(body)} characters).",
        )

    callback = _text(form, "StatusCallback")
    if callback is not None and not _is_valid_callback_url(callback):
        raise _bad_request(
            21609,
            f"Invalid 'StatusCallback' URL {callback!r}. Use an absolute http or "
            "https URL whose hostname has no underscores.",
        )

    _validate_schedule(form, now)


def _validate_schedule(form: Form, now: datetime) -> None:
    schedule_type = _text(form, "ScheduleType")
    if schedule_type is None:
        return
    if schedule_type != "fixed":
        raise _bad_request(
            35126, f"ScheduleType {schedule_type!r} is not supported; use 'fixed'."
        )
    if _service_sid(form) is None:
        raise _bad_request(
            35118, "MessagingServiceSid is required to schedule a message."
        )

    send_at = _text(form, "SendAt")
    if send_at is None:
        raise _bad_request(
            35111,
            "SendAt timestamp is missing. It is required when ScheduleType is 'fixed'.",
        )
    try:
        scheduled_at = datetime.fromisoformat(send_at)
    except ValueError:
        scheduled_at = None
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        scheduled_at = scheduled_at.replace(tzinfo=UTC)
    if scheduled_at is None or not (
        SCHEDULE_MIN_LEAD < scheduled_at - now <= SCHEDULE_MAX_LEAD
    ):
        raise _bad_request(
            35115,
            f"SendAt {send_at!r} is not supported. Send an ISO 8601 UTC time more "
            "than 300 seconds and at most 35 days ahead.",
        )


def _service_sid(form: Form) -> str | None:
    # Twilio also takes a Messaging Service SID in the From field.
    service_sid = _text(form, "MessagingServiceSid")
    sender = _text(form, "From")
    if service_sid is None and sender and MESSAGING_SERVICE_SID_RE.fullmatch(sender):
        return sender
    return service_sid


def build_message_resource(
    account_sid: str, sid: str, form: Form, now: datetime
) -> dict[str, Any]:
    """Return the Message resource Twilio answers a valid create with.

    Field names and types follow the OpenAPI schema
    ``api.v2010.account.message``: counts are strings, dates RFC 2822 in GMT.
    """
    service_sid = _service_sid(form)
    sender = _text(form, "From")
    if sender is not None and sender == service_sid:
        sender = None
    body = _text(form, "Body") or ""
    media_urls = _items(form, "MediaUrl")

    if _text(form, "ScheduleType"):
        status = "scheduled"
    elif service_sid is not None:
        status = "accepted"
    else:
        status = "queued"

    # A Messaging Service picks the sender later, so Twilio reports zero
    # segments until then.
    num_segments = 0 if service_sid is not None else count_segments(body)
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"
    created = format_datetime(now)

    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": service_sid,
        "num_media": str(len(media_urls)),
        "num_segments": str(num_segments),
        "price": None,
        "price_unit": None,
        "sid": sid,
        "status": status,
        "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
        "to": _text(form, "To"),
        "uri": uri,
    }


def _parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header.removeprefix("Basic "), validate=True)
    except (binascii.Error, ValueError):
        return None
    username, separator, password = decoded.decode("utf-8", "replace").partition(":")
    if not separator:
        return None
    return username, password


class FakeTwilio:
    """Serve Twilio's Message endpoints on 127.0.0.1 until ``stop()``.

    The server starts in the constructor on an ephemeral port, in a daemon
    thread, so it can be used as a context manager or from a fixture. Every
    public method is safe to call from any thread while requests are served.
    """

    def __init__(
        self,
        accounts: Mapping[str, str],
        *,
        api_keys: Mapping[str, tuple[str, str]] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        """Start serving for ``accounts``, a mapping of account SID to token.

        ``api_keys`` maps an API key SID to ``(secret, account_sid)``; such a
        key authenticates requests for that account only. ``delay_s`` is
        slept before each request is decided, and may be changed at any time.
        """
        self.accounts = dict(accounts)
        self.api_keys = dict(api_keys or {})
        self.delay_s = delay_s

        self._changed = threading.Condition()
        self._messages: list[dict[str, Any]] = []
        self._resources: dict[tuple[str, str], dict[str, Any]] = {}
        self._requests: list[dict[str, Any]] = []
        self._next_failures: deque[tuple[Failure, int]] = deque()
        self._failures_by_to: dict[str, Failure] = {}
        self._gate: threading.Event | None = None
        self._is_hold_before_decision = False
        self._held_count = 0
        self._drop_parked = False
        self._is_stopped = False

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        # A short poll interval keeps stop() quick; the default 0.5 s adds
        # half a second to every test that uses the server.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-twilio",
            daemon=True,
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        """Return the server's root URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and let held requests finish. Safe to call twice."""
        with self._changed:
            if self._is_stopped:
                return
            self._is_stopped = True
            gate = self._gate
            self._gate = None
        if gate is not None:
            gate.set()

        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # Steering from tests.

    def fail_next(
        self, status: int, code: int, times: int = 1, message: str | None = None
    ) -> None:
        """Answer the next ``times`` authenticated requests with an error.

        Applies to any endpoint, after authentication and before validation,
        which is where Twilio refuses for rate limits (429, code 20429) and
        outages (5xx). Calls queue up: a second ``fail_next`` takes effect
        once the first one is used up.
        """
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}.")
        failure = Failure(status, code, message or _default_message(code))
        with self._changed:
            self._next_failures.append((failure, times))

    def fail_to(
        self, to: str, status: int, code: int, message: str | None = None
    ) -> None:
        """Refuse every valid create for the ``To`` address ``to``.

        The rule holds until ``clear_failures()``, as an opt-out (400, code
        21610) does at Twilio. Refused messages are not recorded as accepted.
        """
        failure = Failure(status, code, message or _default_message(code))
        with self._changed:
            self._failures_by_to[to] = failure

    def clear_failures(self) -> None:
        """Drop every failure set with ``fail_next`` or ``fail_to``."""
        with self._changed:
            self._next_failures.clear()
            self._failures_by_to.clear()

    def hold(self, *, decide_first: bool = True) -> None:
        """Park every following request until ``release()``.

        With ``decide_first`` the request is validated, and recorded as
        accepted when valid, before it is parked: the client then dies or
        times out after Twilio created the message, which is the case an
        idempotent sender must survive. Without it the request is parked on
        arrival and decided only after ``release()``.
        """
        with self._changed:
            if self._is_stopped:
                raise RuntimeError("The fake Twilio server is stopped; start another.")
            if self._gate is None:
                self._gate = threading.Event()
            self._is_hold_before_decision = not decide_first

    def release(self, *, drop: bool = False) -> None:
        """Let parked requests answer and stop parking new ones.

        With ``drop``, requests parked before their decision are dropped
        instead: the connection closes with no answer and nothing is
        recorded, as when a request is lost on its way to Twilio.
        """
        with self._changed:
            gate = self._gate
            self._gate = None
            self._is_hold_before_decision = False
            self._drop_parked = drop
        if gate is not None:
            gate.set()

    def wait_for_held(self, n: int = 1, timeout_s: float = 5.0) -> None:
        """Wait until ``n`` requests are parked; raise TimeoutError otherwise."""
        with self._changed:
            is_ready = self._changed.wait_for(
                lambda: self._held_count >= n, timeout=timeout_s
            )
            held_count = self._held_count
        if not is_ready:
            raise TimeoutError(
                f"Expected {n} parked request(s) within {timeout_s} s, "
                f"got {held_count}. Was hold() called before the request was sent?"
            )

    # What the server saw.

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Return a snapshot of accepted messages, oldest first.

        Each entry has ``sid``, ``account_sid``, ``received_at`` (aware UTC
        datetime) and ``form``, the form fields as sent (``MediaUrl`` and
        ``PersistentAction`` as lists).
        """
        with self._changed:
            return [
                {**message, "form": dict(message["form"])} for message in self._messages
            ]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Return a snapshot of every request decided so far, refusals included.

        Each entry has ``method``, ``path``, ``status`` and ``code`` (the
        Twilio error code, None on success), ``account_sid`` once
        authenticated, ``sid`` for accepted creates and ``received_at``. A
        held request is listed with the answer decided for it even when the
        client never read that answer.
        """
        with self._changed:
            return [dict(request) for request in self._requests]

    def wait_for_messages(self, n: int, timeout_s: float = 5.0) -> list[dict[str, Any]]:
        """Wait until ``n`` messages are accepted and return the snapshot.

        Raise TimeoutError naming what arrived instead, so a failing test
        shows whether the sends were refused or never made.
        """
        with self._changed:
            is_ready = self._changed.wait_for(
                lambda: len(self._messages) >= n, timeout=timeout_s
            )
        if not is_ready:
            statuses = [request["status"] for request in self.requests]
            raise TimeoutError(
                f"Expected {n} accepted message(s) within {timeout_s} s, got "
                f"{len(self._messages)}. Answers given so far: {statuses}."
            )

        return self.messages

    # Request handling, called from the server's threads.

    def handle(self, request: _Request) -> _Answer:
        """Decide and record the answer to one request, parking it if held.

        Called from the HTTP handler's threads; tests use the public methods
        above instead.
        """
        with self._changed:
            is_hold_before_decision = self._is_hold_before_decision
        if is_hold_before_decision:
            self._wait_at_gate()
            with self._changed:
                if self._drop_parked:
                    raise DroppedRequest()
        if self.delay_s > 0:
            time.sleep(self.delay_s)

        try:
            answer = self._decide(request)
        except TwilioApiError as error:
            answer = _Answer(error.status, error.to_payload(), code=error.code)
        if answer.status == 401:
            answer.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'

        with self._changed:
            self._requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "status": answer.status,
                    "code": answer.code,
                    "account_sid": answer.account_sid,
                    "sid": answer.sid,
                    "received_at": request.received_at,
                }
            )
            self._changed.notify_all()
        logger.debug(
            "fake twilio answered method=%s path=%s status=%s code=%s",
            request.method,
            request.path,
            answer.status,
            answer.code,
        )

        if not is_hold_before_decision:
            self._wait_at_gate()

        return answer

    def _wait_at_gate(self) -> None:
        with self._changed:
            gate = self._gate
            if gate is None:
                return
            self._held_count += 1
            self._changed.notify_all()
        try:
            gate.wait()
        finally:
            with self._changed:
                self._held_count -= 1
                self._changed.notify_all()

    def _decide(self, request: _Request) -> _Answer:
        list_match = LIST_PATH_RE.fullmatch(request.path)
        instance_match = INSTANCE_PATH_RE.fullmatch(request.path)
        match = list_match or instance_match
        if match is None:
            raise TwilioApiError(
                404, 20404, f"The requested resource {request.path} was not found"
            )

        account_sid = self._authenticate(match["account_sid"], request.authorization)
        if list_match and request.method == "GET":
            self._raise_next_failure()
            return self._list_messages(account_sid, request)
        allowed_method = "POST" if list_match else "GET"
        if request.method != allowed_method:
            raise TwilioApiError(
                405,
                20004,
                f"Method not allowed: the local Twilio server answers only "
                f"{allowed_method} on {request.path}.",
            )
        self._raise_next_failure()

        if instance_match:
            return self._fetch_message(account_sid, instance_match["sid"], request.path)
        return self._create_message(account_sid, request)

    def _authenticate(self, path_account_sid: str, authorization: str | None) -> str:
        credentials = _parse_basic_auth(authorization)
        if credentials is not None:
            username, password = credentials
            if username == path_account_sid:
                expected = self.accounts.get(username)
            else:
                secret, key_account_sid = self.api_keys.get(username, (None, None))
                is_same_account = key_account_sid == path_account_sid
                expected = secret if is_same_account else None
            if expected is not None and hmac.compare_digest(
                expected.encode(), password.encode()
            ):
                return path_account_sid

        raise TwilioApiError(
            401,
            20003,
            "Authenticate: the account SID or auth token (or API key and "
            "secret) do not match an account this server knows.",
        )

    def _raise_next_failure(self) -> None:
        with self._changed:
            if not self._next_failures:
                return
            failure, remaining = self._next_failures[0]
            if remaining == 1:
                self._next_failures.popleft()
            else:
                self._next_failures[0] = (failure, remaining - 1)
        raise failure.to_error()

    def _create_message(self, account_sid: str, request: _Request) -> _Answer:
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        is_form_encoded = content_type == "application/x-www-form-urlencoded"
        # Twilio reads parameters only from form bodies; a JSON body arrives
        # as if no parameters were sent.
        form = parse_form(request.body) if is_form_encoded else {}
        now = datetime.now(UTC)
        validate_message_form(form, is_form_encoded, now)

        with self._changed:
            failure = self._failures_by_to.get(_text(form, "To") or "")
        if failure is not None:
            raise failure.to_error()

        # Twilio gives messages with media an MM SID and the others an SM one.
        prefix = "MM" if _items(form, "MediaUrl") else "SM"
        sid = prefix + secrets.token_hex(16)
        resource = build_message_resource(account_sid, sid, form, now)
        with self._changed:
            self._resources[(account_sid, sid)] = resource
            self._messages.append(
                {
                    "sid": sid,
                    "account_sid": account_sid,
                    "received_at": request.received_at,
                    "form": form,
                }
            )
            self._changed.notify_all()

        return _Answer(201, resource, account_sid=account_sid, sid=sid)

    def _list_messages(self, account_sid: str, request: _Request) -> _Answer:
        """Answer Twilio's list call, filtered by To, From and DateSent.

        Twilio filters DateSent by day; this server compares the creation
        date, which is the same day for every message it holds.
        """
        query = parse_qs(request.query)
        to = (query.get("To") or [None])[0]
        sender = (query.get("From") or [None])[0]
        after = (query.get("DateSent>") or [""])[0][:10]
        with self._changed:
            messages = [
                resource
                for (owner, _sid), resource in self._resources.items()
                if owner == account_sid
                and (to is None or resource["to"] == to)
                and (sender is None or resource["from"] == sender)
            ]
            created_on = {
                message["sid"]: message["received_at"].date().isoformat()
                for message in self._messages
            }
        if after:
            messages = [m for m in messages if created_on.get(m["sid"], "") >= after]
        uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
        page = {
            "messages": messages,
            "end": max(len(messages) - 1, 0),
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": len(messages),
            "start": 0,
            "uri": uri,
        }
        return _Answer(200, page, account_sid=account_sid)

    def _fetch_message(self, account_sid: str, sid: str, path: str) -> _Answer:
        with self._changed:
            resource = self._resources.get((account_sid, sid))
        if resource is None:
            raise TwilioApiError(
                404, 20404, f"The requested resource {path} was not found"
            )

        return _Answer(200, resource, account_sid=account_sid, sid=sid)


def _default_message(code: int) -> str:
    return DEFAULT_ERROR_MESSAGES.get(
        code, f"Error {code} injected by the local Twilio server."
    )


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when a benchmark opens
    # dozens at once, and each dropped SYN costs the client a 1 s retry.
    request_queue_size = 128
    fake: FakeTwilio


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def do_PATCH(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes every request to stderr, which floods test output.
        logger.debug("fake twilio http %s", format % args)

    def _answer(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        request = _Request(
            method=self.command,
            path=urlsplit(self.path).path,
            query=urlsplit(self.path).query,
            authorization=self.headers.get("Authorization"),
            content_type=self.headers.get("Content-Type"),
            body=self.rfile.read(length) if length > 0 else b"",
            received_at=datetime.now(UTC),
        )
        try:
            answer = self.server.fake.handle(request)
        except DroppedRequest:
            self.close_connection = True
            return
        except Exception:
            logger.exception("fake twilio failed method=%s", request.method)
            error = TwilioApiError(500, 20500, "Internal Server Error")
            answer = _Answer(500, error.to_payload(), code=20500)

        encoded = json.dumps(answer.payload).encode()
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(encoded)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(encoded)
        except (BrokenPipeError, ConnectionResetError):
            # The client went away while the request was held or delayed;
            # the decision is already recorded, so there is nothing to undo.
            logger.debug("fake twilio client gone path=%s", request.path)
