from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from conversations import events
from conversations.consent import lock_recipient_state, record_opt_in, record_opt_out
from conversations.models import (
    Consent,
    ConsentRecord,
    Conversation,
    GlobalSuppression,
    Message,
    MessagingSettings,
    Note,
    RecipientState,
    Suppression,
    Team,
)
from conversations.suppression import import_suppressions
from integrations.crm.phones import InvalidPhoneNumber, to_e164
from thoughtflow.admin import CsvImportAdmin, WorkspaceAdmin
from thoughtflow.models import Membership
from thoughtflow.tenancy import acting_user


class ReadOnlyAdmin(WorkspaceAdmin):
    """For records written only by the system: viewable, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MessagingSettings)
class MessagingSettingsAdmin(WorkspaceAdmin):
    list_display = [
        "workspace",
        "brand_name",
        "quiet_hours_start",
        "quiet_hours_end",
        "state_rules",
        "max_messages_per_day",
        "round_robin_assignment",
    ]


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["created_at", "direction", "author", "body", "status", "block_reason"]
    readonly_fields = [
        "created_at",
        "direction",
        "author",
        "body",
        "status",
        "block_reason",
    ]
    extra = 0
    max_num = 0
    can_delete = False


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["workspace", "name", "members"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        workspace, members = cleaned.get("workspace"), cleaned.get("members")
        if workspace is None and self.instance.pk is not None:
            # A saved team's workspace is read-only, so not in the form.
            workspace = self.instance.workspace
        if workspace is None or not members:
            return cleaned
        member_ids = set(
            Membership.objects.for_workspace(workspace).values_list(
                "user_id", flat=True
            )
        )
        outside = sorted(user.username for user in members if user.pk not in member_ids)
        if outside:
            self.add_error(
                "members",
                f"Not members of {workspace}: {', '.join(outside)}. Add them "
                "under Memberships first, or leave them out of the team.",
            )
        return cleaned


@admin.register(Team)
class TeamAdmin(WorkspaceAdmin):
    """Teams take the conversations a handoff step's queue names."""

    form = TeamForm
    list_display = ["name", "workspace", "member_count", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_total=Count("members"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Conversations of the team's workspace point at it: moved to another
        # workspace, it would show there and its name would show here.
        return [] if obj is None else ["workspace"]

    @admin.display(description="members", ordering="member_total")
    def member_count(self, team: Any) -> int:
        return team.member_total


@admin.register(Conversation)
class ConversationAdmin(WorkspaceAdmin):
    list_display = [
        "contact",
        "sender",
        "state",
        "team",
        "needs_attention",
        "last_message_at",
    ]
    list_filter = [
        "state",
        ("team", admin.RelatedOnlyFieldListFilter),
        "needs_attention",
    ]
    search_fields = ["contact__phone", "contact__first_name", "contact__last_name"]
    # The team changes through the inbox, which tells open inboxes about it.
    readonly_fields = [
        "contact",
        "sender",
        "team",
        "last_message_at",
        "created_at",
        "closed_at",
    ]
    inlines = [MessageInline]

    def save_model(
        self, request: HttpRequest, obj: Conversation, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            # Recorded in the admin's transaction, so open inboxes hear of
            # the edit as of one made there.
            events.conversation_updated(obj.pk, "edited_in_admin")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "contact",
        "direction",
        "purpose",
        "status",
        "block_reason",
        "segments",
        "error_code",
    ]
    list_filter = ["direction", "status", "purpose", "block_reason"]
    search_fields = ["twilio_sid", "contact__phone"]


@admin.register(Note)
class NoteAdmin(ReadOnlyAdmin):
    """The inbox's private notes, for review; they are written in the inbox."""

    list_display = ["created_at", "conversation", "author", "body"]
    search_fields = ["body", "conversation__contact__phone"]
    list_select_related = ["conversation__contact", "conversation__sender", "author"]


@admin.register(RecipientState)
class RecipientStateAdmin(ReadOnlyAdmin):
    list_display = ["contact", "consent", "opted_out_at", "region", "unreachable_code"]
    list_filter = ["consent", "region"]
    search_fields = ["contact__phone", "contact__last_name"]
    actions = ["clear_unreachable"]

    @admin.action(description="Mark the numbers reachable again")
    def clear_unreachable(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(unreachable_code=None, unreachable_at=None)
        self.message_user(request, f"{count} numbers may be texted again.")


class ConsentRecordForm(forms.ModelForm):
    class Meta:
        model = ConsentRecord
        fields = ["workspace", "contact", "status", "source", "channel", "evidence"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        contact, workspace = cleaned.get("contact"), cleaned.get("workspace")
        if contact and workspace and contact.workspace_id != workspace.pk:
            self.add_error("contact", "Choose a contact of the same workspace.")
        if cleaned.get("status") == Consent.UNKNOWN:
            self.add_error("status", "Record an opt-in or an opt-out.")
        return cleaned


@admin.register(ConsentRecord)
class ConsentRecordAdmin(WorkspaceAdmin):
    """The consent audit history. Adding a record changes the contact's consent."""

    form = ConsentRecordForm
    list_display = ["created_at", "contact", "status", "source", "channel", "actor"]
    list_filter = ["status", "source", "channel"]
    search_fields = ["contact__phone", "contact__last_name", "evidence"]
    autocomplete_fields = ["contact"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The history is evidence: it is never edited or deleted.
        return False

    def save_model(
        self, request: HttpRequest, obj: ConsentRecord, form: Any, change: bool
    ) -> None:
        record = record_opt_out if obj.status == Consent.OPTED_OUT else record_opt_in
        with transaction.atomic():
            saved = record(
                lock_recipient_state(obj.contact),
                source=obj.source,
                channel=obj.channel,
                evidence=obj.evidence,
                actor=acting_user(request),
            )
        if saved is None:
            self.message_user(
                request,
                "The contact already had that consent; nothing changed.",
                messages.WARNING,
            )
            return
        obj.pk = saved.pk


class PhoneForm(forms.ModelForm):
    """Stores `phone` in E.164, read in the workspace's country when it has one."""

    def clean_phone(self) -> str:
        workspace = self.cleaned_data.get("workspace")
        country = workspace.default_country if workspace else "US"
        try:
            return to_e164(self.cleaned_data["phone"], country)
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from None


class SuppressionForm(PhoneForm):
    class Meta:
        model = Suppression
        fields = ["workspace", "phone", "reason"]


class GlobalSuppressionForm(PhoneForm):
    class Meta:
        model = GlobalSuppression
        fields = ["phone", "reason"]


@admin.register(Suppression)
class SuppressionAdmin(CsvImportAdmin):
    form = SuppressionForm
    list_display = ["phone", "reason", "workspace", "created_by", "created_at"]
    search_fields = ["phone", "reason"]
    importer = staticmethod(import_suppressions)
    columns_help = "Columns: phone (required) and reason. Numbers already listed stay."

    def save_model(
        self, request: HttpRequest, obj: Suppression, form: Any, change: bool
    ) -> None:
        obj.created_by = obj.created_by or acting_user(request)
        super().save_model(request, obj, form, change)


@admin.register(GlobalSuppression)
class GlobalSuppressionAdmin(admin.ModelAdmin):
    """The installation-wide do-not-contact list, for superusers only."""

    form = GlobalSuppressionForm
    list_display = ["phone", "reason", "created_by", "created_at"]
    search_fields = ["phone", "reason"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def save_model(
        self, request: HttpRequest, obj: GlobalSuppression, form: Any, change: bool
    ) -> None:
        obj.created_by = obj.created_by or acting_user(request)
        super().save_model(request, obj, form, change)
