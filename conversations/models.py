"""Conversations, messages, and the consent state that governs sending.

See docs/architecture.md, "Messaging", for how a message moves between
these rows. Messages with status QUEUED (or DEFERRED) are the outbox: a row
written in the same transaction as whatever caused the send, delivered by a
task, and found again by the claimer if that task is lost.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.crm.models import Contact
from integrations.twilio.models import Sender
from thoughtflow.models import User, Workspace, WorkspaceOwned


class MessagingSettings(WorkspaceOwned):
    """Per-workspace compliance texts and sending rules."""

    brand_name = models.CharField(
        max_length=60, default="", blank=True, help_text="Named in compliance replies."
    )
    support_contact = models.CharField(
        max_length=120,
        blank=True,
        help_text="Where HELP replies point people, such as a phone or email.",
    )
    opt_out_reply = models.CharField(
        max_length=320,
        default="{brand}: You're unsubscribed and will receive no more messages. "
        "Reply START to resubscribe.",
    )
    opt_in_reply = models.CharField(
        max_length=320,
        default="{brand}: You're subscribed again. Msg & data rates may apply. "
        "Reply HELP for help, STOP to opt out.",
    )
    help_reply = models.CharField(
        max_length=320,
        default="{brand}: For help, contact {support}. Msg & data rates may apply. "
        "Reply STOP to opt out.",
    )
    quiet_hours_start = models.TimeField(
        default=datetime.time(8, 0), help_text="Earliest local time to text a contact."
    )
    quiet_hours_end = models.TimeField(
        default=datetime.time(21, 0), help_text="Texts stop at this local time."
    )
    state_rules = models.BooleanField(
        default=True,
        help_text="Apply stricter state rules (FL, OK, MD, TX) on top of the window.",
    )
    max_messages_per_day = models.PositiveSmallIntegerField(
        default=10,
        help_text="Most texts one contact gets in any 24 hours, replies in a live "
        "conversation and compliance replies aside.",
    )
    live_conversation_minutes = models.PositiveSmallIntegerField(
        default=15,
        help_text="A reply within this many minutes of the contact's last text is "
        "conversational: quiet hours and the daily cap do not hold it back.",
    )
    round_robin_assignment = models.BooleanField(
        default=False,
        help_text="Give each conversation flagged for a person, when nobody has "
        "it, to the next person online in turn: among its team's members if it "
        "has a team, else among everyone in the workspace. With nobody online it "
        "stays unassigned.",
    )
    # Whom the workspace-wide rotation last chose; the next is the member
    # online with the next higher user id. Teams keep their own.
    rotation_last_user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "messaging settings"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], name="one_settings_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return f"Messaging settings of workspace {self.workspace_id}"

    @classmethod
    def for_workspace(cls, workspace: Workspace | int) -> MessagingSettings:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        settings, _ = cls.objects.get_or_create(workspace_id=workspace_id)
        return settings

    def render(self, template: str, workspace_name: str) -> str:
        return template.format(
            brand=self.brand_name or workspace_name,
            support=self.support_contact or "the number you were texted from",
        )


class Team(WorkspaceOwned):
    """People of a workspace who take the same conversations.

    A handoff step's queue names a team (workflows/engine/nodes.py): the
    conversation it flags is given to that team.
    """

    name = models.CharField(max_length=60)
    members = models.ManyToManyField(User, blank=True, related_name="teams")
    # Whom round-robin assignment last chose among the team's members.
    rotation_last_user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                F("workspace"),
                Lower("name"),
                name="team_name_unique_per_workspace",
                violation_error_message="This workspace already has a team of "
                "that name. Pick another name, or add the people to that team.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Conversation(WorkspaceOwned):
    """The thread between one contact and one sender."""

    class State(models.TextChoices):
        AI_ACTIVE = "ai_active", "AI active"
        HUMAN_ACTIVE = "human_active", "Human active"
        WAITING = "waiting", "Waiting"
        CLOSED = "closed", "Closed"

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="conversations"
    )
    sender = models.ForeignKey(
        Sender, on_delete=models.PROTECT, related_name="conversations"
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.WAITING
    )
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    needs_attention = models.BooleanField(default=False)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Hidden from the inbox's open views until then; an inbound text clears it.
    snoozed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "sender"],
                condition=~Q(state="closed"),
                name="one_open_conversation_per_contact_and_sender",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} ↔ {self.sender}"


class Message(WorkspaceOwned):
    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    class Author(models.TextChoices):
        CONTACT = "contact", "Contact"
        AGENT = "agent", "AI agent"
        USER = "user", "Human user"
        SYSTEM = "system", "System"
        WORKFLOW = "workflow", "Workflow"

    class Purpose(models.TextChoices):
        CONVERSATION = "conversation", "Conversation"
        NOTIFICATION = "notification", "Notification"
        MARKETING = "marketing", "Marketing"
        OPT_OUT_CONFIRMATION = "opt_out_confirmation", "Opt-out confirmation"
        OPT_IN_CONFIRMATION = "opt_in_confirmation", "Opt-in confirmation"
        HELP_REPLY = "help_reply", "Help reply"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        BLOCKED = "blocked", "Blocked"
        DEFERRED = "deferred", "Deferred"
        QUEUED = "queued", "Queued"
        SUBMITTING = "submitting", "Submitting to carrier"
        ACCEPTED = "accepted", "Accepted by carrier"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Undelivered"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        Sender, on_delete=models.PROTECT, related_name="messages"
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    purpose = models.CharField(
        max_length=24, choices=Purpose.choices, default=Purpose.CONVERSATION
    )
    author = models.CharField(max_length=10, choices=Author.choices)
    author_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    media = models.JSONField(default=list, blank=True)
    twilio_sid = models.CharField(max_length=34, null=True, blank=True, unique=True)
    encoding = models.CharField(max_length=8, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)

    status = models.CharField(max_length=12, choices=Status.choices)
    status_history = models.JSONField(default=list, blank=True)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    block_reason = models.CharField(max_length=40, blank=True)

    # Delivery bookkeeping, for outbound messages. NULL means "no key", which
    # the conditional unique constraint below leaves out.
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=200, null=True, blank=True
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the claimer when it hands the message to a task; a lost task
    # only delays the message until this passes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Set while the message is SUBMITTING: the carrier call is in flight.
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="After this moment the message has lost its purpose and is "
        "canceled instead of sent late.",
    )

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="message_idempotency_key_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "deferred", "submitting"]),
                name="message_outbox_due",
            ),
            models.Index(
                fields=["contact", "created_at"], name="message_contact_recent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} message {self.pk} ({self.status})"

    def add_history(self, status: str, **details: Any) -> None:
        entry = {"status": status, "at": timezone.now().isoformat(), **details}
        self.status_history = [*self.status_history, entry]


class Note(WorkspaceOwned):
    """A private remark in a conversation, for the team only: never texted."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note {self.pk} in conversation {self.conversation_id}"


