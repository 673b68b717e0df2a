"""The local carrier: simulated handsets that speak Twilio's protocol.

Sending stores a `LocalCarrierMessage` and answers like Twilio's create
call; a task then posts signed status callbacks (queued, sent, delivered)
through the same webhook view Twilio's would reach. The simulator page
replies as the contact by posting signed inbound webhooks the same way.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve
from twilio.request_validator import RequestValidator

from integrations.twilio.models import CarrierAccount, LocalCarrierMessage
from integrations.twilio.results import Submission
from thoughtflow.tasks import enqueue

logger = logging.getLogger(__name__)

DELIVERY_STATUSES = ("queued", "sent", "delivered")


def submit(
    account: CarrierAccount, *, to: str, from_: str, body: str, status_callback: str
) -> Submission:
    message = LocalCarrierMessage.objects.create(
        account=account,
        sid=new_sid("SM"),
        to=to,
        from_address=from_,
        body=body,
        status_callback=status_callback,
    )
    enqueue("integrations.twilio.local_carrier.report_delivery", message.pk)
    return Submission(sid=message.sid, status="queued")


def find(
    account: CarrierAccount,
    *,
    to: str,
    from_: str,
    body: str,
    since: datetime.datetime,
    exclude_sids: set[str],
) -> Submission | None:
    candidates = LocalCarrierMessage.objects.filter(
        account=account,
        to=to,
        from_address=from_,
        body=body,
        created_at__gte=since - datetime.timedelta(seconds=30),
    ).exclude(sid__in=exclude_sids)
    message = candidates.order_by("created_at").first()
    return Submission(sid=message.sid, status=message.status) if message else None


def report_delivery(local_message_id: int) -> None:
    """Post the message's status callbacks, in order, as Twilio would."""
    message = LocalCarrierMessage.objects.select_related("account").get(
        pk=local_message_id
    )
    for status in DELIVERY_STATUSES:
        params = {
            "AccountSid": message.account.account_sid,
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "From": message.from_address,
            "To": message.to,
            "ApiVersion": "2010-04-01",
        }
        if message.status_callback:
            post_signed(message.account, message.status_callback, params)
    LocalCarrierMessage.objects.filter(pk=message.pk).update(status="delivered")


def post_signed(
    account: CarrierAccount, url: str, params: dict[str, str]
) -> HttpResponse:
    """Deliver a webhook to this installation's own view, signed like Twilio's.

    The request goes through the view Twilio's requests reach, signature
    check included, without a round trip through the network.
    """
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    public_url = settings.PUBLIC_BASE_URL + path
    signature = RequestValidator(account.auth_token).compute_signature(
        public_url, params
    )
    request = RequestFactory().post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
        HTTP_USER_AGENT="LocalCarrier/1.0",
    )
    response = resolve(parts.path).func(request)
    if response.status_code >= 300:
        logger.warning(
            "local carrier webhook refused path=%s status=%s",
            parts.path,
            response.status_code,
        )
    return response


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)
