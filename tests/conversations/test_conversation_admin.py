"""Edits of a conversation in Django admin reach open inboxes."""

import pytest
from django.test import Client

from conversations import listing
from conversations.models import Conversation, Event
from tests.conversations.inbox import make_conversation
from tests.factories import PASSWORD, make_contact
from tests.messaging import make_local_sender

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(cast) -> Conversation:
    contact = make_contact(cast.workspace, first_name="Jordan")
    return make_conversation(contact, make_local_sender(cast.workspace))


def _edit(conversation: Conversation, **changes) -> int:
    client = Client()
    assert client.login(username="ada", password=PASSWORD)
    data = {
        "workspace": conversation.workspace_id,
        "state": conversation.state,
        "assignee": conversation.assignee_id or "",
        "snoozed_until_0": "",
        "snoozed_until_1": "",
        **changes,
    }
    if conversation.needs_attention:
        data.setdefault("needs_attention", "on")
    response = client.post(
        f"/admin/conversations/conversation/{conversation.pk}/change/", data
    )
    return response.status_code


def test_an_edit_in_admin_is_an_event_and_a_line_in_the_thread(cast, conversation):
    assert _edit(conversation, assignee=cast.agent.pk) == 302

    event = Event.objects.get(kind=Event.Kind.CONVERSATION_UPDATED)
    assert event.conversation_id == conversation.pk
    assert event.payload["change"] == "edited_in_admin"
    assert event.payload["conversation"]["assignee_id"] == cast.agent.pk
    conversation.refresh_from_db()
    [item] = listing.thread(conversation)
    assert item["activity"]["change"] == "edited_in_admin"
    assert item["activity"]["assignee"] == cast.agent


def test_saving_without_a_change_records_nothing(conversation):
    assert _edit(conversation) == 302

    assert not Event.objects.exists()
