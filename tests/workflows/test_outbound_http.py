"""Outbound HTTP for workflow steps, against a local server on 127.0.0.1.

No test reaches the network: host names resolve through `FakeDns`, and the
tests that must not connect at all replace `socket.socket.connect`.
"""

import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from workflows.outbound_http import (
    MAX_BODY_BYTES,
    USER_AGENT,
    HttpCall,
    HttpCallError,
    is_retryable_status,
    lookup,
    perform,
    sign,
)

_real_getaddrinfo = socket.getaddrinfo


def make_call(url: str, **overrides: Any) -> HttpCall:
    fields: dict[str, Any] = {
        "method": "GET",
        "url": url,
        "headers": {},
        "body": None,
        "timeout_s": 5.0,
    }
    return HttpCall(**(fields | overrides))


# --- Fakes -----------------------------------------------------------------


@dataclass
class FakeDns:
    """Answers lookups for registered names; everything else fails.

    IP literals resolve as the system would, with AI_NUMERICHOST so that no
    DNS query can leave. A name registered with several answers gets them in
    turn and keeps the last, which is how a rebinding attack looks.
    """

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def answer(self, name: str, *answers: list[str], delay_s: float = 0) -> None:
        self.answers[name] = list(answers)
        self.delays[name] = delay_s

    def getaddrinfo(
        self,
        host: str,
        port: int,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[tuple[Any, ...]]:
        if host not in self.answers:
            return _real_getaddrinfo(
                host, port, family, type, proto, flags | socket.AI_NUMERICHOST
            )

        self.lookups.append(host)
        time.sleep(self.delays[host])
        queue = self.answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [_addrinfo(address, port) for address in addresses]


def _addrinfo(address: str, port: int) -> tuple[Any, ...]:
    if ipaddress.ip_address(address).version == 6:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record every outgoing connect and refuse it, so nothing leaves."""
    attempts: list[tuple[str, int]] = []

    def connect(sock: socket.socket, address: tuple[Any, ...]) -> None:
        attempts.append((address[0], address[1]))
        raise ConnectionRefusedError(111, "refused by the test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    return attempts


# --- Local server ----------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    """Routes by path; every request is recorded on the server."""

    server: "LocalServer"

    def do_GET(self) -> None:
        self.route()

    def do_POST(self) -> None:
        self.route()

    def route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.seen.append(
            {"method": self.command, "headers": dict(self.headers), "body": body}
        )
        name = self.path.split("?")[0].strip("/").split("/")[0]
        getattr(self, f"serve_{name.replace('-', '_')}")(body)

    def reply(
        self, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def serve_echo(self, body: bytes) -> None:
        echoed = {
            "method": self.command,
            "headers": dict(self.headers),
            "body": body.decode(),
        }
        self.reply(200, json.dumps(echoed).encode(), {"X-Echo": "yes"})

    def serve_items(self, body: bytes) -> None:
        payload = {"data": {"items": [{"id": 7}, {"id": 8}]}}
        self.reply(
            200, json.dumps(payload).encode(), {"Content-Type": "application/json"}
        )

    def serve_text(self, body: bytes) -> None:
        self.reply(200, b"<html>not json</html>", {"Content-Type": "text/html"})

    def serve_big(self, body: bytes) -> None:
        self.reply(200, b"x" * (MAX_BODY_BYTES + 100_000))

    def serve_redirect(self, body: bytes) -> None:
        self.reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})

    def serve_unavailable(self, body: bytes) -> None:
        self.reply(503, b"busy", {"Retry-After": "30"})

    def serve_slow(self, body: bytes) -> None:
        time.sleep(3)
        self.reply(200, b"late")

    def serve_drip_headers(self, body: bytes) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        self.drip()

    def serve_drip_body(self, body: bytes) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        self.drip()

    def drip(self) -> None:
        # One byte every 0.1 s never trips a read timeout, and would take
        # minutes to finish; only the call's own deadline stops it.
        for _ in range(50):
            time.sleep(0.1)
            self.wfile.write(b"a")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalServer(ThreadingHTTPServer):
    block_on_close = False
    seen: list[dict[str, Any]]

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which may query
        # DNS; the name is not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up early leave the dripping handlers writing to
        # a closed socket; that is expected.
        pass


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with _serving() as local:
        yield local


class _serving:
    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.local = LocalServer(("127.0.0.1", 0), Handler)
        self.local.seen = []
        if context is not None:
            self.local.socket = context.wrap_socket(self.local.socket, server_side=True)

    def __enter__(self) -> LocalServer:
        threading.Thread(
            target=self.local.serve_forever, args=(0.05,), daemon=True
        ).start()
        return self.local

    def __exit__(self, *exc_info: object) -> None:
        self.local.shutdown()
        self.local.server_close()


def url_of(server: LocalServer, path: str, host: str = "127.0.0.1") -> str:
    scheme = "https" if isinstance(server.socket, ssl.SSLSocket) else "http"
    return f"{scheme}://{host}:{server.server_port}{path}"


# --- Requests and responses ------------------------------------------------


def test_get_returns_status_headers_and_parsed_json(server: LocalServer) -> None:
    call = make_call(url_of(server, "/items"), allow_private=True)

    result = perform(call)

    assert result.status == 200
    assert result.headers["content-type"] == "application/json"
    assert result.json == {"data": {"items": [{"id": 7}, {"id": 8}]}}
    assert json.loads(result.body) == result.json
    assert not result.is_truncated
    assert 0 < result.elapsed_ms < 5000


def test_post_sends_the_body_and_returns_the_json_reply(server: LocalServer) -> None:
    body = json.dumps({"lead": {"name": "Ada", "score": 9}}).encode()
    call = make_call(
        url_of(server, "/echo"),
        method="post",
        headers={"Content-Type": "application/json"},
        body=body,
        allow_private=True,
    )

    result = perform(call)

    assert result.status == 200
    assert result.headers["x-echo"] == "yes"
    assert result.json["method"] == "POST"
    assert result.json["headers"]["Content-Type"] == "application/json"
    assert json.loads(result.json["body"]) == {"lead": {"name": "Ada", "score": 9}}


def test_body_that_is_not_json_gives_none(server: LocalServer) -> None:
    result = perform(make_call(url_of(server, "/text"), allow_private=True))

    assert result.body == b"<html>not json</html>"
    assert result.json is None


def test_request_carries_user_agent_and_idempotency_key(server: LocalServer) -> None:
    call = make_call(
        url_of(server, "/echo"),
        headers={"User-Agent": "curl/8", "X-Api-Key": "k-123"},
        idempotency_key="step-42",
        allow_private=True,
    )

    perform(call)

    sent = server.seen[0]["headers"]
    assert sent["User-Agent"] == USER_AGENT
    assert sent["Idempotency-Key"] == "step-42"
    assert sent["X-Api-Key"] == "k-123"
    assert "X-Thoughtflow-Signature" not in sent


def test_signature_verifies_with_sign(server: LocalServer) -> None:
    body = b'{"event": "lead.qualified"}'
    call = make_call(
        url_of(server, "/echo"),
        method="POST",
        body=body,
        hmac_secret="whsec-test",
        allow_private=True,
    )

    perform(call)

    sent = server.seen[0]
    timestamp = int(sent["headers"]["X-Thoughtflow-Timestamp"])
    signature = sent["headers"]["X-Thoughtflow-Signature"]
    assert abs(time.time() - timestamp) < 60
    assert hmac.compare_digest(signature, sign("whsec-test", timestamp, sent["body"]))
    assert sent["body"] == body


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()

    assert sign("s3cret", 1_700_000_000, b"{}") == f"sha256={expected}"
    assert sign("s3cret", 1_700_000_000, None) == sign("s3cret", 1_700_000_000, b"")


def test_body_is_cut_at_the_size_cap(server: LocalServer) -> None:
    result = perform(make_call(url_of(server, "/big"), allow_private=True))

    assert result.status == 200
    assert len(result.body) == MAX_BODY_BYTES
    assert result.is_truncated
    assert result.json is None


def test_redirect_is_returned_not_followed(server: LocalServer) -> None:
    result = perform(make_call(url_of(server, "/redirect"), allow_private=True))

    assert result.status == 302
    assert result.headers["location"] == "http://169.254.169.254/latest/meta-data/"
    assert len(server.seen) == 1


def test_server_errors_are_returned_as_results(server: LocalServer) -> None:
    result = perform(make_call(url_of(server, "/unavailable"), allow_private=True))

    assert result.status == 503
    assert result.headers["retry-after"] == "30"
    assert is_retryable_status(result.status)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (200, False),
        (302, False),
        (400, False),
        (404, False),
        (408, True),
        (429, True),
        (500, True),
        (501, False),
        (502, True),
        (503, True),
        (504, True),
        (505, False),
    ],
)
def test_is_retryable_status(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


# --- Timeouts and failures -------------------------------------------------


def test_slow_server_raises_retryable_timeout_quickly(server: LocalServer) -> None:
    call = make_call(url_of(server, "/slow"), timeout_s=0.5, allow_private=True)

    started = time.monotonic()
    with pytest.raises(HttpCallError) as caught:
        perform(call)

    assert time.monotonic() - started < 2
    assert caught.value.retryable
    assert caught.value.code == "timeout"
    assert str(caught.value) == "The request to 127.0.0.1 timed out after 0.5 s."


@pytest.mark.parametrize("path", ["/drip-headers", "/drip-body"])
def test_server_sending_a_byte_at_a_time_is_cut_off_at_the_deadline(
    server: LocalServer, path: str
) -> None:
    """Each byte comes within the read timeout; the total is still bounded."""
    call = make_call(url_of(server, path), timeout_s=0.5, allow_private=True)

    started = time.monotonic()
    with pytest.raises(HttpCallError) as caught:
        perform(call)

    assert time.monotonic() - started < 2
    assert caught.value.code == "timeout"
    assert caught.value.retryable


def test_refused_connection_raises_retryable_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    call = make_call(f"http://127.0.0.1:{closed_port}/", allow_private=True)

    with pytest.raises(HttpCallError) as caught:
        perform(call)

    assert caught.value.retryable
    assert caught.value.code == "connection_failed"
    assert "Could not connect to 127.0.0.1: the connection was refused" in str(
        caught.value
    )


def test_unknown_host_raises_retryable_error(dns: FakeDns) -> None:
    with pytest.raises(HttpCallError) as caught:
        perform(make_call("https://no-such-host.example.com/"))

    assert caught.value.retryable
    assert caught.value.code == "dns_failed"
    assert "no-such-host.example.com could not be resolved" in str(caught.value)


def test_slow_lookup_counts_against_the_timeout(
    dns: FakeDns, connects: list[tuple[str, int]]
) -> None:
    dns.answer("api.example.com", ["93.184.216.34"], delay_s=2)

    started = time.monotonic()
    with pytest.raises(HttpCallError) as caught:
        perform(make_call("https://api.example.com/", timeout_s=0.3))

    assert time.monotonic() - started < 1.5
    assert caught.value.code == "timeout"
    assert connects == []


# --- Address checks --------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.10.1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address to refuse
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::7f00:1", "loopback"),
        ("2002:7f00:1::", "loopback"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("fd00:ec2::254", "cloud metadata"),
        ("ff02::1", "multicast"),
    ],
)
def test_host_resolving_to_non_public_address_is_refused_before_connecting(
    dns: FakeDns, connects: list[tuple[str, int]], address: str, kind: str
) -> None:
    dns.answer("api.example.com", [address])

    with pytest.raises(HttpCallError) as caught:
        perform(make_call("https://api.example.com/hooks"))

    article = "an" if kind[0] in "aeiou" else "a"
    assert str(caught.value).startswith(
        f"Refused to call api.example.com: it resolves to {address}, "
        f"{article} {kind} address."
    )
    assert caught.value.code == "blocked_address"
    assert not caught.value.retryable
    assert connects == []


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://localhost:8000/admin", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://0.0.0.0:8000/", "unspecified"),
        ("http://10.0.0.1/", "private"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        # Spellings of 127.0.0.1 that the system resolver accepts.
        ("http://2130706433/", "loopback"),
        ("http://0x7f.1/", "loopback"),
    ],
)
def test_non_public_address_in_the_url_is_refused_before_connecting(
    dns: FakeDns, connects: list[tuple[str, int]], url: str, kind: str
) -> None:
    dns.answer("localhost", ["127.0.0.1", "::1"])

    with pytest.raises(HttpCallError) as caught:
        perform(make_call(url))

    assert f"{kind} address. Workflow steps can only call public" in str(caught.value)
    assert caught.value.code == "blocked_address"
    assert connects == []


def test_host_with_one_private_address_among_public_ones_is_refused(
    dns: FakeDns, connects: list[tuple[str, int]]
) -> None:
    dns.answer("api.example.com", ["93.184.216.34", "10.0.0.5"])

    with pytest.raises(HttpCallError) as caught:
        perform(make_call("https://api.example.com/"))

    assert "it resolves to 10.0.0.5, a private address" in str(caught.value)
    assert connects == []


def test_refusal_is_logged_with_host_and_address_kind(
    dns: FakeDns, connects: list[tuple[str, int]], caplog: pytest.LogCaptureFixture
) -> None:
    dns.answer("api.example.com", ["10.0.0.1"])
    caplog.set_level(logging.WARNING, logger="workflows.outbound_http")

    with pytest.raises(HttpCallError):
        perform(make_call("https://api.example.com/?token=secret"))

    assert [r.getMessage() for r in caplog.records] == [
        "http request refused host=api.example.com address=10.0.0.1 "
        "address_kind=private"
    ]


# --- Pinning ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "port"),
    [("93.184.216.34", 80), ("2606:2800:220:1:248:1893:25c8:1946", 80)],
)
def test_connection_goes_to_the_checked_address_even_if_dns_changes(
    dns: FakeDns, connects: list[tuple[str, int]], address: str, port: int
) -> None:
    """A second lookup would now answer 127.0.0.1 (DNS rebinding)."""
    dns.answer("api.example.com", [address], ["127.0.0.1"])

    with pytest.raises(HttpCallError) as caught:
        perform(make_call("http://api.example.com/hooks"))

    assert connects == [(address, port)]
    assert dns.lookups == ["api.example.com"]
    assert caught.value.code == "connection_failed"


def test_pinned_request_carries_the_url_host_name(
    dns: FakeDns, server: LocalServer
) -> None:
    dns.answer("api.example.com", ["127.0.0.1"])
    call = make_call(
        url_of(server, "/echo", host="api.example.com"), allow_private=True
    )

    result = perform(call)

    assert result.status == 200
    assert result.json["headers"]["Host"] == f"api.example.com:{server.server_port}"


def test_next_checked_address_is_tried_when_connecting_fails(
    dns: FakeDns, server: LocalServer
) -> None:
    # Nothing listens on 127.0.0.2, so that connection is refused.
    dns.answer("api.example.com", ["127.0.0.2", "127.0.0.1"])
    call = make_call(
        url_of(server, "/echo", host="api.example.com"), allow_private=True
    )

    result = perform(call)

    assert result.status == 200
    assert len(server.seen) == 1


# --- TLS -------------------------------------------------------------------


@dataclass
class Authority:
    ca_path: Path
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    directory: Path

    def server_context(self, host_name: str) -> ssl.SSLContext:
        """A server context with a certificate for host_name, signed here."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)])
            )
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(host_name)]), False
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.key.public_key()
                ),
                False,
            )
            .sign(self.key, hashes.SHA256())
        )
        cert_path = self.directory / f"{host_name}.pem"
        key_path = self.directory / f"{host_name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        return context


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    directory = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
        .sign(key, hashes.SHA256())
    )
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Authority(ca_path=ca_path, key=key, cert=cert, directory=directory)


