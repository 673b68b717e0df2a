"""What people do to a conversation in the inbox, over the API."""

import datetime

import pytest
from django.utils import timezone

from conversations.inbound import store_inbound
from conversations.models import Conversation, Event, Message, Note
from tests.conversations.inbox import add_text, make_conversation
from tests.messaging import inbound_form, opt_in
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from workflows.engine.runs import start_run
from workflows.models import Handoff, Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(contact, sender):
    # With `daytime`, noon in UTC is inside the sending window.
    contact.time_zone = "UTC"
    contact.save(update_fields=["time_zone"])
    opt_in(contact)
    conversation = make_conversation(contact, sender, needs_attention=True)
    add_text(conversation, "Can a person help me?")
    return conversation


@pytest.fixture
def act(api, cast, conversation):
    """POST an action on the conversation as the agent."""
    api.force_login(cast.agent)

    def post(action: str, data: dict | None = None):
        return api.post(
            f"/api/inbox/conversations/{conversation.pk}/{action}/",
            data or {},
            format="json",
        )

    return post


def _changes(conversation) -> list[str]:
    return [
        event.payload["change"]
        for event in Event.objects.filter(
            conversation=conversation, kind=Event.Kind.CONVERSATION_UPDATED
        ).order_by("id")
    ]


def test_take_over_gives_the_conversation_to_the_requester(act, cast, conversation):
    first = act("take-over")
    again = act("take-over")

    conversation.refresh_from_db()
    assert first.status_code == 200
    assert first.json()["state"] == "human_active"
    assert first.json()["assignee"]["username"] == "agnes"
    assert again.status_code == 200
    assert (conversation.state, conversation.assignee) == ("human_active", cast.agent)
    assert _changes(conversation) == ["taken_over"], "a repeat records nothing"


def test_take_over_keeps_an_existing_assignee(act, cast, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(assignee=cast.admin)

    response = act("take-over")

    assert response.json()["assignee"]["username"] == "ada"


def test_a_reply_goes_out_as_the_person_and_takes_over(
    act, cast, conversation, daytime
):
    response = act("reply", {"body": "Hi, this is Agnes. How can I help?"})

    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["id"])
    assert (message.author, message.author_user) == ("user", cast.agent)
    assert (message.status, message.block_reason) == (Message.Status.QUEUED, "")
    assert message.conversation_id == conversation.pk
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.HUMAN_ACTIVE
    assert Event.objects.filter(
        kind=Event.Kind.MESSAGE_CREATED, payload__message__id=message.pk
    ).exists()


def test_a_blocked_reply_says_why_and_stays_in_the_thread(
    act, api, contact, conversation, daytime
):
    from conversations.consent import lock_recipient_state, record_opt_out
    from conversations.models import ConsentRecord

    record_opt_out(
        lock_recipient_state(contact),
        source=ConsentRecord.Source.KEYWORD,
        evidence="STOP",
    )

    response = act("reply", {"body": "Are you still there?"})

    assert response.status_code == 422
    assert response.json() == {
        "code": "reply_blocked",
        "detail": "Your reply was not sent: The contact has opted out of texts "
        "from this workspace.",
    }
    thread = api.get(f"/api/inbox/conversations/{conversation.pk}/").json()["thread"]
    assert thread[-1]["message"]["status"] == "blocked"
    assert thread[-1]["message"]["block_reason"] == "opted_out"


def test_an_empty_reply_is_refused(act):
    response = act("reply", {"body": " "})

    assert response.status_code == 400
    assert not Message.objects.filter(direction="outbound").exists()


def test_a_note_is_kept_private(act, cast, conversation):
    response = act("note", {"body": "Called them, no answer"})

    assert response.status_code == 201
    assert response.json()["author"]["username"] == "agnes"
    note = Note.objects.get()
    assert (note.conversation, note.body) == (conversation, "Called them, no answer")
    assert not Message.objects.filter(direction="outbound").exists()
    event = Event.objects.get(kind=Event.Kind.NOTE_CREATED)
    assert event.payload["note"]["body"] == "Called them, no answer"


