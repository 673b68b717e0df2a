"""The one way a workflow calls another service over HTTP.

`perform` sends one request for an `http_request` step and returns an
`HttpResult`, or raises an `HttpCallError` that says whether retrying can
help. It guarantees:

- Only http and https URLs are called, and only on public addresses (unless
  the call allows private ones). The host name is resolved once, every
  address it resolves to is checked, and the connection goes to a checked
  address: DNS answers cannot change between the check and the connect
  (DNS rebinding).
- Redirects are not followed, since one could point inward; 3xx responses
  are returned as results.
- The whole call, DNS lookup and body included, takes about `timeout_s` at
  most, and at most `MAX_BODY_BYTES` of the body is kept.

Pinning works on public hooks of requests and urllib3. `_PinnedAdapter`
keys its connection pool on the checked IP address instead of the URL's
host, so the TCP connection goes to that address; the request carries the
URL's host in its Host header, and `server_hostname` keeps TLS SNI and
certificate verification on the URL's host name. The rest of the request
(path, query, headers, body) is what requests prepared from the URL.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import suppress
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import DEFAULT_POOLBLOCK, HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError
from urllib3.util.ssl_match_hostname import CertificateError

logger = logging.getLogger(__name__)

USER_AGENT = "Thoughtflow-Workflow/1.0"
MAX_BODY_BYTES = 256 * 1024
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

_CHUNK_BYTES = 16 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Headers that decide where a request goes or how its body is framed; a
# step that sets them could smuggle a second request or reach another host.
_FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

_ADDRESS = ipaddress.IPv4Address | ipaddress.IPv6Address
_CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
# AWS, GCP and Azure answer on 169.254.169.254; AWS also on fd00:ec2::254.
_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)

# The standard library raises the first when it checks a certificate, urllib3
# the second when it checks the host name itself.
_CERTIFICATE_ERRORS = (ssl.SSLCertVerificationError, CertificateError)

# getaddrinfo cannot be given a timeout, so lookups run here and the caller
# stops waiting when its deadline passes. A lookup that hangs keeps its
# thread until the system resolver gives up.
_resolver = futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="http-dns")


@dataclass(frozen=True)
class HttpCall:
    """One outbound request, with its templates already rendered."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    timeout_s: float
    idempotency_key: str | None = None
    hmac_secret: str | None = None
    # Only for local development and tests: lifts the public-address check.
    allow_private: bool = False


@dataclass(frozen=True)
class HttpResult:
    """The response to an HttpCall, whatever its status.

    `headers` has lower-case names. `body` holds at most MAX_BODY_BYTES;
    `is_truncated` says whether more was sent. `json` is the parsed body when
    the whole body is valid JSON, else None. `elapsed_ms` runs from the start
    of the call, DNS lookup included, to the end of the body.
    """

    status: int
    headers: dict[str, str]
    body: bytes
    json: Any
    elapsed_ms: float
    is_truncated: bool = False


