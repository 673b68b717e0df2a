"""The simulator: a browser page that plays each contact's phone.

It shows what the local carrier delivered to a contact's handset, and lets
an operator reply as the contact. Replies enter through the inbound webhook,
signed with the local account's token, exactly as Twilio's would.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from conversations.models import Consent, Message
from integrations.crm import services as crm
from integrations.crm.models import Contact
from integrations.twilio.local_carrier import post_signed
from integrations.twilio.models import Sender
from thoughtflow.api.permissions import workspace_context
from thoughtflow.errors import NotFound, ThoughtflowError
from thoughtflow.models import Role

MAX_THREADS = 200
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class SimulatorNotAllowed(ThoughtflowError):
    code = "permission_denied"
    status_code = 403
    message = "The simulator needs the {role} role in your current workspace."


class NoLocalSender(ThoughtflowError):
    code = "no_local_sender"
    status_code = 409
    message = (
        "This workspace has no local-carrier number, so there is no handset to "
        "simulate. Add one under Admin > Numbers and carrier accounts."
    )


class ReplyRefused(ThoughtflowError):
    code = "reply_refused"
    status_code = 502
    message = "The webhook refused the simulated reply (HTTP {status}). See the log."


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=1600, trim_whitespace=False)


class NewContactSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=40)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)


@login_required
@ensure_csrf_cookie
def simulator_page(request: HttpRequest) -> HttpResponse:
    return render(request, "conversations/simulator.html")


@extend_schema(exclude=True)
@api_view(["GET"])
def thread_list(request: Request) -> Response:
    workspace_id = _workspace_id(request)
    sender = _local_sender(workspace_id)
    last_reply = (
        Message.objects.filter(
            contact=OuterRef("pk"), direction=Message.Direction.INBOUND
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    # Texts the handset got since the contact last wrote back.
    unread = (
        Message.objects.filter(
            contact=OuterRef("pk"),
            direction=Message.Direction.OUTBOUND,
            sender__account__kind="local",
            twilio_sid__isnull=False,
            created_at__gt=Coalesce(Subquery(last_reply), Value(EPOCH)),
        )
        .values("contact")
        .annotate(count=Count("pk"))
        .values("count")
    )
    contacts = (
        Contact.objects.for_workspace(workspace_id)
        .annotate(
            last_message_at=Max(
                "messages__created_at",
                filter=Q(messages__sender__account__kind="local"),
            ),
            unread=Coalesce(Subquery(unread), 0),
        )
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at")[
            :MAX_THREADS
        ]
    )
    threads = [
        {
            "contact_id": contact.pk,
            "name": contact.full_name or contact.phone,
            "phone": contact.phone,
            "sender": sender.address,
            "last_message_at": contact.last_message_at,
            "unread": contact.unread,
        }
        for contact in contacts
    ]
    return Response({"threads": threads})


@extend_schema(exclude=True)
@api_view(["GET"])
def thread_detail(request: Request, contact_id: int) -> Response:
    workspace_id = _workspace_id(request)
    sender = _local_sender(workspace_id)
    return Response(_thread(_contact(workspace_id, contact_id), sender))


@extend_schema(exclude=True)
@api_view(["POST"])
def thread_reply(request: Request, contact_id: int) -> Response:
    """Send a text from the contact's handset to the workspace's number."""
    workspace_id = _workspace_id(request, Role.OPERATOR)
    sender = _local_sender(workspace_id)
    contact = _contact(workspace_id, contact_id)
    incoming = ReplySerializer(data=request.data)
    incoming.is_valid(raise_exception=True)

    sid = "SM" + secrets.token_hex(16)
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": sender.account.account_sid,
        "From": contact.phone,
        "To": sender.address,
        "Body": incoming.validated_data["body"],
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    response = post_signed(sender.account, reverse("twilio:inbound"), params)
    if response.status_code != 200:
        raise ReplyRefused(status=response.status_code)
    return Response({"message_sid": sid}, status=status.HTTP_201_CREATED)


@extend_schema(exclude=True)
@api_view(["POST"])
def thread_missed_call(request: Request, contact_id: int) -> Response:
    """Call the workspace's number from the handset and hang up unanswered."""
    workspace_id = _workspace_id(request, Role.OPERATOR)
    sender = _local_sender(workspace_id)
    contact = _contact(workspace_id, contact_id)
    sid = "CA" + secrets.token_hex(16)
    params = {
        "CallSid": sid,
        "AccountSid": sender.account.account_sid,
        "From": contact.phone,
        "To": sender.address,
        "CallStatus": "no-answer",
        "Direction": "inbound",
        "CallDuration": "0",
        "ApiVersion": "2010-04-01",
    }
    response = post_signed(sender.account, reverse("workflows:voice-status"), params)
    if response.status_code >= 300:
        raise ReplyRefused(status=response.status_code)
    return Response({"call_sid": sid}, status=status.HTTP_201_CREATED)


@extend_schema(exclude=True)
@api_view(["POST"])
def new_contact(request: Request) -> Response:
    """Create a contact to text as; an existing number opens its thread."""
    workspace_id = _workspace_id(request, Role.OPERATOR)
    sender = _local_sender(workspace_id)
    incoming = NewContactSerializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    try:
        contact = crm.create_contact(sender.workspace, incoming.validated_data)
    except crm.ContactExists as exc:
        contact = Contact.objects.get(pk=exc.contact_id)
        return Response(_thread(contact, sender))
    return Response(_thread(contact, sender), status=status.HTTP_201_CREATED)


def _workspace_id(request: Request, role: str = Role.AGENT) -> int:
    context = workspace_context(request)
    if context is None or not context.allows(role):
        raise SimulatorNotAllowed(role=role)
    return context.workspace_id


def _local_sender(workspace_id: int) -> Sender:
    sender = (
        Sender.objects.for_workspace(workspace_id)
        .active()
        .select_related("account")
        .filter(account__kind="local")
        .first()
    )
    if sender is None:
        raise NoLocalSender()
    return sender


def _contact(workspace_id: int, contact_id: int) -> Contact:
    contact = Contact.objects.for_workspace(workspace_id).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound()
    return contact


def _thread(contact: Contact, sender: Sender) -> dict[str, Any]:
    messages = (
        Message.objects.filter(contact=contact, sender__account__kind="local")
        .order_by("created_at", "id")
        .values("id", "direction", "body", "media", "status", "created_at", "author")
    )
    state = getattr(contact, "recipient_state", None)
    return {
        "contact_id": contact.pk,
        "name": contact.full_name or contact.phone,
        "phone": contact.phone,
        "sender": sender.address,
        "opted_out": bool(state and state.consent == Consent.OPTED_OUT),
        "messages": list(messages),
    }
