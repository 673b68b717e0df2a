from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from integrations.crm import services
from integrations.crm.imports import import_contacts
from integrations.crm.models import Activity, Contact, Deal
from integrations.crm.serializers import (
    ActivitySerializer,
    ContactSerializer,
    DealSerializer,
    ImportReportSerializer,
    ImportRequestSerializer,
    NoteSerializer,
)
from thoughtflow.api.parsers import CsvParser
from thoughtflow.api.permissions import api_actor
from thoughtflow.api.scoping import WorkspaceScopedModelViewSet
from thoughtflow.errors import InvalidImport


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("tag", str, description="Only contacts with this tag."),
            OpenApiParameter(
                "search", str, description="Part of a name, email or phone number."
            ),
        ]
    )
)
class ContactViewSet(WorkspaceScopedModelViewSet):
    """Contacts of the current workspace."""

    model = Contact
    serializer_class = ContactSerializer

    def scope(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.prefetch_related("tags")
        if tag := self.request.query_params.get("tag"):
            queryset = queryset.filter(tags__name=tag)
        if search := self.request.query_params.get("search", "").strip():
            digits = "".join(ch for ch in search if ch.isdigit())
            match = (
                Q(first_name__icontains=search)
                | Q(last_name__icontains=search)
                | Q(email__icontains=search)
            )
            if digits:
                match |= Q(phone__contains=digits)
            queryset = queryset.filter(match)
        return queryset

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.create_contact(
            self.workspace_context.workspace,
            serializer.validated_data,
            api_actor(self.request),
        )

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.update_contact(
            self.get_object(), serializer.validated_data, api_actor(self.request)
        )

    @extend_schema(responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="activities")
    def activities(self, request: Request, pk: str) -> Response:
        """The contact's timeline, newest first."""
        contact = self.get_object()
        page = self.paginate_queryset(
            contact.activities.select_related("actor").order_by("-created_at", "-id")
        )
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)

    @extend_schema(request=NoteSerializer, responses={201: ActivitySerializer})
    @action(detail=True, methods=["post"], url_path="notes")
    def add_note(self, request: Request, pk: str) -> Response:
        """Add a note to the contact's timeline."""
        contact = self.get_object()
        incoming = NoteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        activity = services.add_note(
            contact, incoming.validated_data["text"], api_actor(request)
        )
        return Response(
            ActivitySerializer(activity).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request={
            "multipart/form-data": ImportRequestSerializer,
            "text/csv": OpenApiTypes.BINARY,
        },
        responses=ImportReportSerializer,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, CsvParser],
    )
    def import_csv(self, request: Request) -> Response:
        """Import contacts from CSV. Good rows are kept; bad ones are listed by line.

        Send the file as the multipart field `file`, or send the CSV itself
        with `Content-Type: text/csv`.
        """
        upload = request.FILES.get("file")
        data = upload.read() if upload is not None else request.data.get(CsvParser.key)
        if not data:
            raise InvalidImport(
                "No CSV received. Send it as the multipart field 'file', or as the "
                "request body with Content-Type: text/csv."
            )
        report = import_contacts(
            self.workspace_context.workspace, data, api_actor(request)
        )
        return Response(ImportReportSerializer(report).data)


class DealViewSet(WorkspaceScopedModelViewSet):
    """Deals of the current workspace: a title, a stage and a value per contact."""

    model = Deal
    serializer_class = DealSerializer

    def scope(self, queryset: QuerySet) -> QuerySet:
        if contact := self.request.query_params.get("contact"):
            queryset = queryset.filter(contact_id=contact if contact.isdigit() else 0)
        return queryset.select_related("contact")

    def perform_create(self, serializer: BaseSerializer) -> None:
        deal = serializer.save(workspace=self.workspace_context.workspace)
        services.record_activity(
            deal.contact,
            Activity.Kind.DEAL,
            f"Deal {deal.title!r} opened",
            data={"deal_id": deal.pk},
            actor=api_actor(self.request),
        )

    def perform_update(self, serializer: BaseSerializer) -> None:
        stage = serializer.validated_data.pop("stage", None)
        deal = serializer.save()
        if stage is not None:
            services.change_deal_stage(deal, stage, api_actor(self.request))
