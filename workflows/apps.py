from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        # Trigger listeners: inbound texts and contact events start runs.
        # Event listeners: step and run changes reach the browsers watching.
        from workflows import events, triggers  # noqa: F401
