"""Domain errors: each has a stable code and a message a person can act on.

Services raise these; the API's exception handler turns them into
`{"code": ..., "detail": ...}` with the error's HTTP status.
"""

from typing import Any


class ThoughtflowError(Exception):
    code = "error"
    status_code = 400
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.details = details
        self.message = (message or self.message).format(**details)
        super().__init__(self.message)


class NotFound(ThoughtflowError):
    code = "not_found"
    status_code = 404
    message = "Nothing with that id exists in this workspace."


class Conflict(ThoughtflowError):
    code = "conflict"
    status_code = 409


class LastAdmin(Conflict):
    code = "last_admin"
    message = (
        "A workspace needs at least one admin. Make another member an admin "
        "first, then change or remove this one."
    )


class InvalidImport(ThoughtflowError):
    code = "invalid_import"
