"""The inbox's conversation list and conversation view over the API."""

import datetime

import pytest
from django.utils import timezone

from conversations import inbox
from conversations.models import Conversation, Message, Note, ReadState
from integrations.crm.models import Tag
from tests.conversations.inbox import add_text, make_conversation
from tests.factories import make_contact, make_user
from tests.messaging import make_local_sender
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from workflows.engine.runs import start_run

pytestmark = pytest.mark.django_db

LIST = "/api/inbox/conversations/"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def line(cast):
    return make_local_sender(cast.workspace)


@pytest.fixture
def board(cast, line):
    """One conversation for each corner of the inbox."""
    later = timezone.now() + datetime.timedelta(hours=2)

    def open_with(name: str, phone: str, **fields):
        contact = make_contact(cast.workspace, first_name=name, phone=phone)
        conversation = make_conversation(contact, line, **fields)
        add_text(conversation, f"Hello from {name}")
        return conversation

    return {
        "flagged": open_with("Fay", "+12125550111", needs_attention=True),
        "mine": open_with(
            "Mia",
            "+12125550112",
            state=Conversation.State.HUMAN_ACTIVE,
            assignee=cast.agent,
        ),
        "theirs": open_with("Ted", "+12125550113", assignee=cast.admin),
        "quiet": open_with("Sam", "+12125550114", snoozed_until=later),
        "done": open_with("Rex", "+12125550115", state=Conversation.State.CLOSED),
    }


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("needs_human", ["flagged"]),
        ("mine", ["mine"]),
        ("unassigned", ["flagged"]),
        ("open", ["flagged", "mine", "theirs"]),
        ("snoozed", ["quiet"]),
        ("resolved", ["done"]),
    ],
)
def test_each_view_lists_its_conversations(api, cast, board, view, expected):
    api.force_login(cast.agent)

    response = api.get(LIST, {"view": view})

    assert sorted(_ids(response)) == sorted(board[name].pk for name in expected)


def test_an_unknown_view_is_refused_with_the_choices(api, cast):
    api.force_login(cast.agent)

    response = api.get(LIST, {"view": "everything"})

    assert response.status_code == 400
    assert "needs_human, mine, unassigned, open, snoozed, resolved" in str(
        response.json()["fields"]["view"]
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [("fay", "flagged"), ("555-0113", "theirs"), ("from Mia", "mine")],
)
def test_search_finds_name_number_and_text(api, cast, board, q, expected):
    api.force_login(cast.agent)

    response = api.get(LIST, {"view": "open", "q": q})

    assert _ids(response) == [board[expected].pk]


def test_search_finds_a_note(api, cast, board):
    inbox.add_note(board["theirs"], cast.admin, "Wants the blue one")
    api.force_login(cast.agent)

    response = api.get(LIST, {"q": "blue one"})

    assert _ids(response) == [board["theirs"].pk]


def test_a_row_shows_last_message_waiting_time_and_unread(api, cast, contact, line):
    conversation = make_conversation(contact, line, assignee=cast.agent)
    first = add_text(conversation, "Hi", ago_s=600)
    add_text(conversation, "Anyone?", ago_s=500)
    add_text(conversation, "Here!", inbound=False, ago_s=400)
    waiting = add_text(conversation, "Thanks. One more thing", ago_s=300)
    add_text(
        conversation,
        "Not sent",
        inbound=False,
        author=Message.Author.USER,
        author_user=cast.operator,
        status=Message.Status.BLOCKED,
        ago_s=200,
    )
    inbox.mark_read(conversation, cast.agent, first.pk)
    api.force_login(cast.agent)

    row = api.get(LIST).json()["results"][0]

    assert row["contact"] == {"id": contact.pk, "name": "Maya", "phone": contact.phone}
    assert row["assignee"]["username"] == "agnes"
    assert row["last_message"]["body"] == "Not sent"
    assert row["last_message"]["direction"] == "outbound"
    assert row["last_message"]["author"] == "user"
    assert row["last_message"]["author_user_id"] == cast.operator.pk
    assert row["waiting_since"] == waiting.created_at.isoformat().replace("+00:00", "Z")
    assert row["unread_count"] == 2, "two texts from the contact after the first"
    assert row["snoozed_until"] is None