@pytest.fixture
def trust(authority: Authority, monkeypatch: pytest.MonkeyPatch) -> Authority:
    """Make requests trust the test authority instead of the public ones."""
    monkeypatch.setattr(
        requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(authority.ca_path)
    )
    return authority


def test_https_uses_the_host_name_for_sni_and_the_certificate(
    dns: FakeDns, trust: Authority
) -> None:
    dns.answer("api.example.com", ["127.0.0.1"])
    context = trust.server_context("api.example.com")
    sni: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name)

    with _serving(context) as tls_server:
        call = make_call(
            url_of(tls_server, "/echo", host="api.example.com"), allow_private=True
        )
        result = perform(call)

    assert result.status == 200
    assert sni == ["api.example.com"]
    assert result.json["headers"]["Host"] == f"api.example.com:{tls_server.server_port}"


def test_https_certificate_for_another_host_is_refused(
    dns: FakeDns, trust: Authority
) -> None:
    dns.answer("api.example.com", ["127.0.0.1"])
    context = trust.server_context("other.example.com")

    with _serving(context) as tls_server, pytest.raises(HttpCallError) as caught:
        perform(
            make_call(
                url_of(tls_server, "/echo", host="api.example.com"),
                allow_private=True,
            )
        )

    assert caught.value.code == "tls_failed"
    assert not caught.value.retryable
    assert str(caught.value).startswith(
        "The TLS certificate of api.example.com could not be verified"
    )
    assert tls_server.seen == []


