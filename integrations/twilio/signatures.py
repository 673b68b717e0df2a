"""Checking that a webhook request really comes from Twilio."""

import logging

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)


def signed_by_twilio(request: HttpRequest, auth_token: str) -> bool:
    """Whether `X-Twilio-Signature` matches the request, signed with `auth_token`.

    The signature covers the URL Twilio called, so it is rebuilt from
    PUBLIC_BASE_URL rather than from this server's view of the request,
    which differs behind a proxy. An empty token (one that could not be
    decrypted) validates nothing.
    """
    signature = request.headers.get("X-Twilio-Signature", "")
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    valid = bool(signature and auth_token) and RequestValidator(auth_token).validate(
        url, request.POST, signature
    )
    if not valid:
        logger.warning("webhook signature invalid path=%s", request.path)
    return valid
