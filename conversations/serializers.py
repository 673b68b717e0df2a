"""Shapes of the inbox API: list rows, the conversation panel, action input."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conversations.models import Conversation, Message, Note, Team
from conversations.sending import MAX_BODY_CHARS
from integrations.crm.models import Contact
from thoughtflow.models import Role, User
from workflows.models import Handoff, Run, Step


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username


class TeamBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class InboxMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text="Full name, or the username without one.")
    role = serializers.ChoiceField(choices=Role.choices)
    online = serializers.BooleanField(help_text="Has the inbox open now.")


class InboxTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    members = serializers.ListField(
        child=serializers.IntegerField(), help_text="User ids, ascending."
    )


class InboxPeopleSerializer(serializers.Serializer):
    me = serializers.IntegerField(
        allow_null=True, help_text="The signed-in user's id; null for an API key."
    )
    round_robin = serializers.BooleanField(
        help_text="Whether flagged conversations go to the people online in turn."
    )
    members = InboxMemberSerializer(many=True, help_text="Sorted by name.")
    teams = InboxTeamSerializer(many=True, help_text="Sorted by name.")


class ContactBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="full_name", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "name", "phone"]


class LastMessageSerializer(serializers.Serializer):
    body = serializers.CharField()
    direction = serializers.ChoiceField(choices=Message.Direction.choices)
    author = serializers.ChoiceField(choices=Message.Author.choices)
    # The person who wrote it, for a text sent from the inbox.
    author_user_id = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField()


class InboxRowSerializer(serializers.ModelSerializer):
    contact = ContactBriefSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    last_message = serializers.SerializerMethodField()
    waiting_since = serializers.DateTimeField(read_only=True, allow_null=True)
    unread_count = serializers.IntegerField(source="unread", read_only=True)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "contact",
            "state",
            "assignee",
            "team",
            "needs_attention",
            "last_message",
            "waiting_since",
            "unread_count",
            "snoozed_until",
        ]

    @extend_schema_field(LastMessageSerializer(allow_null=True))
    def get_last_message(self, conversation: Any) -> dict[str, Any] | None:
        if conversation.last_at is None:
            return None
        return {
            "body": conversation.last_body,
            "direction": conversation.last_direction,
            "author": conversation.last_author,
            "author_user_id": conversation.last_author_user_id,
            "at": conversation.last_at,
        }


class ContactPanelSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="full_name", read_only=True)
    tags: Any = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name"
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "first_name",
            "last_name",
            "phone",
            "email",
            "time_zone",
            "custom_fields",
            "tags",
        ]


class HandoffPanelSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(source="note")

    class Meta:
        model = Handoff
        fields = ["id", "reason", "queue", "outcomes", "created_at"]


class StepPathSerializer(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = ["id", "node_id", "kind", "status", "port", "started_at"]


class RunPanelSerializer(serializers.ModelSerializer):
    workflow = serializers.CharField(source="workflow.name")
    current_step = serializers.SerializerMethodField()
    path = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = ["id", "workflow", "status", "result", "current_step", "path"]

    @extend_schema_field(StepPathSerializer(allow_null=True))
    def get_current_step(self, run: Run) -> dict[str, Any] | None:
        steps = _steps(run)
        return StepPathSerializer(steps[-1]).data if steps else None

    @extend_schema_field(StepPathSerializer(many=True))
    def get_path(self, run: Run) -> Any:
        return StepPathSerializer(_steps(run), many=True).data


def _steps(run: Run) -> list[Step]:
    # Prefetched: sorting in Python keeps it to one query.
    return sorted(run.steps.all(), key=lambda step: (step.created_at, step.pk))


class AgentPanelSerializer(serializers.Serializer):
    step_id = serializers.IntegerField()
    status = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField(allow_blank=True)
    outcome_fields = serializers.DictField()


class MessageItemSerializer(serializers.ModelSerializer):
    author_user = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "direction",
            "author",
            "author_user",
            "purpose",
            "body",
            "media",
            "status",
            "block_reason",
            "created_at",
        ]


class NoteSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Note
        fields = ["id", "author", "body", "created_at"]


class ThreadStepSerializer(serializers.Serializer):
    node_id = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    port = serializers.CharField(allow_blank=True)
    workflow = serializers.CharField()
    run_id = serializers.IntegerField()


class ThreadActivitySerializer(serializers.Serializer):
    """Something that happened around the texts; `type` says which fields apply
    (the others are null).

    - `change`: the conversation changed; `change` names how (taken_over,
      assigned, handed_back, resolved, reopened, snoozed, unsnoozed,
      opted_out, agent_started, agent_finished, edited_in_admin), with the
      assignee and snooze end as they were after it.
    - `handoff`: someone or something asked for a person, saying why.
    - `step`: a workflow step about this contact finished.
    """

    type = serializers.ChoiceField(choices=["change", "handoff", "step"])
    change = serializers.CharField(allow_null=True)
    assignee = PersonSerializer(allow_null=True)
    snoozed_until = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_null=True, allow_blank=True)
    step = ThreadStepSerializer(allow_null=True)


class ThreadItemSerializer(serializers.Serializer):
    """A message, a note or an activity; `kind` says which one is filled."""

    kind = serializers.ChoiceField(choices=["message", "note", "activity"])
    at = serializers.DateTimeField()
    message = MessageItemSerializer(required=False)
    note = NoteSerializer(required=False)
    activity = ThreadActivitySerializer(required=False)


# The conversation's own columns in the panel; the view gathers the rest.
PANEL_ROW_FIELDS = (
    "id",
    "state",
    "assignee",
    "team",
    "needs_attention",
    "snoozed_until",
    "last_message_at",
    "created_at",
    "closed_at",
)


class ConversationPanelSerializer(serializers.ModelSerializer):
    contact = ContactPanelSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    handoff = HandoffPanelSerializer(read_only=True, allow_null=True)
    run = RunPanelSerializer(read_only=True, allow_null=True)
    agent = AgentPanelSerializer(read_only=True, allow_null=True)
    thread = ThreadItemSerializer(many=True, read_only=True)

    class Meta:
        model = Conversation
        fields = [*PANEL_ROW_FIELDS, "contact", "handoff", "run", "agent", "thread"]


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_CHARS)


class NoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class AssignSerializer(serializers.Serializer):
    """Either key alone changes only that; both change both at once."""

    user = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The member to assign, or null for nobody. Leave out to keep.",
    )
    team = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The team to give it to, or null for none. Leave out to keep.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data:
            raise serializers.ValidationError(
                "Name a user, a team, or both; null assigns nobody or no team."
            )
        return data


class ResolveInputSerializer(serializers.Serializer):
    outcome = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="One of the open handoff's outcomes; leave out when none waits.",
    )


class SnoozeSerializer(serializers.Serializer):
    until = serializers.DateTimeField()


class ReadSerializer(serializers.Serializer):
    message = serializers.IntegerField()


class ReadStateSerializer(serializers.Serializer):
    last_read_message_id = serializers.IntegerField()
