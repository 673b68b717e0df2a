"""A snoozed conversation comes back when the contact texts."""

import datetime

import pytest
from django.utils import timezone

from conversations.inbound import store_inbound
from conversations.models import Conversation, Event
from tests.conversations.inbox import make_conversation
from tests.messaging import inbound_form
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db


def test_an_inbound_text_clears_the_snooze(cast, contact, sender):
    later = timezone.now() + datetime.timedelta(days=1)
    conversation = make_conversation(contact, sender, snoozed_until=later)

    store_inbound(
        workspace_id=cast.workspace.pk,
        sender_id=sender.pk,
        form=inbound_form(sender, contact.phone, "Back from holiday"),
    )
    run_queued_tasks()

    conversation.refresh_from_db()
    assert conversation.snoozed_until is None
    event = Event.objects.get(
        conversation=conversation, kind=Event.Kind.CONVERSATION_UPDATED
    )
    assert event.payload["change"] == "unsnoozed"
    assert event.payload["conversation"]["snoozed_until"] is None


def test_a_text_to_an_awake_conversation_records_no_change(cast, contact, sender):
    conversation = make_conversation(contact, sender)

    store_inbound(
        workspace_id=cast.workspace.pk,
        sender_id=sender.pk,
        form=inbound_form(sender, contact.phone, "Hello"),
    )
    run_queued_tasks()

    assert Conversation.objects.get(pk=conversation.pk).snoozed_until is None
    assert not Event.objects.filter(kind=Event.Kind.CONVERSATION_UPDATED).exists()
