"""The only code that talks to a carrier: submit a message, or find one.

Twilio accounts go through the twilio SDK, pointed at TWILIO_API_BASE_URL;
local-carrier accounts go to `integrations.twilio.local_carrier`. Callers
get a `Submission` or a `CarrierError` that says whether retrying can help.
"""

from __future__ import annotations

import datetime
import logging
from functools import lru_cache

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from integrations.twilio import local_carrier
from integrations.twilio.models import Sender
from integrations.twilio.results import CarrierError, Submission
from thoughtflow.logs import mask_phone

logger = logging.getLogger(__name__)

# Error codes after which the recipient must be treated as opted out.
OPTED_OUT_CODES = frozenset({21610})


def submit_message(
    sender: Sender,
    *,
    to: str,
    body: str,
    media_urls: list[str],
    status_callback: str,
) -> Submission:
    """Hand one message to the sender's carrier. Raises CarrierError."""
    account = sender.account
    if account.is_local:
        return local_carrier.submit(
            account,
            to=to,
            from_=sender.address,
            body=body,
            status_callback=status_callback,
        )

    params: dict = {"to": to, "body": body, "status_callback": status_callback}
    if media_urls:
        params["media_url"] = media_urls
    if sender.messaging_service_sid:
        params["messaging_service_sid"] = sender.messaging_service_sid
    else:
        params["from_"] = sender.phone_number
    try:
        created = _client(account.account_sid, account.auth_token).messages.create(
            **params
        )
    except TwilioRestException as exc:
        raise _classify(exc) from exc
    except requests.RequestException as exc:
        # Only a failed connect proves the request never arrived; a reset or
        # a read timeout may come after Twilio has accepted the message.
        raise CarrierError(
            f"Twilio could not be reached: {type(exc).__name__}",
            retryable=True,
            outcome_known=isinstance(exc, requests.ConnectTimeout),
        ) from exc
    logger.debug("twilio accepted sid=%s to=%s", created.sid, mask_phone(to))
    return Submission(sid=str(created.sid), status=str(created.status))


def find_submitted(
    sender: Sender,
    *,
    to: str,
    body: str,
    since: datetime.datetime,
    exclude_sids: set[str],
) -> Submission | None:
    """Look for a message the carrier accepted although its answer was lost.

    Matches on recipient, sender, body and creation time, skipping SIDs
    already known. Raises CarrierError when the carrier cannot be asked.
    """
    account = sender.account
    if account.is_local:
        return local_carrier.find(
            account,
            to=to,
            from_=sender.address,
            body=body,
            since=since,
            exclude_sids=exclude_sids,
        )

    client = _client(account.account_sid, account.auth_token)
    filters: dict = {"to": to, "date_sent_after": since - datetime.timedelta(days=1)}
    if sender.phone_number:
        filters["from_"] = sender.phone_number
    try:
        candidates = client.messages.list(limit=50, **filters)
    except TwilioRestException as exc:
        raise _classify(exc) from exc
    except requests.RequestException as exc:
        raise CarrierError(
            f"Twilio could not be reached: {type(exc).__name__}",
            retryable=True,
            outcome_known=False,
        ) from exc

    earliest = since - datetime.timedelta(seconds=30)
    for candidate in candidates:
        created = candidate.date_created
        if (
            candidate.sid not in exclude_sids
            and candidate.body == body
            and (created is None or created >= earliest)
            and (
                not sender.messaging_service_sid
                or candidate.messaging_service_sid == sender.messaging_service_sid
            )
        ):
            return Submission(sid=str(candidate.sid), status=str(candidate.status))
    return None


def _classify(exc: TwilioRestException) -> CarrierError:
    status = exc.status
    # 429 is never processed; 5xx may or may not have been.
    if status == 429:
        return CarrierError(
            str(exc.msg), code=exc.code, http_status=status, retryable=True
        )
    if status >= 500:
        return CarrierError(
            str(exc.msg),
            code=exc.code,
            http_status=status,
            retryable=True,
            outcome_known=False,
        )
    return CarrierError(
        str(exc.msg), code=exc.code, http_status=status, retryable=False
    )


@lru_cache(maxsize=64)
def _client(account_sid: str, auth_token: str) -> Client:
    # One client per account keeps its HTTP connections alive between sends.
    http_client = TwilioHttpClient(timeout=settings.TWILIO_HTTP_TIMEOUT_S)
    client = Client(account_sid, auth_token, http_client=http_client)
    client.api.base_url = settings.TWILIO_API_BASE_URL
    return client
