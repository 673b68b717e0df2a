from django.urls import path

from integrations.twilio import views

app_name = "twilio"

urlpatterns = [
    path("sms", views.inbound_sms, name="inbound"),
    path("status", views.status_callback, name="status"),
]
