"""Admin for workspaces, and the mixin that scopes every other admin page.

A superuser sees everything. Anyone else sees only rows of the workspaces
where they hold the admin role: lists, search, filters, related-object
choices and autocomplete all go through `WorkspaceAdmin.get_queryset`.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model, QuerySet
from django.db.models.fields.related import ForeignKey
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from thoughtflow import services
from thoughtflow.admin_site import admin_workspace_ids
from thoughtflow.errors import ThoughtflowError
from thoughtflow.models import ApiKey, Membership, User, Workspace, WorkspaceOwned
from thoughtflow.tenancy import acting_user


class WorkspaceAdmin(admin.ModelAdmin):
    """Base for the admin of any `WorkspaceOwned` model."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(workspace_id__in=admin_workspace_ids(request))

    def get_list_filter(self, request: HttpRequest) -> Any:
        # RelatedOnlyFieldListFilter offers only workspaces present in the
        # scoped queryset, so filter choices never name another workspace.
        return [("workspace", admin.RelatedOnlyFieldListFilter), *self.list_filter]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            field.queryset = _scoped_choices(
                db_field.related_model, field.queryset, request
            )
        return field

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            field.queryset = _scoped_choices(
                db_field.related_model, field.queryset, request
            )
        return field

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(admin_workspace_ids(request))

    def has_view_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return self._may_touch(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_touch(request, None)

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return self._may_touch(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return self._may_touch(request, obj)

    def _may_touch(self, request: HttpRequest, obj: Model | None) -> bool:
        if request.user.is_superuser:
            return True
        ids = admin_workspace_ids(request)
        if obj is None:
            return bool(ids)
        return getattr(obj, "workspace_id", None) in ids


def _scoped_choices(model: Any, queryset: Any, request: HttpRequest) -> Any:
    """Narrow a related-object choice list to the admin's workspaces."""
    ids = admin_workspace_ids(request)
    if model is Workspace:
        return queryset.filter(pk__in=ids)
    if model is User:
        # Accounts span workspaces: offer only the people of these ones.
        members = Membership.objects.filter(workspace_id__in=ids)
        return queryset.filter(pk__in=members.values("user_id"))
    if isinstance(model, type) and issubclass(model, WorkspaceOwned):
        return queryset.filter(workspace_id__in=ids)
    return queryset


class CsvImportForm(forms.Form):
    workspace = forms.ModelChoiceField(queryset=Workspace.objects.none())
    file = forms.FileField(help_text="CSV, UTF-8, with a header line.")

    def __init__(self, *args: Any, workspaces: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["workspace"]
        field.queryset = workspaces  # type: ignore[attr-defined]
        if workspaces.count() == 1:
            field.initial = workspaces.first()


class CsvImportAdmin(WorkspaceAdmin):
    """A workspace admin with an "Import CSV" page beside its list.

    Subclasses set `columns_help` and `importer`, a function of (workspace,
    CSV bytes, acting user) that keeps good rows and returns a report
    listing bad ones by line.
    """

    change_list_template = "admin/csv_import_change_list.html"
    columns_help = ""
    importer: Callable[[Workspace, bytes, User | None], Any]

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_import"
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name=name)
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:index")
        workspaces = Workspace.objects.all()
        if not request.user.is_superuser:
            workspaces = workspaces.filter(pk__in=admin_workspace_ids(request))

        form = CsvImportForm(
            request.POST or None, request.FILES or None, workspaces=workspaces
        )
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = self.importer(
                    form.cleaned_data["workspace"],
                    form.cleaned_data["file"].read(),
                    acting_user(request),
                )
            except ThoughtflowError as exc:
                form.add_error("file", exc.message)
            else:
                level = messages.WARNING if report.errors else messages.SUCCESS
                self.message_user(
                    request,
                    f"{report.created} added and {report.updated} updated; "
                    f"{len(report.errors)} rows were not imported.",
                    level,
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import {self.model._meta.verbose_name_plural} from CSV",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "columns_help": self.columns_help,
        }
        return TemplateResponse(request, "admin/csv_import.html", context)


@admin.register(Workspace)
class WorkspaceModelAdmin(WorkspaceAdmin):
    list_display = [
        "name",
        "slug",
        "default_country",
        "default_time_zone",
        "created_at",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=admin_workspace_ids(request))

    def get_list_filter(self, request: HttpRequest) -> Any:
        return []

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Reaching private addresses is a decision about this installation's
        # network, so only its superusers make it.
        return [] if request.user.is_superuser else ["allow_private_http"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return request.user.is_superuser

    def _may_touch(self, request: HttpRequest, obj: Model | None) -> bool:
        if request.user.is_superuser:
            return True
        ids = admin_workspace_ids(request)
        return bool(ids) if obj is None else obj.pk in ids


class MembershipAddForm(forms.ModelForm):
    # A username, not a picker: listing every account would show workspace
    # admins the people of other workspaces.
    username = forms.CharField(help_text="The exact username of an existing account.")

    class Meta:
        model = Membership
        fields = ["workspace", "username", "role"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                f"No active account is called {username!r}. A superuser can "
                "create it under Users."
            )
        self.instance.user = user
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        workspace = cleaned.get("workspace")
        user = getattr(self.instance, "user", None) if "username" in cleaned else None
        if (
            workspace
            and user
            and Membership.objects.filter(workspace=workspace, user=user).exists()
        ):
            raise forms.ValidationError(
                f"{user.username} is already a member of {workspace}. Change their "
                "role on their existing membership instead."
            )
        return cleaned


@admin.register(Membership)
class MembershipAdmin(WorkspaceAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (
            ["workspace", "username", "role"]
            if obj is None
            else ["workspace", "user", "role"]
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else ["workspace", "user"]

    def save_model(
        self, request: HttpRequest, obj: Membership, form: Any, change: bool
    ) -> None:
        if change and "role" in form.changed_data:
            new_role = obj.role
            obj.role = form.initial["role"]
            self._run(request, lambda: services.change_role(obj, new_role))
        elif not change:
            super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        self._run(request, lambda: services.remove_member(obj))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for membership in queryset:
            self.delete_model(request, membership)

    def _run(self, request: HttpRequest, change: Any) -> None:
        try:
            change()
        except ThoughtflowError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(ApiKey)
class ApiKeyAdmin(WorkspaceAdmin):
    list_display = [
        "name",
        "workspace",
        "role",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    fields = [
        "workspace",
        "name",
        "role",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_keys"]

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, plaintext = services.issue_api_key(
            obj.workspace, obj.name, obj.role, acting_user(request)
        )
        obj.pk = key.pk
        obj.prefix = key.prefix
        self.message_user(
            request,
            f"Copy this key now; it will not be shown again: {plaintext}",
            messages.WARNING,
        )

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        # Keys are revoked, not deleted, so their use stays auditable.
        return False

    @admin.action(description="Revoke selected keys")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet) -> None:
        for key in queryset.filter(revoked_at__isnull=True):
            services.revoke_api_key(key)
        self.message_user(request, "The selected keys were revoked.", messages.SUCCESS)


@admin.register(User)
class ThoughtflowUserAdmin(UserAdmin):
    """Accounts span workspaces, so only superusers manage them here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return request.user.is_superuser
