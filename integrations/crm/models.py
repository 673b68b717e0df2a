"""The built-in CRM: contacts, their timeline, and deals.

It is the system of record unless a workspace connects another CRM. Changes
go through `integrations.crm.services`, which keeps the timeline in step.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from thoughtflow.models import User, WorkspaceOwned


class Tag(WorkspaceOwned):
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="tag_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Contact(WorkspaceOwned):
    """A person Thoughtflow may text, unique in its workspace by phone."""

    phone = models.CharField(max_length=16, help_text="E.164, such as +14155550123.")
    email = models.EmailField(blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="IANA name, such as America/Chicago. Derived from the number "
        "when left empty.",
    )
    custom_fields = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "phone"], name="contact_unique_phone"
            )
        ]
        indexes = [models.Index(fields=["workspace", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name or self.phone

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Activity(WorkspaceOwned):
    """One entry in a contact's timeline."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        NOTE = "note", "Note"
        CALL = "call", "Call"
        MESSAGE = "message", "Message"
        OUTCOME = "outcome", "Outcome"
        FIELD_CHANGE = "field_change", "Field change"
        DEAL = "deal", "Deal"

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


class Deal(WorkspaceOwned):
    class Stage(models.TextChoices):
        NEW = "new", "New"
        QUALIFIED = "qualified", "Qualified"
        PROPOSAL = "proposal", "Proposal"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deals")
    title = models.CharField(max_length=200)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.NEW)
    value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, default="USD")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.contact_id and self.contact.workspace_id != self.workspace_id:
            raise ValidationError(
                {"contact": "Choose a contact of the same workspace."}
            )
