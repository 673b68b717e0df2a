"""Entry points for django-q2 workers. Each is safe to run more than once."""

from conversations import delivery, inbound


def deliver_message(message_id: int) -> str:
    return delivery.deliver_message(message_id)


def process_inbound(webhook_id: int) -> str:
    return inbound.process_inbound(webhook_id)