def test_unread_counts_belong_to_each_person(api, cast, contact, line):
    conversation = make_conversation(contact, line)
    text = add_text(conversation, "Hi")
    inbox.mark_read(conversation, cast.agent, text.pk)

    api.force_login(cast.admin)
    unread_for_admin = api.get(LIST).json()["results"][0]["unread_count"]
    api.force_login(cast.agent)
    unread_for_agent = api.get(LIST).json()["results"][0]["unread_count"]

    assert (unread_for_admin, unread_for_agent) == (1, 0)


def test_the_list_costs_the_same_queries_for_more_rows(
    api, cast, line, django_assert_max_num_queries
):
    def add_rows(count: int) -> None:
        for _ in range(count):
            conversation = make_conversation(make_contact(cast.workspace), line)
            add_text(conversation, "Hi")
            add_text(conversation, "Hello", inbound=False)

    api.force_login(cast.agent)
    add_rows(2)
    api.get(LIST)  # Warm the session and workspace lookups.
    with django_assert_max_num_queries(100) as few:
        assert len(_ids(api.get(LIST))) == 2
    add_rows(8)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_ids(api.get(LIST))) == 10


def test_another_workspaces_conversations_are_invisible(
    api, cast, board, foreign_contact
):
    foreign = make_conversation(foreign_contact, make_local_sender(cast.other))
    api.force_login(cast.outsider)

    listed = api.get(LIST, {"view": "open"})
    detail = api.get(f"{LIST}{board['flagged'].pk}/")
    action = api.post(f"{LIST}{board['flagged'].pk}/take-over/")

    assert _ids(listed) == [foreign.pk]
    assert detail.status_code == 404
    assert action.status_code == 404
    assert Conversation.objects.get(pk=board["flagged"].pk).state == "waiting"


def test_strangers_are_refused(api, board):
    anonymous = api.get(LIST)
    api.force_login(make_user("nobody"))
    no_workspace = api.post(f"{LIST}{board['flagged'].pk}/note/", {"body": "x"})

    assert anonymous.status_code == 401
    assert no_workspace.status_code == 403
    assert not Note.objects.exists()


def test_the_lowest_role_reads_and_acts(api, cast, board):
    api.force_login(cast.agent)

    listed = api.get(LIST)
    acted = api.post(f"{LIST}{board['flagged'].pk}/note/", {"body": "On it"})

    assert listed.status_code == 200
    assert acted.status_code == 201


def test_the_conversation_view_shows_panel_and_thread(api, cast, line, clock):
    tag = Tag.objects.create(workspace=cast.workspace, name="vip")
    contact = make_contact(
        cast.workspace,
        first_name="Maya",
        last_name="Lopez",
        phone="+12125550160",
        custom_fields={"plan": "gold"},
    )
    contact.tags.add(tag)
    conversation = make_conversation(contact, line, needs_attention=True)
    add_text(conversation, "Can someone call me?", ago_s=60)
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node("human", "human_handoff", note="Call back", outcomes=["booked"]),
            node("won", "end", result="booked"),
        ],
        [edge("start", "next", "human"), edge("human", "booked", "won")],
    )
    run = start_run(workflow, contact, {})
    run_queued_tasks()
    inbox.add_note(conversation, cast.admin, "Prefers mornings")
    api.force_login(cast.agent)

    panel = api.get(f"{LIST}{conversation.pk}/").json()

    assert panel["contact"]["name"] == "Maya Lopez"
    assert panel["contact"]["custom_fields"] == {"plan": "gold"}
    assert panel["contact"]["tags"] == ["vip"]
    assert panel["handoff"]["reason"] == "Call back"
    assert panel["handoff"]["outcomes"] == ["booked"]
    assert panel["run"]["id"] == run.pk
    assert panel["run"]["status"] == "waiting"
    assert panel["run"]["current_step"]["node_id"] == "human"
    assert [step["node_id"] for step in panel["run"]["path"]] == ["start", "human"]
    assert panel["agent"] is None
    thread = panel["thread"]
    assert [item["kind"] for item in thread] == ["message", "activity", "note"]
    assert thread[0]["message"]["body"] == "Can someone call me?"
    assert thread[0]["message"]["author"] == "contact"
    assert thread[1]["activity"]["type"] == "handoff"
    assert thread[1]["activity"]["reason"] == "Call back"
    assert thread[2]["note"]["body"] == "Prefers mornings"
    assert thread[2]["note"]["author"]["username"] == "ada"


