from django.dispatch import Signal

# Sent after an inbound text is committed, with `message` and `keyword` (a
# KeywordKind or None). The workflow engine and the inbox listen to it.
message_received = Signal()
