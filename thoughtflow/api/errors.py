"""One shape for every API error: `{"code": ..., "detail": ...}`.

Validation errors add `fields`, a map from field name to messages, so a form
can show each message beside the field it belongs to.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from thoughtflow.errors import ThoughtflowError

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ThoughtflowError):
        body: dict[str, Any] = {"code": exc.code, "detail": exc.message}
        if fields := getattr(exc, "fields", None):
            body["fields"] = fields
        return Response(body, status=exc.status_code)

    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Nothing with that id exists in this workspace.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "detail": _summary(exc.detail),
            "fields": exc.detail if isinstance(exc.detail, dict) else {},
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "code": codes if isinstance(codes, str) else "error",
            "detail": str(exc.detail),
        }
    if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        logger.error("api error status=%s", response.status_code)
    return response


def _summary(detail: Any) -> str:
    """Turn DRF's nested error detail into one readable sentence."""
    if isinstance(detail, dict):
        fields = ", ".join(sorted(str(name) for name in detail))
        if set(detail) == {"non_field_errors"}:
            return _first_message(detail["non_field_errors"])
        return f"Some fields are not valid: {fields}. See `fields` for each problem."
    return _first_message(detail)


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        return _first_message(next(iter(detail.values())))
    return str(detail)
