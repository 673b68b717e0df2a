"""Logging helpers: key=value lines with the request's context attached.

Every line carries `request_id` and `workspace_id` when they are known, so
one request or one workspace can be followed through the logs. Values that
identify a person are masked before they are logged.
"""

import logging
import time
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
workspace_id_var: ContextVar[int | None] = ContextVar("workspace_id", default=None)


class ContextFilter(logging.Filter):
    """Attach the current request id and workspace id to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.workspace_id = workspace_id_var.get()
        return True


class KeyValueFormatter(logging.Formatter):
    """Format records as `time level logger message key=value ...`."""

    converter = time.gmtime  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(
            fmt="%(asctime)s %(levelname)s %(name)s %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%SZ",
        )

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        context = [
            f"{key}={value}"
            for key in ("request_id", "workspace_id")
            if (value := getattr(record, key, None)) is not None
            and f"{key}=" not in record.message
        ]
        return " ".join([line, *context])


def mask_phone(number: str | None) -> str:
    """Keep the country code and first digits of a number, hide the rest."""
    if not number:
        return "-"
    visible = 5 if number.startswith("+") else 3
    return number[:visible] + "*" * max(len(number) - visible, 0)


def mask_email(address: str | None) -> str:
    if not address or "@" not in address:
        return "-"
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
