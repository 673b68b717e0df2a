"""Builders for messaging tests: carrier accounts, senders, signed webhooks."""

import itertools
import secrets
from urllib.parse import urlencode

from django.conf import settings
from twilio.request_validator import RequestValidator

from conversations.models import Consent, RecipientState
from integrations.crm.models import Contact
from integrations.twilio.models import CarrierAccount, Sender
from thoughtflow.models import Workspace

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "f" * 32
FROM_NUMBER = "+15005550006"
_numbers = itertools.count(100)


def make_twilio_sender(
    workspace: Workspace,
    *,
    account_sid: str = ACCOUNT_SID,
    auth_token: str = AUTH_TOKEN,
    phone_number: str | None = FROM_NUMBER,
    messages_per_second: int = 100,
    **fields: object,
) -> Sender:
    account, _ = CarrierAccount.objects.get_or_create(
        account_sid=account_sid,
        defaults={
            "workspace": workspace,
            "name": "Twilio",
            "kind": CarrierAccount.Kind.TWILIO,
            "auth_token": auth_token,
        },
    )
    return Sender.objects.create(
        workspace=workspace,
        account=account,
        phone_number=phone_number,
        messages_per_second=messages_per_second,
        **fields,
    )


def make_local_sender(workspace: Workspace, phone_number: str | None = None) -> Sender:
    account = CarrierAccount.create_local(workspace.pk)
    return Sender.objects.create(
        workspace=workspace,
        account=account,
        phone_number=phone_number or f"+1500555{next(_numbers):04d}",
        messages_per_second=100,
    )


def opt_in(contact: Contact) -> RecipientState:
    state, _ = RecipientState.objects.update_or_create(
        contact=contact,
        defaults={"workspace_id": contact.workspace_id, "consent": Consent.OPTED_IN},
    )
    return state


def inbound_form(sender: Sender, contact_phone: str, body: str, **extra: str) -> dict:
    sid = "SM" + secrets.token_hex(16)
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": sender.account.account_sid,
        "From": contact_phone,
        "To": sender.phone_number or "",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
        "SmsStatus": "received",
        **extra,
    }


def sign(path: str, params: dict, token: str) -> str:
    url = settings.PUBLIC_BASE_URL + path
    return RequestValidator(token).compute_signature(url, params)


def post_form(client, path: str, params: dict, **headers: str):
    """POST the way Twilio does: a url-encoded form."""
    return client.post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def post_signed(client, path: str, params: dict, token: str, **headers: str):
    return post_form(
        client,
        path,
        params,
        HTTP_X_TWILIO_SIGNATURE=sign(path, params, token),
        **headers,
    )
