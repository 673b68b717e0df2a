import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from thoughtflow.logs import request_id_var, workspace_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's request id only if it is short and harmless to log.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Give every request an id, echo it back, and attach it to log lines."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        workspace_token = workspace_id_var.set(None)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            workspace_id_var.reset(workspace_token)

        response[REQUEST_ID_HEADER] = request_id
        return response
