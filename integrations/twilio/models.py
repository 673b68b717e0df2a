"""Carrier accounts and the senders (numbers, messaging services) they own.

A workspace texts through a `Sender`: one Twilio number, or one Twilio
messaging service. Each sender belongs to a `CarrierAccount`, whose auth
token signs webhooks and authenticates sends. The local carrier is an
account of kind LOCAL: a simulated handset that speaks the same protocol.
"""

import secrets

from django.db import models
from django.db.models import Q

from thoughtflow.crypto import EncryptedTextField
from thoughtflow.models import WorkspaceOwned, WorkspaceQuerySet


class CarrierAccount(WorkspaceOwned):
    class Kind(models.TextChoices):
        TWILIO = "twilio", "Twilio"
        LOCAL = "local", "Local carrier (simulated handsets)"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TWILIO)
    account_sid = models.CharField(max_length=34, unique=True)
    auth_token = EncryptedTextField(
        help_text="Stored encrypted. Used to sign and check webhooks and to send."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_local(self) -> bool:
        return self.kind == self.Kind.LOCAL

    @classmethod
    def create_local(
        cls, workspace_id: int, name: str = "Local carrier"
    ) -> "CarrierAccount":
        """A local-carrier account with credentials shaped like Twilio's."""
        return cls.objects.create(
            workspace_id=workspace_id,
            name=name,
            kind=cls.Kind.LOCAL,
            account_sid="AC" + secrets.token_hex(16),
            auth_token=secrets.token_hex(16),
        )


class SenderQuerySet(WorkspaceQuerySet):
    def active(self) -> "SenderQuerySet":
        return self.filter(is_active=True)


class Sender(WorkspaceOwned):
    """A number or messaging service a workspace sends from and receives on."""

    account = models.ForeignKey(
        CarrierAccount, on_delete=models.PROTECT, related_name="senders"
    )
    label = models.CharField(max_length=100, blank=True)
    phone_number = models.CharField(
        max_length=16,
        null=True,
        blank=True,
        unique=True,
        help_text="E.164. Leave empty for a messaging service.",
    )
    messaging_service_sid = models.CharField(
        max_length=34, null=True, blank=True, unique=True
    )
    twilio_sid = models.CharField(
        "number SID", max_length=34, blank=True, help_text="PN…, for reference."
    )
    messages_per_second = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=1,
        help_text="The carrier's throughput for this sender; sends are paced to it.",
    )
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # Pacing: the earliest moment the next message may leave this sender.
    next_send_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Raised by error 30007 (carrier filtering) in a status callback.
    filtered_at = models.DateTimeField(null=True, blank=True, editable=False)
    filtered_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = models.Manager.from_queryset(SenderQuerySet)()  # type: ignore[misc]

    class Meta:
        ordering = ["-is_default", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone_number__isnull=False)
                | Q(messaging_service_sid__isnull=False),
                name="sender_has_number_or_service",
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(is_default=True),
                name="sender_one_default_per_workspace",
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.phone_number or self.messaging_service_sid or "sender"

    @property
    def address(self) -> str:
        """What a contact's handset shows as the other party."""
        return self.phone_number or self.messaging_service_sid or ""


class LocalCarrierMessage(models.Model):
    """A message the local carrier accepted: what a simulated handset received.

    It plays the part of Twilio's own message log, so a lost answer can be
    reconciled the same way with either carrier.
    """

    account = models.ForeignKey(
        CarrierAccount, on_delete=models.CASCADE, related_name="+"
    )
    sid = models.CharField(max_length=34, unique=True)
    to = models.CharField(max_length=16)
    from_address = models.CharField(max_length=34)
    body = models.TextField()
    status = models.CharField(max_length=12, default="queued")
    status_callback = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.sid
