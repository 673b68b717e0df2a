"""Delivery status callbacks: signed, out of order, and acted on by code."""

import pytest
from django.test import Client
from django.utils import timezone

from conversations.models import Consent, Message, RecipientState
from conversations.sending import send_sms
from tests.factories import make_contact
from tests.messaging import ACCOUNT_SID, AUTH_TOKEN, opt_in, post_form, post_signed
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(cast, sender, fake_twilio, monkeypatch):
    noon = timezone.now().replace(hour=12)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    contact = make_contact(cast.workspace, phone="+12125550180", time_zone="UTC")
    opt_in(contact)
    message = send_sms(contact=contact, body="Reminder", author="workflow")
    run_queued_tasks()
    message.refresh_from_db()
    return message


def _callback(message, status, **extra):
    path = f"/webhooks/twilio/status?m={message.pk}"
    form = {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": message.twilio_sid,
        "MessageStatus": status,
        "SmsStatus": status,
        **extra,
    }
    return post_signed(Client(), path, form, AUTH_TOKEN)


def test_status_moves_forward(sent):
    _callback(sent, "sent")
    _callback(sent, "delivered")

    sent.refresh_from_db()
    assert sent.status == Message.Status.DELIVERED
    assert [e["status"] for e in sent.status_history][-2:] == ["sent", "delivered"]


def test_late_callback_never_moves_status_backwards(sent):
    _callback(sent, "delivered")
    response = _callback(sent, "sent")
    _callback(sent, "sending")

    sent.refresh_from_db()
    assert response.status_code == 204
    assert sent.status == Message.Status.DELIVERED
    assert [e.get("carrier_status") for e in sent.status_history][-3:] == [
        "delivered",
        "sent",
        "sending",
    ]


def test_repeated_callback_is_recorded_once(sent):
    _callback(sent, "sent")
    _callback(sent, "sent")

    sent.refresh_from_db()
    assert [e.get("carrier_status") for e in sent.status_history].count("sent") == 1


def test_callback_with_bad_signature_is_refused(sent):
    path = f"/webhooks/twilio/status?m={sent.pk}"
    form = {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sent.twilio_sid,
        "MessageStatus": "failed",
    }

    response = post_form(Client(), path, form, HTTP_X_TWILIO_SIGNATURE="bogus")

    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.status == Message.Status.ACCEPTED


def test_callback_finds_a_message_whose_sid_was_never_recorded(sent):
    """The worker died after the carrier accepted: the callback fills the gap."""
    sid = sent.twilio_sid
    Message.objects.filter(pk=sent.pk).update(twilio_sid=None, status="submitting")

    _callback(sent, "sent", MessageSid=sid)

    sent.refresh_from_db()
    assert (sent.twilio_sid, sent.status) == (sid, Message.Status.SENT)


@pytest.mark.parametrize("code", [30003, 30005, 30006])
def test_unreachable_codes_flag_the_number(sent, code):
    _callback(
        sent, "undelivered", ErrorCode=str(code), ErrorMessage="Unknown destination"
    )

    sent.refresh_from_db()
    assert sent.status == Message.Status.UNDELIVERED
    assert sent.error_code == code
    state = RecipientState.objects.get(contact=sent.contact)
    assert state.unreachable_code == code
    again = send_sms(contact=sent.contact, body="Hello?", author="workflow")
    assert again.block_reason == "unreachable"


def test_filtering_code_raises_an_alert_on_the_sender(sent, sender):
    _callback(sent, "undelivered", ErrorCode="30007")

    sender.refresh_from_db()
    assert sender.filtered_count == 1
    assert sender.filtered_at is not None


def test_opt_out_code_in_callback_records_opt_out(sent):
    _callback(sent, "failed", ErrorCode="21610")

    state = RecipientState.objects.get(contact=sent.contact)
    assert state.consent == Consent.OPTED_OUT
