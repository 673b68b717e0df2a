from django.apps import AppConfig


class CarrierConfig(AppConfig):
    name = "integrations.twilio"
    label = "carrier"
    verbose_name = "Numbers and carrier accounts"
