from django.urls import path

from workflows import hooks, pages

app_name = "workflows"

urlpatterns = [
    path("hooks/<str:token>", hooks.workflow_hook, name="hook"),
    path("webhooks/twilio/voice/status", hooks.voice_status, name="voice-status"),
    path("builder/", pages.builder_page, name="builder"),
    path("builder/<int:workflow_id>/", pages.editor_page, name="editor"),
]