class HttpCallError(Exception):
    """The request could not be sent, or no complete response arrived.

    `code` is stable and snake_case; `retryable` says whether another attempt
    can succeed. The message names the host and says what to do next; it
    never contains the URL's path or query, which may carry secrets.
    """

    def __init__(self, message: str, *, code: str, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable


def sign(secret: str, timestamp: int, body: bytes | None) -> str:
    """Return the X-Thoughtflow-Signature value for a body sent at timestamp.

    The value is `sha256=` and the hex HMAC-SHA256, keyed by the secret, of
    `<timestamp>.<body>`. Receivers recompute it and compare in constant
    time (`hmac.compare_digest`); the timestamp lets them refuse replays.
    """
    message = f"{timestamp}.".encode() + (body or b"")
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def is_retryable_status(status: int) -> bool:
    """Say whether a request that got this status may succeed if sent again.

    True for 408, 425, 429 and 5xx, except 501 and 505: a server that does
    not implement the method or the HTTP version will not start to.
    """
    if status in (408, 425, 429):
        return True

    return 500 <= status <= 599 and status not in (501, 505)


def lookup(data: Any, path: str) -> Any:
    """Return the value at a dotted path in parsed JSON, or None if missing.

    Each part is a dict key, or a list index when the value there is a list
    ("data.items.0.id"). An empty path returns `data`. Never raises: a
    missing key, an index out of range or a scalar in the way give None.
    """
    if path == "":
        return data

    value = data
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdecimal() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None

    return value


def perform(call: HttpCall) -> HttpResult:
    """Send the call's request to a checked public address and read the reply.

    Adds User-Agent, Idempotency-Key (when given) and, when `hmac_secret` is
    set, X-Thoughtflow-Timestamp and X-Thoughtflow-Signature (see `sign`).
    Returns every response, 3xx, 4xx and 5xx included. Raises HttpCallError:
    retryable for DNS failures, refused or broken connections and timeouts;
    not retryable for a bad URL, method or header, a non-public address or a
    certificate that does not match the host.
    """
    if not call.timeout_s > 0:
        raise ValueError(f"timeout_s must be positive, got {call.timeout_s!r}")

    deadline = _Deadline(call.timeout_s)
    prepared, target = _prepare(call)
    addresses = _resolve(target, deadline)
    if not call.allow_private:
        _refuse_non_public(target, addresses)

    with deadline:
        try:
            status, headers, body, is_truncated = _exchange(
                prepared, target, addresses, deadline
            )
        except requests.RequestException as exc:
            error = _call_error(exc, target, deadline)
            logger.warning(
                "http request failed host=%s code=%s retryable=%s",
                target.hostname,
                error.code,
                error.retryable,
            )
            raise error from exc

    elapsed_ms = deadline.elapsed_s() * 1000
    logger.info(
        "http request done host=%s method=%s status=%d elapsed_ms=%.0f body_bytes=%d",
        target.hostname,
        prepared.method,
        status,
        elapsed_ms,
        len(body),
    )
    logger.debug("http response body host=%s body=%r", target.hostname, body[:200])

    return HttpResult(
        status=status,
        headers=headers,
        body=body,
        json=None if is_truncated else _parse_json(body),
        elapsed_ms=elapsed_ms,
        is_truncated=is_truncated,
    )


@dataclass(frozen=True)
class _Target:
    """Where a prepared request goes, as requests will read its URL."""

    scheme: str
    hostname: str
    port: int


def _prepare(call: HttpCall) -> tuple[requests.PreparedRequest, _Target]:
    """Check the method, URL and headers and build the request to send."""
    method = call.method.upper()
    if method not in METHODS:
        raise _invalid(
            "invalid_method",
            f"The method {call.method!r} is not supported. Use one of "
            f"{', '.join(METHODS)}.",
        )

    scheme = urlsplit(call.url).scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        found = f"starts with {scheme + '://'!r}" if scheme else "has no scheme"
        raise _invalid(
            "invalid_url",
            f"Only http:// and https:// URLs can be called, and this URL {found}.",
        )

    headers = _build_headers(call)
    try:
        prepared = requests.Request(
            method, call.url, headers=headers, data=call.body
        ).prepare()
        # The same parse requests uses to pick the connection pool.
        parts = urlsplit(prepared.url or "")
        hostname, port = parts.hostname, parts.port
    except (requests.RequestException, ValueError) as exc:
        raise _invalid(
            "invalid_url",
            "The URL could not be understood. Check that it is a complete "
            "address such as https://api.example.com/hooks.",
        ) from exc
    if not hostname:
        raise _invalid("invalid_url", "The URL has no host name.")

    default_port = _DEFAULT_PORTS[scheme]
    host = f"[{hostname}]" if ":" in hostname else hostname
    # The connection is made to an IP address, so the Host header would
    # otherwise carry that address instead of the name the server expects.
    prepared.headers["Host"] = (
        host if port in (None, default_port) else f"{host}:{port}"
    )

    return prepared, _Target(scheme, hostname, port or default_port)


def _build_headers(call: HttpCall) -> dict[str, str]:
    """Return the step's headers with the ones Thoughtflow adds.

    Added headers replace a step header of the same name. Raises
    HttpCallError for a header that cannot or must not be sent.
    """
    for name in call.headers:
        if not _HEADER_NAME.fullmatch(name):
            raise _invalid(
                "invalid_header",
                f"{name!r} is not a valid header name. Use letters, digits and "
                f"hyphens only.",
            )
        if name.lower() in _FORBIDDEN_HEADERS:
            raise _invalid(
                "invalid_header",
                f"The header {name!r} is set automatically. Remove it from "
                f"the step's headers.",
            )

    added = _added_headers(call)
    taken = {name.lower() for name in added}
    kept = {k: v for k, v in call.headers.items() if k.lower() not in taken}
    headers = kept | added
    for name, value in headers.items():
        if not _is_sendable_header_value(value):
            raise _invalid(
                "invalid_header",
                f"The value of the header {name!r} cannot be sent: it has a "
                f"line break, leading spaces or a character outside Latin-1. "
                f"Fix it in the step's headers.",
            )

    return headers


def _added_headers(call: HttpCall) -> dict[str, str]:
    """Return User-Agent, and Idempotency-Key and signature when asked for."""
    added = {"User-Agent": USER_AGENT}
    if call.idempotency_key is not None:
        added["Idempotency-Key"] = call.idempotency_key
    if call.hmac_secret is None:
        return added

    if not call.hmac_secret:
        raise _invalid(
            "invalid_secret",
            "The signing secret is empty, and anyone could forge that "
            "signature. Set a secret, or remove it to send unsigned.",
        )
    timestamp = int(time.time())
    added["X-Thoughtflow-Timestamp"] = str(timestamp)
    added["X-Thoughtflow-Signature"] = sign(call.hmac_secret, timestamp, call.body)

    return added


def _is_sendable_header_value(value: str) -> bool:
    """Say whether http.client can send the value as it is."""
    if any(char in value for char in "\r\n\x00") or value[:1].isspace():
        return False
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False

    return True


def _resolve(target: _Target, deadline: _Deadline) -> list[str]:
    """Return the target's IP addresses in the resolver's order of preference.

    Raises HttpCallError (retryable) when the lookup fails or outlasts the
    deadline.
    """
    lookup_ = _resolver.submit(
        socket.getaddrinfo, target.hostname, target.port, type=socket.SOCK_STREAM
    )
    futures.wait([lookup_], timeout=deadline.remaining())
    if not lookup_.done():
        raise _timed_out(target, deadline)

    try:
        infos = lookup_.result()
    except (OSError, UnicodeError) as exc:
        logger.warning("http lookup failed host=%s error=%r", target.hostname, exc)
        raise HttpCallError(
            f"The host name {target.hostname} could not be resolved. Check the "
            f"URL; if it is right, the lookup may succeed on a later attempt.",
            code="dns_failed",
            retryable=True,
        ) from exc

    # dict.fromkeys drops repeats and keeps the order.
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise HttpCallError(
            f"The host name {target.hostname} has no address. Check the URL.",
            code="dns_failed",
            retryable=True,
        )

    return addresses


def _refuse_non_public(target: _Target, addresses: list[str]) -> None:
    """Raise HttpCallError unless every address is a public one.

    All addresses are checked, not only the first: connections fall back to
    the next address, and a name that mixes public and private answers is
    suspect in any case.
    """
    for address in addresses:
        kind = _non_public_kind(ipaddress.ip_address(address))
        if kind is None:
            continue

        logger.warning(
            "http request refused host=%s address=%s address_kind=%s",
            target.hostname,
            address,
            kind,
        )
        article = "an" if kind[0] in "aeiou" else "a"
        resolves = (
            "it is" if address == target.hostname else f"it resolves to {address},"
        )
        raise HttpCallError(
            f"Refused to call {target.hostname}: {resolves} {article} {kind} "
            f"address. Workflow steps can only call public internet addresses; "
            f"use the service's public URL.",
            code="blocked_address",
            retryable=False,
        )


def _non_public_kind(ip: _ADDRESS) -> str | None:
    """Name the kind of a non-public address; return None for a public one."""
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if embedded is not None:
        return _non_public_kind(embedded)

    if ip in _METADATA_ADDRESSES:
        return "cloud metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip in _CARRIER_GRADE_NAT:
        return "carrier-grade NAT"
    if ip in _LOCAL_NAT64 or (ip.is_private and not ip.is_reserved):
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"

    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address stands for, if it has one.

    The standard library calls ::ffff:127.0.0.1, 64:ff9b::7f00:1 (NAT64) and
    2002:7f00:1:: (6to4) global on some Python versions, yet each of them
    reaches 127.0.0.1; they are judged by the IPv4 address inside.
    """
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)

    return None


def _exchange(
    prepared: requests.PreparedRequest,
    target: _Target,
    addresses: list[str],
    deadline: _Deadline,
) -> tuple[int, dict[str, str], bytes, bool]:
    """Send the request and read the response: status, headers, body, cut.

    Tries the addresses in order while a connection cannot be opened, as a
    browser does; once one is open, its answer or failure is final. Raises
    requests.RequestException.
    """
    for attempt, address in enumerate(addresses, start=1):
        adapter = _PinnedAdapter(target.hostname, address)
        try:
            response = adapter.send(
                prepared,
                stream=True,
                timeout=(deadline.remaining(), deadline.seconds),
                verify=True,
            )
        except requests.RequestException as exc:
            adapter.close()
            if deadline.expired or attempt == len(addresses) or _connected(exc):
                raise
            logger.debug(
                "http connect failed host=%s address=%s attempt=%s",
                target.hostname,
                address,
                attempt,
            )
            continue

        try:
            body, is_truncated = _read_body(response, deadline)
        finally:
            response.close()
            adapter.close()
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status_code, headers, body, is_truncated

    raise AssertionError("unreachable: _resolve returns at least one address")


def _read_body(response: requests.Response, deadline: _Deadline) -> tuple[bytes, bool]:
    """Read up to MAX_BODY_BYTES of the body; say whether more was sent.

    Raises requests.Timeout when the deadline passes first: when the deadline
    cuts the connection the body can end early without an error, so a short
    body then is not trusted.
    """
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
        if deadline.expired:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"".join(chunks)[:MAX_BODY_BYTES], True

    if deadline.expired:
        raise requests.Timeout("the call's deadline passed while reading the body")

    return b"".join(chunks), False


def _parse_json(body: bytes) -> Any:
    """Return the parsed body, or None when it is empty or not JSON."""
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        # RecursionError: 256 KB of "[" nests deeper than the parser goes.
        return None


def _call_error(
    exc: requests.RequestException, target: _Target, deadline: _Deadline
) -> HttpCallError:
    """Translate a requests failure into an error a person can act on."""
    causes = list(_causes(exc))
    # remaining() can reach 0 a moment before the timer marks it expired.
    if (
        deadline.expired
        or not deadline.remaining()
        or any(
            isinstance(cause, (requests.Timeout, ReadTimeoutError, TimeoutError))
            for cause in causes
        )
    ):
        return _timed_out(target, deadline)

    host = target.hostname
    if any(isinstance(cause, _CERTIFICATE_ERRORS) for cause in causes):
        return HttpCallError(
            f"The TLS certificate of {host} could not be verified, so the "
            f"request was not sent. Check that the URL uses the service's own "
            f"host name.",
            code="tls_failed",
            retryable=False,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return _connection_failed(f"A secure connection to {host} could not be set up.")
    if not _connected(exc):
        refused = any(isinstance(cause, ConnectionRefusedError) for cause in causes)
        reason = "the connection was refused" if refused else "no connection"
        return _connection_failed(f"Could not connect to {host}: {reason}.")

    return _connection_failed(
        f"The connection to {host} broke before the response was complete."
    )


def _connected(exc: requests.RequestException) -> bool:
    """Say whether the failed request got as far as an open connection."""
    return not any(isinstance(cause, ConnectTimeoutError) for cause in _causes(exc))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield the exception and every exception it wraps, each once.

    requests and urllib3 wrap errors in each other's types, as the cause, as
    the first argument or as `reason`, so all three links are followed.
    """
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current

        links = (
            current.__cause__,
            current.__context__,
            current.args[0] if current.args else None,
            getattr(current, "reason", None),
        )
        pending.extend(link for link in links if isinstance(link, BaseException))


def _invalid(code: str, message: str) -> HttpCallError:
    return HttpCallError(message, code=code, retryable=False)


def _timed_out(target: _Target, deadline: _Deadline) -> HttpCallError:
    return HttpCallError(
        f"The request to {target.hostname} timed out after {deadline.seconds:g} s.",
        code="timeout",
        retryable=True,
    )


def _connection_failed(message: str) -> HttpCallError:
    return HttpCallError(
        f"{message} The service may be down; a later attempt may succeed.",
        code="connection_failed",
        retryable=True,
    )


# The deadline of the call in progress in this context. Connections look it
# up as they open, so that the deadline can cut them off; see _Deadline.
_current_deadline: ContextVar[_Deadline | None] = ContextVar(
    "outbound_http_deadline", default=None
)


class _Deadline:
    """The wall-clock budget of one call, enforced on its connections.

    Socket timeouts bound each connect and each read, yet a server that sends
    a byte just inside every read timeout could hold a worker for hours.
    While the deadline is entered, connections opened in this context
    register with it; when the budget runs out a timer shuts their sockets
    down, whatever waits on them returns at once, and `expired` says why.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._started = time.monotonic()
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._token: Token[_Deadline | None] | None = None

    def elapsed_s(self) -> float:
        return time.monotonic() - self._started

    def remaining(self) -> float:
        return max(0.0, self.seconds - self.elapsed_s())

    def track(self, connection: HTTPConnection) -> None:
        """Cut the connection off when the deadline passes.

        Raises TimeoutError if it has passed already, so that no connection
        opens after the others were cut.
        """
        with self._lock:
            if self.expired:
                raise TimeoutError("the call's deadline has passed")
            self._connections.append(connection)

    def __enter__(self) -> _Deadline:
        self._token = _current_deadline.set(self)
        self._timer = threading.Timer(self.remaining(), self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._token is not None:
            _current_deadline.reset(self._token)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            sock = connection.sock
            if sock is None:
                continue
            # socket.socket.shutdown even on a TLS socket: SSLSocket's own
            # shutdown would drop its TLS state under the thread reading it.
            with suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _track(connection: HTTPConnection) -> None:
    deadline = _current_deadline.get()
    if deadline is not None:
        deadline.track(connection)


class _TrackedHTTPConnection(HTTPConnection):
    """A connection that the current call's deadline can cut off."""

    def connect(self) -> None:
        _track(self)
        super().connect()


class _TrackedHTTPSConnection(HTTPSConnection):
    """A TLS connection that the current call's deadline can cut off."""

    def connect(self) -> None:
        _track(self)
        super().connect()


class _TrackedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class _PinnedAdapter(HTTPAdapter):
    """A transport adapter that connects to one checked address only.

    requests keys urllib3's connection pools on the URL's host; this adapter
    keys them on the address instead, through the hook requests offers for
    that, so urllib3 connects to the address as given (resolving an IP
    literal involves no DNS query). For https, `server_hostname` sends the
    URL's host name as SNI and makes the standard library verify the
    certificate against that name rather than the address. No retries, no
    redirects, no proxies: the adapter is used without a Session.
    """

    def __init__(self, hostname: str, address: str) -> None:
        self._hostname = hostname
        self._address = address
        super().__init__(max_retries=0)

    def init_poolmanager(
        self,
        connections: int,
        maxsize: int,
        block: bool = DEFAULT_POOLBLOCK,
        **pool_kwargs: Any,
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _TrackedHTTPConnectionPool,
            "https": _TrackedHTTPSConnectionPool,
        }

    def build_connection_pool_key_attributes(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if host_params["host"] != self._hostname:
            # The address was checked for one host name only.
            raise requests.exceptions.InvalidURL(
                f"this adapter only sends to {self._hostname}"
            )

        host_params["host"] = self._address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self._hostname

        return host_params, pool_kwargs
