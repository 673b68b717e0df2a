"""Inbound texts: signature, shape, storage before answering, and keywords."""

import pytest
from django.test import Client
from django.utils import timezone

from conversations.models import (
    Consent,
    ConsentRecord,
    Conversation,
    InboundWebhook,
    Message,
    RecipientState,
)
from integrations.crm.models import Contact
from tests.messaging import AUTH_TOKEN, inbound_form, post_form, post_signed, sign
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db

URL = "/webhooks/twilio/sms"


@pytest.fixture
def web():
    return Client()


def _deliver(web, sender, body, phone="+12125550170", **extra):
    form = inbound_form(sender, phone, body, **extra)
    response = post_signed(web, URL, form, AUTH_TOKEN)
    return response, form


def test_inbound_is_stored_and_answered_with_empty_twiml(web, sender):
    response, form = _deliver(web, sender, "Hi, is 3pm ok?")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
    stored = InboundWebhook.objects.get()
    assert stored.message_sid == form["MessageSid"]
    assert stored.processed_at is None


def test_processing_creates_contact_conversation_and_message(web, sender, cast):
    _deliver(web, sender, "Hi, is 3pm ok?", FromState="TX")

    run_queued_tasks()

    contact = Contact.objects.get(phone="+12125550170")
    assert contact.workspace == cast.workspace
    message = Message.objects.get()
    assert (message.direction, message.body, message.author) == (
        "inbound",
        "Hi, is 3pm ok?",
        "contact",
    )
    assert message.conversation.sender == sender
    assert contact.activities.filter(kind="message").count() == 1
    state = RecipientState.objects.get(contact=contact)
    assert state.last_inbound_at is not None
    assert state.region == "TX"


def test_same_message_sid_twice_is_processed_once(web, sender):
    form = inbound_form(sender, "+12125550170", "hello")

    first = post_signed(web, URL, form, AUTH_TOKEN)
    second = post_signed(web, URL, form, AUTH_TOKEN)
    run_queued_tasks()

    assert first.status_code == second.status_code == 200
    assert InboundWebhook.objects.count() == 1
    assert Message.objects.count() == 1


def test_bad_signature_is_refused_and_nothing_stored(web, sender):
    form = inbound_form(sender, "+12125550170", "hello")

    forged = post_form(
        web, URL, form, HTTP_X_TWILIO_SIGNATURE=sign(URL, form, "0" * 32)
    )
    missing = post_form(web, URL, form)
    changed = post_form(
        web,
        URL,
        {**form, "Body": "tampered"},
        HTTP_X_TWILIO_SIGNATURE=sign(URL, form, AUTH_TOKEN),
    )

    assert [r.status_code for r in (forged, missing, changed)] == [403, 403, 403]
    assert not InboundWebhook.objects.exists()


def test_signature_uses_the_public_url_behind_a_proxy(web, sender, settings):
    settings.PUBLIC_BASE_URL = "https://sms.example.com"
    form = inbound_form(sender, "+12125550170", "hello")

    response = post_form(
        web,
        URL,
        form,
        HTTP_X_TWILIO_SIGNATURE=sign(URL, form, AUTH_TOKEN),
        HTTP_X_FORWARDED_PROTO="https",
    )

    assert response.status_code == 200


def test_unknown_number_is_refused(web, sender):
    form = inbound_form(sender, "+12125550170", "hello", To="+15005550099")

    response = post_signed(web, URL, form, AUTH_TOKEN)

    assert response.status_code == 403


@pytest.mark.parametrize("missing", ["MessageSid", "From", "To", "AccountSid"])
def test_malformed_request_is_refused(web, sender, missing):
    form = inbound_form(sender, "+12125550170", "hello")
    del form[missing]

    response = post_signed(web, URL, form, AUTH_TOKEN)

    assert response.status_code == 400
    assert missing in response.content.decode()


def test_body_that_is_not_a_form_is_refused(web, sender):
    response = web.post(URL, {"Body": "hi"}, content_type="application/json")

    assert response.status_code == 400


def test_oversized_request_is_refused(web, sender):
    form = inbound_form(sender, "+12125550170", "x" * 70_000)

    response = post_signed(web, URL, form, AUTH_TOKEN)

    assert response.status_code == 413
    assert not InboundWebhook.objects.exists()


def test_media_is_recorded(web, sender):
    _deliver(
        web,
        sender,
        "",
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1",
        MediaContentType0="image/jpeg",
    )
    run_queued_tasks()

    assert Message.objects.get().media == [
        {
            "url": "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1",
            "content_type": "image/jpeg",
        }
    ]


