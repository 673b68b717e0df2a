"""The local carrier: the embedded default, speaking Twilio's protocol."""

import pytest
from django.utils import timezone

from conversations.models import Message
from conversations.sending import send_sms
from integrations.twilio.models import LocalCarrierMessage
from tests.factories import make_contact
from tests.messaging import make_local_sender, opt_in
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db


def test_local_carrier_accepts_and_reports_delivery_through_the_webhook(
    cast, monkeypatch
):
    noon = timezone.now().replace(hour=12)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    sender = make_local_sender(cast.workspace)
    contact = make_contact(cast.workspace, phone="+12125550190", time_zone="UTC")
    opt_in(contact)

    message = send_sms(contact=contact, body="Welcome!", author="workflow")
    run_queued_tasks()

    handset = LocalCarrierMessage.objects.get()
    assert (handset.to, handset.from_address, handset.body) == (
        contact.phone,
        sender.phone_number,
        "Welcome!",
    )
    message.refresh_from_db()
    assert message.twilio_sid == handset.sid
    assert message.status == Message.Status.DELIVERED
    carrier_statuses = [e.get("carrier_status") for e in message.status_history]
    assert carrier_statuses[-3:] == ["queued", "sent", "delivered"]
