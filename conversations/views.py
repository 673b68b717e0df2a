from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from conversations import assignment, inbox, listing
from conversations.encoding import count_segments
from conversations.models import Conversation, Team
from conversations.serializers import (
    PANEL_ROW_FIELDS,
    AssignSerializer,
    ConversationPanelSerializer,
    InboxPeopleSerializer,
    InboxRowSerializer,
    MessageItemSerializer,
    NoteInputSerializer,
    NoteSerializer,
    ReadSerializer,
    ReadStateSerializer,
    ReplySerializer,
    ResolveInputSerializer,
    SnoozeSerializer,
)
from integrations.crm.models import Contact
from thoughtflow.api.permissions import api_actor, workspace_context
from thoughtflow.api.scoping import WorkspaceScopedViewSet
from thoughtflow.models import Role, User
from workflows.models import Run


class SegmentRequestSerializer(serializers.Serializer):
    text = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=1600
    )


@extend_schema(
    request=SegmentRequestSerializer,
    responses=inline_serializer(
        "SegmentInfo",
        {
            "encoding": serializers.ChoiceField(choices=["GSM-7", "UCS-2"]),
            "segments": serializers.IntegerField(),
            "units": serializers.IntegerField(),
            "per_segment": serializers.IntegerField(),
            "remaining": serializers.IntegerField(),
            "non_gsm_characters": serializers.ListField(child=serializers.CharField()),
        },
    ),
)
@api_view(["POST"])
def segments(request: Request) -> Response:
    """How a text would be encoded and how many SMS segments it takes."""
    incoming = SegmentRequestSerializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    return Response(count_segments(incoming.validated_data["text"]).to_dict())


@extend_schema(responses=InboxPeopleSerializer)
@api_view(["GET"])
def inbox_people(request: Request) -> Response:
    """Who works the inbox: the workspace's people, who is online, its teams."""
    context = workspace_context(request)
    # IsWorkspaceMember has already refused requests without one.
    assert context is not None
    actor = api_actor(request)
    people = assignment.inbox_people(context.workspace_id)
    data = {"me": actor.pk if actor else None, **people}
    return Response(InboxPeopleSerializer(data).data)


class InboxConversationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet
):
    """The inbox: conversations by view, one conversation's panel, and actions.

    Every member (agent and up) may read and act; see conversations/inbox.py
    for what each action does.
    """

    model = Conversation
    write_role = Role.AGENT

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return ConversationPanelSerializer
        return InboxRowSerializer

    def scope(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list":
            return queryset.select_related("assignee", "team")
        params = self.request.query_params
        view = params.get("view") or "open"
        if view not in listing.VIEWS:
            raise ValidationError(
                {"view": [f"Use one of: {', '.join(listing.VIEWS)}."]}
            )
        return listing.inbox_rows(
            queryset,
            api_actor(self.request),
            view,
            params.get("q", ""),
            team_id=_id_param(params, "team"),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "view",
                str,
                enum=listing.VIEWS,
                description="Which conversations to list; open by default.",
            ),
            OpenApiParameter(
                "q", str, description="A name, phone number or text to search for."
            ),
            OpenApiParameter(
                "team", int, description="Only the conversations of this team."
            ),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        conversation = self.get_object()
        return Response(ConversationPanelSerializer(_panel(conversation)).data)

    def _act(self, serializer_class: Any = None) -> tuple[Conversation, dict]:
        conversation = self.get_object()
        if serializer_class is None:
            return conversation, {}
        incoming = serializer_class(data=self.request.data)
        incoming.is_valid(raise_exception=True)
        return conversation, incoming.validated_data

    def _row(self, conversation: Conversation) -> Response:
        row = listing.annotate_rows(
            Conversation.objects.filter(pk=conversation.pk), api_actor(self.request)
        ).get()
        return Response(InboxRowSerializer(row).data)

    @extend_schema(request=None, responses=InboxRowSerializer)
    @action(detail=True, methods=["post"], url_path="take-over")
    def take_over(self, request: Request, pk: str) -> Response:
        conversation, _ = self._act()
        return self._row(inbox.take_over(conversation, api_actor(request)))

    @extend_schema(request=ReplySerializer, responses={201: MessageItemSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        conversation, data = self._act(ReplySerializer)
        message = inbox.reply(conversation, api_actor(request), data["body"])
        return Response(MessageItemSerializer(message).data, status=201)

    @extend_schema(request=NoteInputSerializer, responses={201: NoteSerializer})
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: str) -> Response:
        conversation, data = self._act(NoteInputSerializer)
        note = inbox.add_note(conversation, api_actor(request), data["body"])
        return Response(NoteSerializer(note).data, status=201)

    @extend_schema(request=AssignSerializer, responses=InboxRowSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        conversation, data = self._act(AssignSerializer)
        changes: dict[str, Any] = {}
        if "user" in data:
            changes["user"] = _user_or_none(data["user"])
        if "team" in data:
            changes["team"] = self._team_or_none(data["team"])
        return self._row(inbox.assign(conversation, **changes))

    def _team_or_none(self, team_id: int | None) -> Team | None:
        if team_id is None:
            return None
        workspace = self.workspace_context.workspace
        team = Team.objects.for_workspace(workspace).filter(pk=team_id).first()
        if team is None:
            raise inbox.UnknownTeam()
        return team

    @extend_schema(request=None, responses=InboxRowSerializer)
    @action(detail=True, methods=["post"], url_path="hand-back")
    def hand_back(self, request: Request, pk: str) -> Response:
        conversation, _ = self._act()
        return self._row(inbox.hand_back(conversation))

    @extend_schema(request=ResolveInputSerializer, responses=InboxRowSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        conversation, data = self._act(ResolveInputSerializer)
        resolved = inbox.resolve(conversation, data["outcome"], api_actor(request))
        return self._row(resolved)

    @extend_schema(request=SnoozeSerializer, responses=InboxRowSerializer)
    @action(detail=True, methods=["post"])
    def snooze(self, request: Request, pk: str) -> Response:
        conversation, data = self._act(SnoozeSerializer)
        return self._row(inbox.snooze(conversation, data["until"]))

    @extend_schema(request=ReadSerializer, responses=ReadStateSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        conversation, data = self._act(ReadSerializer)
        user = api_actor(request)
        if user is None:
            raise ValidationError(
                {"message": ["Read marks belong to people; an API key has none."]}
            )
        state = inbox.mark_read(conversation, user, data["message"])
        return Response(ReadStateSerializer(state).data)


def _id_param(params: Any, name: str) -> int | None:
    value = params.get(name) or None
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        message = f"Give an id, such as 3; got {value[:40]!r}."
        raise ValidationError({name: [message]}) from None


def _user_or_none(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise inbox.NotAMember()
    return user


def _panel(conversation: Conversation) -> dict[str, Any]:
    """Everything the conversation view shows beside and in the thread."""
    contact = Contact.objects.prefetch_related("tags").get(pk=conversation.contact_id)
    run = listing.latest_run(conversation)
    return {
        **{field: getattr(conversation, field) for field in PANEL_ROW_FIELDS},
        "contact": contact,
        "handoff": inbox.open_handoff(conversation),
        "run": run,
        "agent": _agent_summary(run),
        "thread": listing.thread(conversation),
    }


def _agent_summary(run: Run | None) -> dict[str, Any] | None:
    """The run's latest SMS agent step: its summary and captured outcome."""
    if run is None:
        return None
    steps = [step for step in run.steps.all() if step.kind == "agent_sms"]
    if not steps:
        return None
    step = max(steps, key=lambda step: (step.created_at, step.pk))
    return {
        "step_id": step.pk,
        "status": step.status,
        "summary": step.output.get("summary") or "",
        "outcome": step.output.get("outcome") or step.port or "",
        "outcome_fields": step.output.get("fields") or {},
    }
