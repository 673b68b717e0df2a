from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ThoughtflowConfig(AppConfig):
    default = True
    name = "thoughtflow"
    verbose_name = "Workspaces"


class ThoughtflowAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "thoughtflow.admin_site.ThoughtflowAdminSite"