class ReadState(WorkspaceOwned):
    """How far one person has read one conversation, for unread counts."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="read_states"
    )
    last_read_message_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "conversation"], name="read_state_unique"
            )
        ]

    def __str__(self) -> str:
        return f"User {self.user_id} read to message {self.last_read_message_id}"


class AgentPresence(WorkspaceOwned):
    """One open inbox connection of a person.

    A person is online in the workspace while one of their connections has
    been seen within `conversations.presence.ONLINE_WINDOW_S`: the browser
    pings every 30 seconds, so a connection whose server process died goes
    stale instead of keeping its person online forever.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "agent presence"
        indexes = [
            models.Index(
                fields=["workspace", "last_seen_at"], name="presence_last_seen"
            )
        ]

    def __str__(self) -> str:
        return f"User {self.user_id} connected as {self.channel_name}"


class InboundWebhook(WorkspaceOwned):
    """A carrier's inbound-message request, stored before it is answered.

    Processing happens in a task; `processed_at` makes that idempotent, and
    the unique `message_sid` turns a carrier's retry into a no-op.
    """

    sender = models.ForeignKey(Sender, on_delete=models.PROTECT, related_name="+")
    message_sid = models.CharField(max_length=34, unique=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(processed_at__isnull=True),
                name="inbound_unprocessed",
            )
        ]


