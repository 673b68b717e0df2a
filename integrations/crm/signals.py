from django.dispatch import Signal

# Sent after the transaction that created a contact commits, with `contact`.
contact_created = Signal()
# Sent after tags were added to a contact and committed, with `contact` and
# `tags` (the names added).
contact_tagged = Signal()
