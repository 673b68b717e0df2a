"""Property: whatever the interleaving, nothing reaches an opted-out contact.

Hypothesis drives random sequences of inbound texts (keywords, plain
language, chatter), sends, task runs in any order, repeated and lost tasks,
workers crashing before or after the carrier accepted, and the clock moving
on. A stub carrier checks, at the moment each message reaches it, that the
recipient was not opted out (the one opt-out confirmation aside), and that
no message reaches it twice. After draining, no message may be left stuck.
"""

import contextlib
import datetime
import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import OrmQ
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations import delivery
from conversations.inbound import store_inbound
from conversations.models import Consent, Message, RecipientState
from conversations.sending import send_sms
from integrations.crm.models import Contact
from integrations.twilio import client as carrier
from integrations.twilio.results import Submission
from tests.messaging import inbound_form
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db

INBOUND_TEXTS = {
    "stop": "STOP",
    "opt_out_phrase": "please stop texting me",
    "start": "START",
    "yes": "YES",
    "help": "HELP",
    "chatter": "sounds good, see you at 3",
    "hard_negative": "I'll stop by the front desk",
}

operations = st.one_of(
    st.tuples(st.just("inbound"), st.sampled_from(sorted(INBOUND_TEXTS))),
    st.tuples(st.just("send"), st.sampled_from(["conversation", "notification"])),
    st.tuples(st.just("run_task"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("lose_task"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("repeat_task"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("crash"), st.sampled_from(["before_carrier", "after_carrier"])),
    st.tuples(st.just("wait"), st.sampled_from([1, 10, 120, 3600])),
    st.tuples(st.just("claim"), st.just(0)),
)


class Crashed(Exception):
    """Stands for a worker killed during the carrier call."""


class StubCarrier:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.violations: list[str] = []
        self.crash: str | None = None

    def submit(self, sender, *, to, body, media_urls, status_callback) -> Submission:
        if self.crash == "before_carrier":
            self.crash = None
            raise Crashed()
        message_id = int(parse_qs(urlsplit(status_callback).query)["m"][0])
        message = Message.objects.get(pk=message_id)
        state = RecipientState.objects.get(contact_id=message.contact_id)
        if (
            state.consent == Consent.OPTED_OUT
            and message.purpose != Message.Purpose.OPT_OUT_CONFIRMATION
        ):
            self.violations.append(f"message {message_id} reached an opted-out contact")
        if any(item["message_id"] == message_id for item in self.received):
            self.violations.append(f"message {message_id} reached the carrier twice")
        sid = f"SM{next(_sids):032d}"
        self.received.append(
            {
                "message_id": message_id,
                "sid": sid,
                "to": to,
                "body": body,
                "at": timezone.now(),
            }
        )
        if self.crash == "after_carrier":
            self.crash = None
            raise Crashed()
        return Submission(sid=sid, status="queued")

    def find(self, sender, *, to, body, since, exclude_sids) -> Submission | None:
        for item in self.received:
            if (
                item["to"] == to
                and item["body"] == body
                and item["sid"] not in exclude_sids
            ):
                return Submission(sid=item["sid"], status="queued")
        return None


_phones = itertools.count(1000)
_sids = itertools.count(1)
_bodies = itertools.count(1)


@pytest.fixture
def world(cast, sender, monkeypatch):
    stub = StubCarrier()
    monkeypatch.setattr(carrier, "submit_message", stub.submit)
    monkeypatch.setattr(carrier, "find_submitted", stub.find)
    clock = {"now": timezone.now().replace(hour=15, minute=0)}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    return {"cast": cast, "sender": sender, "stub": stub, "clock": clock}


def _run_task(index: int) -> None:
    rows = list(OrmQ.objects.order_by("pk"))
    if not rows:
        return
    row = rows[index % len(rows)]
    OrmQ.objects.filter(pk=row.pk).delete()
    task = row.task
    # A crash kills the worker; whatever it committed before stays.
    with contextlib.suppress(Crashed):
        import_string(task["func"])(*task["args"])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=30))
def test_no_message_reaches_an_opted_out_contact(world, steps):
    stub, clock, sender = world["stub"], world["clock"], world["sender"]
    workspace = world["cast"].workspace
    stub.received.clear()
    stub.violations.clear()
    # Each example starts at 15:00 UTC on a later day than the last.
    clock["now"] = (clock["now"] + datetime.timedelta(days=2)).replace(
        hour=15, minute=0
    )
    OrmQ.objects.all().delete()
    phone = f"+1212555{next(_phones) % 10000:04d}"
    contact = Contact.objects.create(workspace=workspace, phone=phone, time_zone="UTC")

    for action, argument in steps:
        if action == "inbound":
            store_inbound(
                workspace_id=workspace.pk,
                sender_id=sender.pk,
                form=inbound_form(sender, phone, INBOUND_TEXTS[argument]),
            )
        elif action == "send":
            # Each body is distinct: two identical texts to one number can
            # only be told apart by their status callbacks, which this stub
            # carrier does not send, so a log search could swap them.
            send_sms(
                contact=contact,
                body=f"update {next(_bodies)} at {clock['now']}",
                author="workflow",
                purpose=argument,
            )
        elif action == "run_task":
            _run_task(argument)
        elif action == "lose_task":
            rows = list(OrmQ.objects.order_by("pk"))
            if rows:
                rows[argument % len(rows)].delete()
        elif action == "repeat_task":
            rows = list(OrmQ.objects.order_by("pk"))
            if rows:
                OrmQ.objects.create(
                    key=rows[0].key,
                    payload=rows[argument % len(rows)].payload,
                    lock=rows[0].lock,
                )
        elif action == "crash":
            stub.crash = argument
            _run_task(0)
            stub.crash = None
        elif action == "wait":
            clock["now"] += datetime.timedelta(seconds=argument)
        elif action == "claim":
            delivery.claim_due_messages()

    # Drain: move the clock past each lease and deferral, then run everything.
    pending = Message.objects.filter(
        contact=contact,
        status__in=[
            Message.Status.QUEUED,
            Message.Status.SUBMITTING,
            Message.Status.DEFERRED,
        ],
    )
    for _ in range(10):
        due = max(pending.values_list("next_attempt_at", flat=True), default=None)
        clock["now"] = max(clock["now"], due or clock["now"]) + datetime.timedelta(
            hours=1
        )
        delivery.claim_due_messages()
        run_queued_tasks()

    assert stub.violations == []
    assert [(m.pk, m.status, m.status_history) for m in pending] == []
