"""A person takes a conversation from the SMS agent and hands it back."""

import pytest

from conversations import inbox
from conversations.models import Conversation, Message
from tests.workflows.agent.flows import agent_workflow
from workflows.engine.runs import start_run
from workflows.models import AgentTurn, Step

pytestmark = pytest.mark.django_db


def _agent_texts(contact) -> list[str]:
    return list(
        Message.objects.filter(contact=contact, author=Message.Author.AGENT)
        .order_by("id")
        .values_list("body", flat=True)
    )


@pytest.fixture
def started(cast, customer, clock, settle):
    run = start_run(agent_workflow(cast.workspace), customer, {"form": {}})
    settle()
    return run


def _conversation(customer) -> Conversation:
    return Conversation.objects.get(contact=customer)


def test_after_a_take_over_the_agent_keeps_quiet(
    cast, customer, started, script, text_in
):
    inbox.take_over(_conversation(customer), cast.agent)

    text_in(customer, "Can I talk to a person?")

    assert script.seen == [], "the model is not even asked"
    assert len(_agent_texts(customer)) == 1, "only the opening"
    assert started.steps.get(node_id="ask").status == Step.Status.WAITING


def test_a_take_over_while_the_model_thinks_holds_its_reply(
    cast, customer, started, script, text_in
):
    script.say("Sure, see you tomorrow!")
    script.during_call = lambda: inbox.take_over(_conversation(customer), cast.agent)

    text_in(customer, "Yes, but who is this?")

    assert len(script.seen) == 1
    assert "Sure, see you tomorrow!" not in _agent_texts(customer)
    turn = AgentTurn.objects.get()
    assert (turn.status, turn.reply) == (AgentTurn.Status.SUPERSEDED, None)
    step = started.steps.get(node_id="ask")
    assert step.status == Step.Status.WAITING
    assert step.lease_until is None
    assert _conversation(customer).state == Conversation.State.HUMAN_ACTIVE


def test_after_a_hand_back_the_agent_answers_knowing_what_the_person_said(
    cast, customer, started, script, text_in
):
    conversation = _conversation(customer)
    inbox.take_over(conversation, cast.agent)
    text_in(customer, "Is parking free?")
    inbox.reply(conversation, cast.agent, "Yes, behind the building.")

    handed = inbox.hand_back(conversation)
    script.say("Great, see you at 10am!")
    text_in(customer, "Thanks, and yes I'll come")

    assert handed.state == Conversation.State.AI_ACTIVE
    assert handed.needs_attention is False
    history = script.seen[0]["messages"][1:]
    assert {"role": "assistant", "content": "Yes, behind the building."} in history
    assert history[-1] == {"role": "user", "content": "Thanks, and yes I'll come"}
    assert _agent_texts(customer)[-1] == "Great, see you at 10am!"


def test_after_a_hand_back_the_agent_answers_a_text_left_unanswered(
    cast, customer, started, script, text_in, settle, django_capture_on_commit_callbacks
):
    conversation = _conversation(customer)
    inbox.take_over(conversation, cast.agent)
    text_in(customer, "Is parking free?")
    script.say("Yes, free parking behind the building.")

    with django_capture_on_commit_callbacks(execute=True):
        inbox.hand_back(conversation)
    settle()

    assert script.seen[0]["messages"][-1] == {
        "role": "user",
        "content": "Is parking free?",
    }
    assert _agent_texts(customer)[-1] == "Yes, free parking behind the building."


def test_a_hand_back_with_everything_answered_waits_for_the_next_text(
    cast, customer, started, script, text_in, settle, django_capture_on_commit_callbacks
):
    conversation = _conversation(customer)
    inbox.take_over(conversation, cast.agent)
    text_in(customer, "Is parking free?")
    inbox.reply(conversation, cast.agent, "Yes, behind the building.")

    with django_capture_on_commit_callbacks(execute=True):
        inbox.hand_back(conversation)
    settle()

    assert script.seen == [], "the person answered: nothing for the agent to do"