class Consent(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    OPTED_IN = "opted_in", "Opted in"
    OPTED_OUT = "opted_out", "Opted out"


class RecipientState(WorkspaceOwned):
    """What governs texting one contact now: consent, reachability, region.

    Its row is locked whenever consent changes or a message is about to leave,
    so an opt-out and a send of the same contact never interleave.
    """

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, related_name="recipient_state"
    )
    consent = models.CharField(
        max_length=10, choices=Consent.choices, default=Consent.UNKNOWN
    )
    consent_changed_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opt_out_confirmation = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    region = models.CharField(
        max_length=2,
        blank=True,
        help_text="US state code, from the carrier or the number.",
    )
    unreachable_code = models.PositiveIntegerField(null=True, blank=True)
    unreachable_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.contact}: {self.get_consent_display()}"


class ConsentRecord(WorkspaceOwned):
    """One change of consent, kept forever as the audit history."""

    class Source(models.TextChoices):
        KEYWORD = "keyword", "Keyword reply"
        PLAIN_LANGUAGE = "plain_language", "Plain-language reply"
        CARRIER = "carrier", "Carrier opt-out handling"
        WEB_FORM = "web_form", "Web form"
        API = "api", "API"
        ADMIN = "admin", "Admin"
        IMPORT = "import", "Import"
        VERBAL = "verbal", "Verbal"

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="consent_records"
    )
    status = models.CharField(max_length=10, choices=Consent.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    channel = models.CharField(max_length=16, default="sms")
    evidence = models.TextField(blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.contact}: {self.status} via {self.source}"


class Suppression(WorkspaceOwned):
    """A number this workspace must never text, whatever its consent says."""

    phone = models.CharField(max_length=16)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["phone"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "phone"], name="suppression_unique"
            )
        ]

    def __str__(self) -> str:
        return self.phone


class GlobalSuppression(models.Model):
    """A number no workspace may text: the installation's do-not-contact list."""

    phone = models.CharField(max_length=16, unique=True)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["phone"]
        verbose_name = "do-not-contact number"

    def __str__(self) -> str:
        return self.phone


class EventCounter(models.Model):
    """The last inbox event number handed out in a workspace.

    Only `conversations.events.number_pending` changes it, in a short
    transaction of its own; its row lock is what makes numbers commit in
    order (see that module).
    """

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Inbox events of workspace {self.workspace_id}: {self.last_seq}"


class Event(WorkspaceOwned):
    """Something the inbox shows, stored so a client can replay what it missed.

    Written without a number in the transaction of the change it describes;
    numbered per workspace (`seq`) right after that transaction commits.
    """

    class Kind(models.TextChoices):
        MESSAGE_CREATED = "message.created", "Message created"
        MESSAGE_STATUS = "message.status", "Message status"
        CONVERSATION_UPDATED = "conversation.updated", "Conversation updated"
        HANDOFF_REQUESTED = "handoff.requested", "Handoff requested"
        NOTE_CREATED = "note.created", "Note created"

    seq = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    conversation = models.ForeignKey(
        Conversation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "seq"], name="event_seq_unique_per_workspace"
            )
        ]
        indexes = [
            # Numbering looks for the few rows still without a number.
            models.Index(
                fields=["workspace", "id"],
                condition=Q(seq__isnull=True),
                name="event_unnumbered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq} in workspace {self.workspace_id}"
