import csv
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from integrations.crm import services
from integrations.crm.imports import import_contacts
from integrations.crm.models import Activity, Contact, Deal, Tag
from thoughtflow.admin import CsvImportAdmin, WorkspaceAdmin
from thoughtflow.tenancy import acting_user


class ActivityInline(admin.TabularInline):
    model = Activity
    fields = ["created_at", "kind", "summary", "actor"]
    readonly_fields = ["created_at", "kind", "summary", "actor"]
    extra = 0
    can_delete = False
    ordering = ["-created_at"]
    max_num = 0
    show_change_link = False


class DealInline(admin.TabularInline):
    model = Deal
    fields = ["title", "stage", "value", "currency"]
    extra = 0


class ContactForm(forms.ModelForm):
    """Runs the same checks as the API: E.164 phone, known time zone, no duplicate."""

    class Meta:
        model = Contact
        fields = [
            "workspace",
            "phone",
            "email",
            "first_name",
            "last_name",
            "time_zone",
            "custom_fields",
            "tags",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        workspace = cleaned.get("workspace") or getattr(
            self.instance, "workspace", None
        )
        if workspace is None:
            return cleaned
        values = {
            name: cleaned[name]
            for name in ("phone", "email", "time_zone", "custom_fields")
            if name in cleaned
        }
        try:
            cleaned.update(services.normalize(workspace, values))
        except services.InvalidContact as exc:
            for name, problem in exc.fields.items():
                self.add_error(name if name in self.fields else None, problem)
            return cleaned
        duplicate = (
            Contact.objects.for_workspace(workspace)
            .filter(phone=cleaned.get("phone"))
            .exclude(pk=self.instance.pk)
            .first()
        )
        if duplicate is not None:
            self.add_error("phone", f"Contact {duplicate} already has this number.")
        return cleaned


@admin.register(Contact)
class ContactAdmin(CsvImportAdmin):
    form = ContactForm
    list_display = ["__str__", "phone", "email", "time_zone", "workspace", "created_at"]
    list_filter = [("tags", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["first_name", "last_name", "email", "phone"]
    filter_horizontal = ["tags"]
    inlines = [DealInline, ActivityInline]
    actions = ["export_csv"]
    importer = staticmethod(import_contacts)
    columns_help = (
        "Columns: phone (required), email, first_name, last_name, time_zone, "
        "tags (separated by ;). Any other column becomes a custom field. A number "
        "that already exists updates that contact."
    )

    def save_model(
        self, request: HttpRequest, obj: Contact, form: Any, change: bool
    ) -> None:
        if not obj.time_zone:
            obj.time_zone = (
                services.time_zone_for(obj.phone) or obj.workspace.default_time_zone
            )
        super().save_model(request, obj, form, change)
        if not change:
            services.record_activity(
                obj,
                Activity.Kind.CREATED,
                "Contact created",
                actor=acting_user(request),
            )
        elif form.changed_data:
            services.record_activity(
                obj,
                Activity.Kind.FIELD_CHANGE,
                f"Changed {', '.join(sorted(form.changed_data))} in admin",
                actor=acting_user(request),
            )

    @admin.action(description="Export selected contacts as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="contacts.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["phone", "email", "first_name", "last_name", "time_zone", "tags"]
        )
        for contact in queryset.prefetch_related("tags"):
            writer.writerow(
                [
                    contact.phone,
                    contact.email,
                    contact.first_name,
                    contact.last_name,
                    contact.time_zone,
                    ";".join(tag.name for tag in contact.tags.all()),
                ]
            )
        return response


@admin.register(Tag)
class TagAdmin(WorkspaceAdmin):
    list_display = ["name", "workspace"]
    search_fields = ["name"]


@admin.register(Deal)
class DealAdmin(WorkspaceAdmin):
    list_display = ["title", "contact", "stage", "value", "currency", "updated_at"]
    list_filter = ["stage"]
    search_fields = [
        "title",
        "contact__first_name",
        "contact__last_name",
        "contact__phone",
    ]
    autocomplete_fields = ["contact"]


@admin.register(Activity)
class ActivityAdmin(WorkspaceAdmin):
    list_display = ["created_at", "contact", "kind", "summary", "actor"]
    list_filter = ["kind"]
    search_fields = ["summary", "contact__phone", "contact__last_name"]
    readonly_fields = [
        "workspace",
        "contact",
        "kind",
        "summary",
        "data",
        "actor",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
