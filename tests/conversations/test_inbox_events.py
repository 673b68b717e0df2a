"""Inbox events: recorded with the change they describe, numbered per
workspace without gaps after commit, and pushed to the workspace's group."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.test import Client

from conversations import events
from conversations.models import Event, Message
from conversations.sending import send_sms
from conversations.status import record_status
from tests.factories import make_contact
from tests.messaging import AUTH_TOKEN, inbound_form, opt_in, post_signed
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node
from workflows.engine.runs import start_run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_channel_layer")]


@pytest.fixture
def customer(cast):
    contact = make_contact(cast.workspace, phone="+12125550150", time_zone="UTC")
    opt_in(contact)
    return contact


@pytest.fixture
def listener(cast):
    """A channel in the workspace's group, as a connected inbox would be."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.workspace_group(cast.workspace.pk), channel)
    return lambda: async_to_sync(layer.receive)(channel)


def _send(contact, body="Your table is ready"):
    return send_sms(contact=contact, body=body, author=Message.Author.WORKFLOW)


def _stream(workspace):
    return list(
        Event.objects.for_workspace(workspace)
        .order_by("seq")
        .values_list("seq", "kind")
    )


def test_a_sent_text_is_recorded_numbered_and_pushed(
    cast, customer, sender, daytime, listener, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _send(customer)

    [event] = Event.objects.all()
    assert (event.seq, event.kind, event.conversation_id) == (
        1,
        "message.created",
        message.conversation_id,
    )
    assert event.payload["message"]["body"] == "Your table is ready"
    assert event.payload["message"]["status"] == "queued"
    pushed = listener()
    assert pushed["type"] == "inbox.event"
    assert pushed["event"] == events.as_frame(event)


def test_an_event_is_rolled_back_with_its_change(cast, customer, sender, daytime):
    with pytest.raises(RuntimeError), transaction.atomic():
        _send(customer)
        raise RuntimeError("the caller fails after sending")

    assert not Event.objects.exists()
    assert not Message.objects.exists()


def test_numbers_follow_the_order_of_commits_and_count_per_workspace(
    cast, customer, sender, foreign_contact, daytime, django_capture_on_commit_callbacks
):
    from tests.messaging import make_twilio_sender

    make_twilio_sender(
        cast.other, account_sid="AC" + "2" * 32, phone_number="+15005550007"
    )
    opt_in(foreign_contact)

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            _send(customer, "first")
            _send(customer, "second")
        _send(foreign_contact, "elsewhere")
        _send(customer, "third")

    assert _stream(cast.workspace) == [
        (1, "message.created"),
        (2, "message.created"),
        (3, "message.created"),
    ]
    assert _stream(cast.other) == [(1, "message.created")]
    bodies = [
        frame["payload"]["message"]["body"]
        for frame in events.events_after(cast.workspace.pk, 1, limit=10)
    ]
    assert bodies == ["second", "third"]


def test_delivery_and_callbacks_record_each_status_change_once(
    cast,
    customer,
    sender,
    fake_twilio,
    daytime,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _send(customer)
        run_queued_tasks()
        message.refresh_from_db()
        record_status(message.pk, sid=message.twilio_sid, carrier_status="delivered")
        record_status(message.pk, sid=message.twilio_sid, carrier_status="delivered")

    statuses = [
        event.payload["status"]
        for event in Event.objects.filter(kind="message.status").order_by("seq")
    ]
    assert statuses == ["submitting", "accepted", "delivered"]


def test_an_unanswered_inbound_text_is_recorded_and_flagged_for_a_person(
    cast, sender, django_capture_on_commit_callbacks
):
    form = inbound_form(sender, "+12125550170", "is anyone there?")

    with django_capture_on_commit_callbacks(execute=True):
        post_signed(Client(), "/webhooks/twilio/sms", form, AUTH_TOKEN)
        run_queued_tasks()

    assert _stream(cast.workspace) == [
        (1, "message.created"),
        (2, "conversation.updated"),
        (3, "handoff.requested"),
    ]
    created, flagged, requested = Event.objects.order_by("seq")
    assert created.payload["message"]["body"] == "is anyone there?"
    assert flagged.payload["conversation"]["needs_attention"] is True
    assert requested.payload["reason"] == (
        "A text arrived that no agent or workflow answers."
    )


def test_an_opt_out_is_recorded_even_on_a_conversation_already_flagged(
    cast, sender, fake_twilio, django_capture_on_commit_callbacks
):
    web = Client()
    for body in ("hello?", "STOP"):
        with django_capture_on_commit_callbacks(execute=True):
            form = inbound_form(sender, "+12125550170", body)
            post_signed(web, "/webhooks/twilio/sms", form, AUTH_TOKEN)
            run_queued_tasks()

    changes = [
        event.payload["change"]
        for event in Event.objects.filter(kind="conversation.updated").order_by("seq")
    ]
    assert changes == ["flagged", "opted_out"]
    last = Event.objects.filter(kind="conversation.updated").latest("seq")
    assert last.payload["conversation"]["needs_attention"] is True


def test_a_handoff_step_records_its_request(
    cast, customer, sender, daytime, django_capture_on_commit_callbacks
):
    workflow = make_workflow(
        cast.workspace,
        [
            node("start", "trigger", type="manual"),
            node("text", "send_sms", body="We'll call you"),
            node("human", "human_handoff", outcomes=["booked"], queue="sales"),
        ],
        [
            edge("start", "next", "text"),
            edge("text", "sent", "human"),
            edge("text", "blocked", None),
            edge("human", "booked", None),
        ],
    )

    with django_capture_on_commit_callbacks(execute=True):
        run = start_run(workflow, customer, {})
        run_queued_tasks()

    requested = Event.objects.get(kind="handoff.requested")
    assert requested.conversation is not None
    assert requested.payload["queue"] == "sales"
    assert requested.payload["outcomes"] == ["booked"]
    assert requested.payload["run_id"] == run.pk


def test_a_numbering_lost_with_its_process_is_done_at_the_next_replay(
    cast, customer, sender, daytime
):
    # Without running the commit callbacks, nothing numbers the event: as if
    # the process died right after the commit.
    _send(customer)
    assert Event.objects.get().seq is None

    frames = events.events_after(cast.workspace.pk, 0, limit=10)

    assert [frame["id"] for frame in frames] == [1]
    assert events.last_seq(cast.workspace.pk) == 1