def test_assign_to_a_member_and_back_to_nobody(act, cast, conversation):
    assigned = act("assign", {"user": cast.operator.pk})
    unassigned = act("assign", {"user": None})

    assert assigned.json()["assignee"]["username"] == "otto"
    assert unassigned.json()["assignee"] is None
    assert _changes(conversation) == ["assigned", "assigned"]


def test_assign_refuses_someone_outside_the_workspace(act, cast, conversation):
    response = act("assign", {"user": cast.outsider.pk})

    assert response.status_code == 400
    assert response.json()["code"] == "not_a_member"
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_snooze_hides_until_the_contact_texts_again(
    act, api, cast, contact, sender, conversation
):
    until = timezone.now() + datetime.timedelta(hours=3)

    past = act("snooze", {"until": "2020-01-01T00:00:00Z"})
    snoozed = act("snooze", {"until": until.isoformat()})
    listed = api.get("/api/inbox/conversations/", {"view": "snoozed"}).json()
    store_inbound(
        workspace_id=cast.workspace.pk,
        sender_id=sender.pk,
        form=inbound_form(sender, contact.phone, "Any news?"),
    )
    run_queued_tasks()

    assert past.status_code == 400
    assert (
        past.json()["detail"] == "A snooze must end in the future. Pick a later time."
    )
    assert snoozed.json()["snoozed_until"] is not None
    assert [row["id"] for row in listed["results"]] == [conversation.pk]
    conversation.refresh_from_db()
    assert conversation.snoozed_until is None
    assert _changes(conversation) == ["snoozed", "unsnoozed"]


@pytest.fixture
def handoff_run(cast, contact, conversation):
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node("human", "human_handoff", outcomes=["booked", "lost"]),
            node("won", "end", result="booked"),
            node("gone", "end", result="lost"),
        ],
        [
            edge("start", "next", "human"),
            edge("human", "booked", "won"),
            edge("human", "lost", "gone"),
        ],
    )
    run = start_run(workflow, contact, {})
    run_queued_tasks()
    return run


def test_resolve_refuses_an_outcome_the_handoff_lacks(act, handoff_run, conversation):
    response = act("resolve", {"outcome": "maybe"})

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "'maybe' is not an outcome of this handoff. Choose one of: booked, lost."
    )
    conversation.refresh_from_db()
    assert conversation.state != Conversation.State.CLOSED


def test_resolve_continues_the_run_on_the_outcome(act, cast, handoff_run, conversation):
    response = act("resolve", {"outcome": "booked"})
    run_queued_tasks()
    again = act("resolve", {"outcome": "booked"})

    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["needs_attention"]) == (
        "closed",
        False,
    )
    handoff = Handoff.objects.get()
    assert (handoff.status, handoff.outcome, handoff.resolved_by) == (
        "resolved",
        "booked",
        cast.agent,
    )
    handoff_run.refresh_from_db()
    assert (handoff_run.status, handoff_run.result) == (Run.Status.COMPLETED, "booked")
    assert again.status_code == 200
    assert _changes(conversation)[-1] == "resolved"
    assert _changes(conversation).count("resolved") == 1


def test_resolve_without_a_handoff_closes_the_conversation(act, conversation):
    with_outcome = act("resolve", {"outcome": "booked"})
    plain = act("resolve")

    assert with_outcome.status_code == 400
    assert with_outcome.json()["code"] == "no_open_handoff"
    assert plain.json()["state"] == "closed"


def test_a_resolved_conversation_takes_no_reply(act, conversation, daytime):
    act("resolve")

    response = act("reply", {"body": "One more thing"})

    assert response.status_code == 409
    assert response.json()["code"] == "conversation_closed"


def test_hand_back_without_an_agent_leaves_it_waiting(act, conversation):
    act("take-over")

    response = act("hand-back")

    assert response.json()["state"] == "waiting"
    assert response.json()["needs_attention"] is True
    assert _changes(conversation) == ["taken_over", "handed_back"]
