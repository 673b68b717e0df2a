"""Twilio's webhooks: inbound messages and delivery status callbacks.

Each view checks the request's size, shape and `X-Twilio-Signature` (with
the auth token of the account the request concerns, over the public URL
Twilio called), then hands the request to a service and answers at once.
"""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from conversations.inbound import store_inbound
from conversations.status import record_status
from integrations.twilio import routes
from integrations.twilio.models import CarrierAccount
from integrations.twilio.signatures import signed_by_twilio

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
INBOUND_REQUIRED = ("MessageSid", "AccountSid", "From", "To")
STATUS_REQUIRED = ("MessageSid", "AccountSid", "MessageStatus")


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> HttpResponse:
    """Store an inbound text and answer with empty TwiML."""
    if problem := _refuse_malformed(request, INBOUND_REQUIRED):
        return problem

    form = request.POST
    to, service_sid = form["To"], form.get("MessagingServiceSid", "")
    route = routes.find(to, service_sid)
    if route is not None and not signed_by_twilio(request, route.auth_token):
        # The cached token may predate a rotation: check once more, fresh.
        route = routes.find(to, service_sid, fresh=True)
        if route is not None and not signed_by_twilio(request, route.auth_token):
            return _forbidden("Invalid signature.")
    if route is None or route.account_sid != form["AccountSid"]:
        logger.warning("inbound sms for unknown number to=%s", to[:5])
        return _forbidden("Unknown recipient.")

    store_inbound(workspace_id=route.workspace_id, sender_id=route.sender_id, form=form)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def status_callback(request: HttpRequest) -> HttpResponse:
    """Record a delivery status for an outbound message."""
    if problem := _refuse_malformed(request, STATUS_REQUIRED):
        return problem

    form = request.POST
    account = CarrierAccount.objects.filter(account_sid=form["AccountSid"]).first()
    if account is None or not signed_by_twilio(request, account.auth_token):
        return _forbidden("Invalid signature.")

    message_id = request.GET.get("m", "")
    error_code = form.get("ErrorCode", "")
    message = None
    if message_id.isdigit():
        message = record_status(
            int(message_id),
            sid=form["MessageSid"],
            carrier_status=form["MessageStatus"],
            error_code=int(error_code) if error_code.isdigit() else None,
            error_message=form.get("ErrorMessage", ""),
        )
    if message is None or message.sender.account_id != account.pk:
        logger.warning("status for unknown message sid=%s", form["MessageSid"])
    return HttpResponse(status=204)


def _refuse_malformed(
    request: HttpRequest, required: tuple[str, ...]
) -> HttpResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.WEBHOOK_MAX_BYTES:
        return HttpResponse("Request too large.", status=413, content_type="text/plain")
    if request.content_type != "application/x-www-form-urlencoded":
        return HttpResponse(
            "Expected an application/x-www-form-urlencoded body.",
            status=400,
            content_type="text/plain",
        )
    missing = [name for name in required if not request.POST.get(name)]
    if missing:
        return HttpResponse(
            f"Missing fields: {', '.join(missing)}.",
            status=400,
            content_type="text/plain",
        )
    return None


def _forbidden(reason: str) -> HttpResponse:
    return HttpResponse(reason, status=403, content_type="text/plain")