def test_the_thread_shows_what_happened_around_the_texts(
    api, cast, contact, line, clock
):
    conversation = make_conversation(contact, line)
    add_text(conversation, "Can a person help?")
    workflow = make_workflow(
        cast.workspace,
        [
            webhook_trigger(),
            node("tag", "crm_update", add_tags=["asked"]),
            node("human", "human_handoff", note="Wants a person", outcomes=["done"]),
            node("bye", "end", result="done"),
        ],
        [
            edge("start", "next", "tag"),
            edge("tag", "next", "human"),
            edge("human", "done", "bye"),
        ],
    )
    start_run(workflow, contact, {})
    run_queued_tasks()
    clock["now"] += datetime.timedelta(seconds=1)
    inbox.take_over(conversation, cast.agent)
    clock["now"] += datetime.timedelta(seconds=1)
    inbox.hand_back(conversation)
    api.force_login(cast.agent)

    thread = api.get(f"{LIST}{conversation.pk}/").json()["thread"]

    activity = [item["activity"] for item in thread if item["kind"] == "activity"]
    assert activity[0]["type"] == "step"
    assert activity[0]["step"]["node_id"] == "tag"
    assert activity[0]["step"]["workflow"] == workflow.name
    assert (activity[1]["type"], activity[1]["reason"]) == ("handoff", "Wants a person")
    assert activity[2]["change"] == "taken_over"
    assert activity[2]["assignee"]["username"] == cast.agent.username
    assert activity[3]["change"] == "handed_back"
    assert len(activity) == 4


@pytest.fixture
def clock(monkeypatch):
    # Notes and texts are ordered by time; a fixed clock keeps them apart.
    state = {"now": timezone.now()}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


def test_read_marks_never_move_back(api, cast, contact, line):
    conversation = make_conversation(contact, line)
    first = add_text(conversation, "One")
    second = add_text(conversation, "Two")
    api.force_login(cast.agent)

    forward = api.post(f"{LIST}{conversation.pk}/read/", {"message": second.pk})
    back = api.post(f"{LIST}{conversation.pk}/read/", {"message": first.pk})

    assert forward.json() == {"last_read_message_id": second.pk}
    assert back.json() == {"last_read_message_id": second.pk}
    assert ReadState.objects.get().last_read_message_id == second.pk


def test_a_read_mark_must_point_into_the_conversation(api, cast, contact, line):
    conversation = make_conversation(contact, line)
    elsewhere = add_text(
        make_conversation(make_contact(cast.workspace), line), "Other thread"
    )
    api.force_login(cast.agent)

    response = api.post(f"{LIST}{conversation.pk}/read/", {"message": elsewhere.pk})

    assert response.status_code == 400
    assert response.json()["detail"] == "That message is not part of this conversation."
    assert not Note.objects.exists()


def test_the_conversation_view_costs_the_same_queries_for_a_longer_thread(
    api, cast, contact, line, django_assert_max_num_queries
):
    conversation = make_conversation(contact, line)
    add_text(conversation, "Hi")
    inbox.add_note(conversation, cast.admin, "First note")
    url = f"{LIST}{conversation.pk}/"
    api.force_login(cast.agent)
    api.get(url)
    with django_assert_max_num_queries(100) as few:
        assert len(api.get(url).json()["thread"]) == 2
    for n in range(5):
        add_text(conversation, f"Text {n}", inbound=n % 2 == 0)
        inbox.add_note(conversation, cast.operator, f"Note {n}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(url).json()["thread"]) == 12
