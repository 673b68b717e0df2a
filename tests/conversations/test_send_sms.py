"""The send path: gate, outbox row, delivery through the real twilio SDK."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from conversations import delivery
from conversations.models import (
    Consent,
    GlobalSuppression,
    Message,
    MessagingSettings,
    RecipientState,
    Suppression,
)
from conversations.sending import NoSender, send_sms
from tests.factories import make_contact
from tests.messaging import opt_in
from tests.tasks import drop_queued_tasks, queued_task_names, run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(cast):
    contact = make_contact(cast.workspace, phone="+12125550150", time_zone="UTC")
    opt_in(contact)
    return contact


def _send(contact, body="Your table is ready", **kwargs):
    return send_sms(
        contact=contact, body=body, author=Message.Author.WORKFLOW, **kwargs
    )


def test_message_reaches_carrier_once_with_status_callback(
    customer, sender, fake_twilio, daytime
):
    message = _send(customer)

    assert message.status == Message.Status.QUEUED
    assert queued_task_names() == ["conversations.tasks.deliver_message"]
    run_queued_tasks()

    [received] = fake_twilio.messages
    form = received["form"]
    assert form["To"] == "+12125550150"
    assert form["From"] == sender.phone_number
    assert form["Body"] == "Your table is ready"
    callback = urlsplit(form["StatusCallback"])
    assert callback.path == "/webhooks/twilio/status"
    assert parse_qs(callback.query) == {"m": [str(message.pk)]}
    message.refresh_from_db()
    assert message.status == Message.Status.ACCEPTED
    assert message.twilio_sid == received["sid"]
    assert (message.encoding, message.segments) == ("GSM-7", 1)


def test_running_the_delivery_task_twice_sends_once(
    customer, sender, fake_twilio, daytime
):
    message = _send(customer)

    first = delivery.deliver_message(message.pk)
    second = delivery.deliver_message(message.pk)

    assert (first, second) == ("accepted", "done")
    assert len(fake_twilio.messages) == 1


def test_lost_task_is_found_again_by_the_claimer(
    customer, sender, fake_twilio, daytime
):
    message = _send(customer)
    drop_queued_tasks()

    # The message's own task is trusted for the claim lease, then replaced.
    assert delivery.claim_due_messages() == 0
    daytime["now"] += datetime.timedelta(seconds=31)
    claimed = delivery.claim_due_messages()
    run_queued_tasks()

    assert claimed == 1
    assert len(fake_twilio.messages) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.ACCEPTED


def test_claimer_leaves_a_claimed_message_alone_until_its_lease_ends(
    customer, sender, fake_twilio, daytime
):
    _send(customer)
    drop_queued_tasks()
    daytime["now"] += datetime.timedelta(seconds=31)

    assert delivery.claim_due_messages() == 1
    assert delivery.claim_due_messages() == 0
    daytime["now"] += datetime.timedelta(minutes=5)
    assert delivery.claim_due_messages() == 1


def test_workspace_without_sender_gets_a_clear_error(customer, daytime):
    with pytest.raises(NoSender, match="Add one under Admin"):
        _send(customer)


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("opted_out", "opted_out"),
        ("no_consent", "no_consent"),
        ("suppressed", "suppressed"),
        ("do_not_contact", "suppressed"),
        ("unreachable", "unreachable"),
    ],
)
def test_gate_blocks_and_records_why(cast, sender, fake_twilio, daytime, setup, reason):
    contact = make_contact(cast.workspace, phone="+12125550160", time_zone="UTC")
    state = RecipientState.objects.create(workspace=cast.workspace, contact=contact)
    if setup != "no_consent":
        state.consent = Consent.OPTED_IN
    if setup == "opted_out":
        state.consent = Consent.OPTED_OUT
    if setup == "unreachable":
        state.unreachable_code = 30006
    state.save()
    if setup == "suppressed":
        Suppression.objects.create(workspace=cast.workspace, phone=contact.phone)
    if setup == "do_not_contact":
        GlobalSuppression.objects.create(phone=contact.phone)

    message = _send(contact)
    run_queued_tasks()

    assert message.status == Message.Status.BLOCKED
    assert message.block_reason == reason
    assert message.status_history[-1]["reason"] == reason
    assert fake_twilio.messages == []


def test_contact_who_texted_first_may_get_replies(cast, sender, fake_twilio, daytime):
    contact = make_contact(cast.workspace, phone="+12125550161", time_zone="UTC")
    RecipientState.objects.create(
        workspace=cast.workspace, contact=contact, last_inbound_at=timezone.now()
    )

    message = _send(contact)

    assert message.status == Message.Status.QUEUED


def test_opt_out_after_queueing_stops_delivery(customer, sender, fake_twilio, daytime):
    message = _send(customer)
    RecipientState.objects.filter(contact=customer).update(consent=Consent.OPTED_OUT)

    run_queued_tasks()

    message.refresh_from_db()
    assert message.status == Message.Status.BLOCKED
    assert message.block_reason == "opted_out"
    assert fake_twilio.messages == []


def test_quiet_hours_defer_to_the_next_local_morning(
    cast, sender, fake_twilio, daytime
):
    contact = make_contact(
        cast.workspace, phone="+12125550162", time_zone="America/New_York"
    )
    opt_in(contact)
    # 03:00 UTC is 22:00 or 23:00 in New York.
    daytime["now"] = daytime["now"].replace(hour=3)

    message = _send(contact)
    run_queued_tasks()

    assert message.status == Message.Status.DEFERRED
    assert message.block_reason == "quiet_hours"
    local = message.next_attempt_at.astimezone(datetime.UTC)
    assert local.hour in (12, 13)  # 08:00 in New York, EST or EDT.
    assert fake_twilio.messages == []

    daytime["now"] = message.next_attempt_at
    delivery.claim_due_messages()
    run_queued_tasks()
    assert len(fake_twilio.messages) == 1


def test_live_reply_is_not_held_by_quiet_hours(cast, sender, fake_twilio, daytime):
    contact = make_contact(
        cast.workspace, phone="+12125550163", time_zone="America/New_York"
    )
    daytime["now"] = daytime["now"].replace(hour=3)
    RecipientState.objects.create(
        workspace=cast.workspace, contact=contact, last_inbound_at=daytime["now"]
    )

    message = _send(contact, purpose=Message.Purpose.CONVERSATION)

    assert message.status == Message.Status.QUEUED


def test_expired_purpose_cancels_instead_of_sending_late(cast, sender, daytime):
    contact = make_contact(
        cast.workspace, phone="+12125550164", time_zone="America/New_York"
    )
    opt_in(contact)
    daytime["now"] = daytime["now"].replace(hour=3)

    message = _send(
        contact,
        purpose=Message.Purpose.NOTIFICATION,
        expires_at=daytime["now"] + datetime.timedelta(hours=2),
    )

    assert message.status == Message.Status.CANCELED
    assert message.block_reason == "expired"


def test_daily_cap_defers_until_the_oldest_send_ages_out(
    customer, sender, fake_twilio, daytime
):
    MessagingSettings.objects.create(
        workspace=customer.workspace, max_messages_per_day=2
    )
    first = _send(customer, "one", purpose=Message.Purpose.NOTIFICATION)
    run_queued_tasks()
    daytime["now"] += datetime.timedelta(hours=1)
    _send(customer, "two", purpose=Message.Purpose.NOTIFICATION)
    run_queued_tasks()

    third = _send(customer, "three", purpose=Message.Purpose.NOTIFICATION)

    first.refresh_from_db()
    assert third.status == Message.Status.DEFERRED
    assert third.block_reason == "daily_cap"
    assert third.next_attempt_at == first.submitted_at + datetime.timedelta(hours=24)


def test_florida_number_gets_at_most_three_texts_a_day(
    cast, sender, fake_twilio, daytime
):
    contact = make_contact(
        cast.workspace, phone="+13055550123", time_zone="America/New_York"
    )
    state = opt_in(contact)
    state.region = "FL"
    state.save()
    daytime["now"] = daytime["now"].replace(hour=15)  # 10:00 or 11:00 in Miami.

    statuses = []
    for n in range(4):
        statuses.append(_send(contact, f"update {n}", purpose="notification").status)
        run_queued_tasks()

    assert statuses == ["queued", "queued", "queued", "deferred"]


def test_idempotency_key_returns_the_first_message(customer, sender, daytime):
    first = _send(customer, idempotency_key="step-42")
    again = _send(customer, "different text", idempotency_key="step-42")

    assert again.pk == first.pk
    assert Message.objects.count() == 1


def test_rate_limited_send_is_retried_with_backoff(
    customer, sender, fake_twilio, daytime
):
    fake_twilio.fail_next(status=429, code=20429, times=2)
    message = _send(customer)

    results = []
    for _ in range(3):
        results += [result for _, result in run_queued_tasks()]
        message.refresh_from_db()
        daytime["now"] = (
            message.next_attempt_at or daytime["now"]
        ) + datetime.timedelta(seconds=1)
        delivery.claim_due_messages()

    assert results == ["retry", "retry", "accepted"]
    assert message.status == Message.Status.ACCEPTED
    assert message.attempts == 3
    assert len(fake_twilio.messages) == 1


def test_permanent_error_fails_without_retry(customer, sender, fake_twilio, daytime):
    fake_twilio.fail_to(customer.phone, status=400, code=21211)
    message = _send(customer)

    run_queued_tasks()

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.error_code == 21211
    assert message.next_attempt_at is None


def test_carrier_opt_out_error_records_an_opt_out(
    customer, sender, fake_twilio, daytime
):
    fake_twilio.fail_to(customer.phone, status=400, code=21610)
    message = _send(customer)

    run_queued_tasks()

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    state = RecipientState.objects.get(contact=customer)
    assert state.consent == Consent.OPTED_OUT
    assert customer.consent_records.get().source == "carrier"
    assert _send(customer, "again").block_reason == "opted_out"


def test_server_error_is_reconciled_before_sending_again(
    customer, sender, fake_twilio, daytime
):
    fake_twilio.fail_next(status=500, code=20500)
    message = _send(customer)

    first = run_queued_tasks()
    message.refresh_from_db()
    daytime["now"] = message.next_attempt_at + datetime.timedelta(seconds=1)
    delivery.claim_due_messages()
    second = run_queued_tasks()

    assert [r for _, r in first] == ["retry_after_reconcile"]
    assert [r for _, r in second] == ["accepted"]
    assert len(fake_twilio.messages) == 1


def test_worker_lost_after_carrier_accepted_is_reconciled_not_resent(
    customer, sender, fake_twilio, daytime
):
    """The carrier has the message but the worker died before recording it."""
    from integrations.twilio import client as carrier

    message = _send(customer)
    drop_queued_tasks()
    started = daytime["now"]
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SUBMITTING,
        attempts=1,
        attempt_started_at=started,
        lease_until=started + datetime.timedelta(seconds=35),
    )
    carrier.submit_message(
        sender, to=customer.phone, body=message.body, media_urls=[], status_callback=""
    )

    assert delivery.deliver_message(message.pk) == "in_flight"
    daytime["now"] += datetime.timedelta(minutes=1)
    delivery.claim_due_messages()
    results = run_queued_tasks()

    assert [r for _, r in results] == ["reconciled"]
    message.refresh_from_db()
    assert message.status == Message.Status.ACCEPTED
    assert message.twilio_sid == fake_twilio.messages[0]["sid"]
    assert len(fake_twilio.messages) == 1


def test_sends_are_paced_to_the_senders_rate(customer, sender, fake_twilio, daytime):
    sender.messages_per_second = 0.1
    sender.save()

    messages = [_send(customer, f"n{n}") for n in range(3)]
    results = [r for _, r in run_queued_tasks()]

    assert results == ["accepted", "paced", "paced"]
    slots = sorted(
        Message.objects.filter(pk__in=[m.pk for m in messages[1:]]).values_list(
            "next_attempt_at", flat=True
        )
    )
    assert slots[1] - slots[0] == datetime.timedelta(seconds=10)


def test_long_body_is_refused_with_the_limit(customer, sender):
    from conversations.sending import InvalidMessage

    with pytest.raises(InvalidMessage, match="at most 1600 characters"):
        _send(customer, "x" * 1601)


def test_every_message_is_on_the_contact_timeline(cast, sender, daytime):
    contact = make_contact(cast.workspace, phone="+12125550165", time_zone="UTC")

    blocked = _send(contact, "hello")

    entry = contact.activities.filter(kind="message").get()
    assert entry.summary == "Text blocked (1 segment)"
    assert entry.data["message_id"] == blocked.pk
    assert entry.data["reason"] == "no_consent"