# --- Invalid calls ---------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "message"),
    [
        (
            {"url": "ftp://files.example.com/a.csv"},
            "invalid_url",
            "Only http:// and https:// URLs can be called, and this URL starts "
            "with 'ftp://'.",
        ),
        ({"url": "file:///etc/passwd"}, "invalid_url", "starts with 'file://'"),
        ({"url": "api.example.com/hooks"}, "invalid_url", "has no scheme"),
        ({"url": "http://"}, "invalid_url", "could not be understood"),
        ({"method": "TRACE"}, "invalid_method", "The method 'TRACE' is not"),
        (
            {"headers": {"Host": "internal.local"}},
            "invalid_header",
            "The header 'Host' is set automatically.",
        ),
        (
            {"headers": {"X-Note": "a\r\nX-Injected: 1"}},
            "invalid_header",
            "The value of the header 'X-Note' cannot be sent",
        ),
        (
            {"headers": {"Bad Name": "x"}},
            "invalid_header",
            "'Bad Name' is not a valid header name.",
        ),
        ({"hmac_secret": ""}, "invalid_secret", "The signing secret is empty"),
    ],
)
def test_invalid_call_is_refused_before_any_lookup(
    dns: FakeDns,
    connects: list[tuple[str, int]],
    overrides: dict[str, Any],
    code: str,
    message: str,
) -> None:
    dns.answer("api.example.com", ["93.184.216.34"])
    call = make_call(**({"url": "https://api.example.com/hooks"} | overrides))

    with pytest.raises(HttpCallError) as caught:
        perform(call)

    assert caught.value.code == code
    assert message in str(caught.value)
    assert not caught.value.retryable
    assert dns.lookups == []
    assert connects == []


