from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from thoughtflow import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("workspace/switch/", views.workspace_switch, name="workspace_switch"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("webhooks/twilio/", include("integrations.twilio.urls")),
    path("", include("conversations.urls")),
    path("", include("workflows.urls")),
    path("api/", include("thoughtflow.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"
    ),
]
