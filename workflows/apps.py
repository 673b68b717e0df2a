from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        # Trigger listeners: inbound texts and contact events start runs.
        from workflows import triggers  # noqa: F401