def test_error_messages_never_carry_the_url_path_or_query(
    dns: FakeDns, connects: list[tuple[str, int]]
) -> None:
    dns.answer("api.example.com", ["93.184.216.34"])

    with pytest.raises(HttpCallError) as caught:
        perform(make_call("https://api.example.com/hooks/abc?token=s3cret"))

    assert "s3cret" not in str(caught.value)
    assert "/hooks" not in str(caught.value)


# --- lookup ----------------------------------------------------------------

RESPONSE = {
    "data": {
        "items": [{"id": 7, "tags": ["a", "b"]}, {"id": 8}],
        "total": 2,
        "0": "key that looks like an index",
        "empty": None,
    }
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("data.total", 2),
        ("data.items.0.id", 7),
        ("data.items.1.id", 8),
        ("data.items.0.tags.1", "b"),
        ("data.0", "key that looks like an index"),
        ("data.items", [{"id": 7, "tags": ["a", "b"]}, {"id": 8}]),
        ("", RESPONSE),
    ],
)
def test_lookup_follows_keys_and_indexes(path: str, expected: Any) -> None:
    assert lookup(RESPONSE, path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "data.missing",
        "data.items.2.id",
        "data.items.-1.id",
        "data.items.first",
        "data.total.value",
        "data.empty.value",
        "data.items.0.id.deeper",
        "data..total",
    ],
)
def test_lookup_gives_none_for_missing_parts(path: str) -> None:
    assert lookup(RESPONSE, path) is None


@pytest.mark.parametrize("data", [None, 3, "text", [], {}])
def test_lookup_never_raises_on_unexpected_shapes(data: Any) -> None:
    assert lookup(data, "data.items.0") is None