def _messages(direction):
    return list(Message.objects.filter(direction=direction).order_by("pk"))


@pytest.mark.parametrize(
    "body", ["STOP", " stop. ", "Opt-Out", "please stop texting me"]
)
def test_opt_out_is_recorded_and_confirmed_once(web, sender, fake_twilio, body):
    _deliver(web, sender, body)
    run_queued_tasks()

    state = RecipientState.objects.get()
    assert state.consent == Consent.OPTED_OUT
    record = ConsentRecord.objects.get()
    assert record.status == "opted_out"
    assert record.source in ("keyword", "plain_language")
    [confirmation] = _messages("outbound")
    assert confirmation.purpose == "opt_out_confirmation"
    assert "unsubscribed" in confirmation.body
    assert len(fake_twilio.messages) == 1
    assert Conversation.objects.get().needs_attention is True

    _deliver(web, sender, "STOP")
    run_queued_tasks()
    assert len(_messages("outbound")) == 1


def test_carrier_handled_opt_out_is_recorded_without_a_second_reply(
    web, sender, fake_twilio
):
    _deliver(web, sender, "STOP", OptOutType="STOP")
    run_queued_tasks()

    assert RecipientState.objects.get().consent == Consent.OPTED_OUT
    assert ConsentRecord.objects.get().source == "carrier"
    assert _messages("outbound") == []


def test_nothing_else_reaches_an_opted_out_contact(web, sender, fake_twilio):
    from conversations.sending import send_sms

    _deliver(web, sender, "STOP")
    run_queued_tasks()
    contact = Contact.objects.get()

    later = send_sms(
        contact=contact, body="Big sale!", author="workflow", purpose="marketing"
    )
    run_queued_tasks()

    assert later.status == Message.Status.BLOCKED
    assert len(fake_twilio.messages) == 1  # The confirmation only.


def test_start_opts_back_in_and_yes_only_counts_after_an_opt_out(
    web, sender, fake_twilio
):
    _deliver(web, sender, "YES")
    run_queued_tasks()
    assert RecipientState.objects.get().consent == Consent.UNKNOWN

    _deliver(web, sender, "STOP")
    _deliver(web, sender, "yes")
    run_queued_tasks()

    assert RecipientState.objects.get().consent == Consent.OPTED_IN
    purposes = [m.purpose for m in _messages("outbound")]
    assert purposes == ["opt_out_confirmation", "opt_in_confirmation"]


def test_help_gets_the_workspace_help_text(web, sender, fake_twilio, cast):
    from conversations.models import MessagingSettings

    MessagingSettings.objects.create(
        workspace=cast.workspace,
        brand_name="Acme Roofing",
        support_contact="help@acme.test",
    )

    _deliver(web, sender, "HELP")
    run_queued_tasks()

    [reply] = _messages("outbound")
    assert reply.body == (
        "Acme Roofing: For help, contact help@acme.test. Msg & data rates may apply. "
        "Reply STOP to opt out."
    )


def test_opt_out_confirmation_too_late_is_not_sent(
    web, sender, fake_twilio, monkeypatch
):
    import datetime

    _deliver(web, sender, "STOP")
    # Process the opt-out now, but deliver its confirmation six minutes later.
    from conversations import inbound

    inbound.process_inbound(InboundWebhook.objects.get().pk)
    later = timezone.now() + datetime.timedelta(minutes=6)
    monkeypatch.setattr(timezone, "now", lambda: later)
    run_queued_tasks()

    [confirmation] = _messages("outbound")
    assert confirmation.status == Message.Status.BLOCKED
    assert confirmation.block_reason == "confirmation_not_due"
    assert fake_twilio.messages == []


def test_rotated_token_is_picked_up_at_once(web, sender):
    from integrations.twilio.models import CarrierAccount

    _deliver(web, sender, "before rotation")  # Caches the route and token.
    account = CarrierAccount.objects.get()
    account.auth_token = "9" * 32
    account.save()

    form = inbound_form(sender, "+12125550170", "after rotation")
    response = post_signed(web, URL, form, "9" * 32)

    assert response.status_code == 200
    assert InboundWebhook.objects.count() == 2


def test_undecryptable_token_refuses_webhooks_but_keeps_the_account_editable(
    web, sender, settings, caplog
):
    from cryptography.fernet import Fernet

    from integrations.twilio.models import CarrierAccount

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    response, _ = _deliver(web, sender, "hello")

    assert response.status_code == 403
    assert CarrierAccount.objects.get().auth_token == ""
    assert "stored secret cannot be decrypted" in caplog.text
