from django.urls import path

from workflows import hooks

app_name = "workflows"

urlpatterns = [
    path("hooks/<str:token>", hooks.workflow_hook, name="hook"),
    path("webhooks/twilio/voice/status", hooks.voice_status, name="voice-status"),
]
