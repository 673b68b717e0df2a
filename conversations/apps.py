from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations and compliance"

    def ready(self) -> None:
        # Someone removed from a workspace leaves its teams.
        from conversations import assignment  # noqa: F401
