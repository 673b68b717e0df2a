"""A small OpenAI-compatible chat completions server on 127.0.0.1.

litellm's real OpenAI client talks to it over HTTP, so a test sees the
request exactly as a vendor would (path, headers, JSON body) and controls
the answer, including failures and slowness.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    """Answer `POST /v1/chat/completions` from a queue of replies.

    Queue a reply with `reply(content, tool_calls=[(name, args)])` or a
    failure with `fail(status, message)` or `stall(seconds)`; every request
    is kept in `requests` as (path, headers, parsed body).
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self._answers: deque[tuple[str, Any]] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def reply(self, content: str, tool_calls: list[tuple[str, dict]] = ()) -> None:
        self._answers.append(("reply", (content, list(tool_calls))))

    def fail(self, status: int, message: str = "failure") -> None:
        self._answers.append(("fail", (status, message)))

    def stall(self, seconds: float) -> None:
        self._answers.append(("stall", seconds))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    server.requests.append((self.path, headers, body))
                    kind, answer = (
                        server._answers.popleft()
                        if server._answers
                        else ("fail", (500, "no answer queued"))
                    )
                if kind == "stall":
                    time.sleep(answer)
                    kind, answer = ("reply", ("too late", []))
                if kind == "fail":
                    status, message = answer
                    self._send(status, {"error": {"message": message, "type": "x"}})
                    return
                content, calls = answer
                self._send(200, _completion(body.get("model", ""), content, calls))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # The client gave up waiting, as it should.

        return Handler


def _completion(model: str, content: str, calls: list[tuple[str, dict]]) -> dict:
    tool_calls = [
        {
            "id": f"call_{index}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(args)},
        }
        for index, (name, args) in enumerate(calls)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    }
