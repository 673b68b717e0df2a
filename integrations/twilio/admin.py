from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from integrations.twilio.models import CarrierAccount, LocalCarrierMessage, Sender
from thoughtflow.admin import WorkspaceAdmin


class CarrierAccountForm(forms.ModelForm):
    auth_token = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Stored encrypted. Leave empty to keep the current token.",
    )

    class Meta:
        model = CarrierAccount
        fields = ["workspace", "name", "kind", "account_sid", "auth_token"]

    def clean_auth_token(self) -> str:
        token = self.cleaned_data["auth_token"]
        if not token and self.instance.pk:
            return self.instance.auth_token
        if not token:
            raise forms.ValidationError("Enter the account's auth token.")
        return token


@admin.register(CarrierAccount)
class CarrierAccountAdmin(WorkspaceAdmin):
    form = CarrierAccountForm
    list_display = ["name", "kind", "account_sid", "workspace", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "account_sid"]


@admin.register(Sender)
class SenderAdmin(WorkspaceAdmin):
    list_display = [
        "__str__",
        "phone_number",
        "messaging_service_sid",
        "account",
        "messages_per_second",
        "is_default",
        "is_active",
        "filtered_count",
    ]
    list_filter = ["is_active", "is_default"]
    search_fields = ["label", "phone_number", "messaging_service_sid"]
    readonly_fields = ["filtered_at", "filtered_count", "next_send_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields

    def save_model(
        self, request: HttpRequest, obj: Sender, form: Any, change: bool
    ) -> None:
        if obj.is_default:
            # One default per workspace: this one takes over.
            Sender.objects.for_workspace(obj.workspace_id).exclude(pk=obj.pk).update(
                is_default=False
            )
        super().save_model(request, obj, form, change)


@admin.register(LocalCarrierMessage)
class LocalCarrierMessageAdmin(admin.ModelAdmin):
    """What simulated handsets received; for superusers debugging the demo."""

    list_display = ["sid", "to", "from_address", "status", "created_at"]
    search_fields = ["sid", "to"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
