"""Seed a demo workspace with people and contacts. Safe to run repeatedly."""

import datetime
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from conversations.consent import lock_recipient_state, record_opt_in
from conversations.models import Consent, ConsentRecord, MessagingSettings
from integrations.crm import services as crm
from integrations.crm.models import Contact, Deal
from integrations.twilio.models import CarrierAccount, Sender
from thoughtflow.models import Membership, Role, User, Workspace
from workflows import catalog
from workflows.models import Workflow
from workflows.services import import_workflow, publish

DEMO_PASSWORD = "thoughtflow"  # noqa: S105 - printed to the person running the demo
LOCAL_NUMBER = "+15005550006"
SUPPORT_CONTACT = "support@acme.example"
QUOTE_FLOW = "Quote request follow-up"
QUOTE_GRAPH: dict[str, Any] = {
    "nodes": [
        {
            "id": "start",
            "kind": "trigger",
            "label": "Texted QUOTE",
            "config": {"type": "inbound_sms", "keyword": "quote"},
            "position": {"x": 0, "y": 0},
        },
        {
            "id": "ack",
            "kind": "send_sms",
            "label": "Acknowledge",
            "config": {
                "body": "Thanks{% if contact.first_name %} {{ contact.first_name }}"
                "{% endif %}! A member of our team will text you shortly about "
                "your quote.",
                "purpose": "conversation",
            },
            "position": {"x": 0, "y": 120},
        },
        {
            "id": "sales",
            "kind": "human_handoff",
            "label": "Sales follows up",
            "config": {
                "queue": "sales",
                "note": "Quote requested by {{ contact.phone }}: "
                "{{ trigger.message.body }}",
                "outcomes": ["booked", "lost"],
            },
            "position": {"x": 0, "y": 240},
        },
        {
            "id": "tag",
            "kind": "crm_update",
            "label": "Tag as booked",
            "config": {"add_tags": ["quote-booked"], "deal_stage": "won"},
            "position": {"x": -120, "y": 360},
        },
        {
            "id": "done",
            "kind": "end",
            "label": "Done",
            "config": {"result": "handled"},
            "position": {"x": 0, "y": 480},
        },
    ],
    "edges": [
        {"source": "start", "port": "next", "target": "ack"},
        {"source": "ack", "port": "sent", "target": "sales"},
        {"source": "ack", "port": "blocked", "target": None},
        {"source": "sales", "port": "booked", "target": "tag"},
        {"source": "sales", "port": "lost", "target": "done"},
        {"source": "tag", "port": "next", "target": "done"},
    ],
}

PEOPLE = [
    # username, role in the demo workspace, superuser
    ("admin", Role.ADMIN, True),
    ("operator", Role.OPERATOR, False),
    ("agent", Role.AGENT, False),
]

CONTACTS: list[dict[str, Any]] = [
    {
        "phone": "+12125550101",
        "first_name": "Maya",
        "last_name": "Lopez",
        "email": "maya@example.com",
        "tags": ["lead", "roofing"],
        "custom_fields": {"source": "web form", "zip": "10001"},
    },
    {
        "phone": "+13125550102",
        "first_name": "Jordan",
        "last_name": "Reed",
        "tags": ["customer"],
        "custom_fields": {"plan": "annual"},
    },
    {
        "phone": "+14155550103",
        "first_name": "Priya",
        "last_name": "Shah",
        "email": "priya@example.com",
        "tags": ["lead"],
    },
    {
        "phone": "+15125550104",
        "first_name": "Luis",
        "last_name": "García",
        "tags": ["customer", "spanish"],
    },
    {
        "phone": "+17865550105",
        "first_name": "Ana",
        "last_name": "Souza",
        "tags": ["lead"],
    },
]


class Command(BaseCommand):
    help = "Create the demo workspace, its users and a few contacts (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even in production mode (creates users with a known password).",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if settings.PRODUCTION and not force:
            raise CommandError(
                "seed_demo creates users with a known password, so it refuses to run "
                "with PRODUCTION on. Pass --force if this really is a demo."
            )

        with transaction.atomic():
            demo, _ = Workspace.objects.get_or_create(
                slug="demo", defaults={"name": "Acme Home Services"}
            )
            other, _ = Workspace.objects.get_or_create(
                slug="globex", defaults={"name": "Globex Dental"}
            )
            for username, role, is_superuser in PEOPLE:
                user = self._user(username, is_superuser)
                Membership.objects.get_or_create(
                    workspace=demo, user=user, defaults={"role": role}
                )
            # One person in two workspaces shows the workspace switcher.
            Membership.objects.get_or_create(
                workspace=other,
                user=User.objects.get(username="admin"),
                defaults={"role": Role.OPERATOR},
            )
            created = self._contacts(demo)
            self._messaging(demo)
            self._workflows(demo)

        self.stdout.write(
            f"Demo workspace {demo.name!r} ready: {len(PEOPLE)} users, "
            f"{created} new contacts."
        )

    def _workflows(self, workspace: Workspace) -> None:
        """Published workflows: QUOTE goes to sales; the examples use the agent."""
        existing = set(
            Workflow.objects.for_workspace(workspace).values_list("name", flat=True)
        )
        if QUOTE_FLOW not in existing:
            workflow = Workflow.objects.create(
                workspace=workspace,
                name=QUOTE_FLOW,
                description="Text QUOTE to the demo line: the workflow answers, then "
                "hands the lead to sales, who resolve it as booked or lost.",
                draft=QUOTE_GRAPH,
            )
            publish(workflow)
        for template in catalog.templates():
            if template.name not in existing:
                publish(import_workflow(workspace, template.copy_of_export()))

    def _messaging(self, workspace: Workspace) -> None:
        """Numbers, compliance texts and consent, so the demo can text at once."""
        MessagingSettings.objects.get_or_create(
            workspace=workspace,
            defaults={"brand_name": workspace.name, "support_contact": SUPPORT_CONTACT},
        )
        senders = Sender.objects.for_workspace(workspace.pk)
        if not senders.filter(account__kind=CarrierAccount.Kind.LOCAL).exists():
            Sender.objects.create(
                workspace=workspace,
                account=CarrierAccount.create_local(workspace.pk),
                label="Demo line (local carrier)",
                phone_number=LOCAL_NUMBER,
                is_default=not settings.TWILIO_ACCOUNT_SID,
                messages_per_second=10,
            )
        if settings.TWILIO_ACCOUNT_SID:
            self._twilio_sender(workspace)

        for contact in Contact.objects.for_workspace(workspace):
            with transaction.atomic():
                state = lock_recipient_state(contact)
                if state.consent == Consent.UNKNOWN:
                    record_opt_in(
                        state,
                        source=ConsentRecord.Source.WEB_FORM,
                        channel="web",
                        evidence="Consent given on the demo sign-up form.",
                    )

    def _twilio_sender(self, workspace: Workspace) -> None:
        """The real Twilio account named by TWILIO_* variables, as the default."""
        account, _ = CarrierAccount.objects.update_or_create(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            defaults={
                "workspace": workspace,
                "name": "Twilio",
                "kind": CarrierAccount.Kind.TWILIO,
                "auth_token": settings.TWILIO_AUTH_TOKEN,
            },
        )
        lookup: dict[str, Any] = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"phone_number": settings.TWILIO_FROM_NUMBER}
        )
        Sender.objects.for_workspace(workspace.pk).exclude(**lookup).update(
            is_default=False
        )
        Sender.objects.update_or_create(
            **lookup,
            defaults={
                "workspace": workspace,
                "account": account,
                "label": "Twilio",
                "is_default": True,
                "is_active": True,
            },
        )

    def _user(self, username: str, is_superuser: bool) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@demo.thoughtflow.local",
                "is_staff": is_superuser,
                "is_superuser": is_superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _contacts(self, workspace: Workspace) -> int:
        created = 0
        for values in CONTACTS:
            if (
                Contact.objects.for_workspace(workspace)
                .filter(phone=values["phone"])
                .exists()
            ):
                continue
            contact = crm.create_contact(workspace, values)
            created += 1
            if "customer" in values["tags"]:
                # Something for the appointment workflow to confirm.
                crm.update_contact(
                    contact,
                    {
                        "custom_fields": {
                            **contact.custom_fields,
                            "appointment_at": _tomorrow_at_ten(contact.time_zone),
                        }
                    },
                )
            if "lead" in values["tags"]:
                Deal.objects.create(
                    workspace=workspace,
                    contact=contact,
                    title=f"{contact.first_name}'s quote",
                    value=1200,
                )
        return created


def _tomorrow_at_ten(zone: str) -> str:
    local = timezone.now().astimezone(zoneinfo.ZoneInfo(zone))
    moment = datetime.datetime.combine(
        local.date() + datetime.timedelta(days=1), datetime.time(10), local.tzinfo
    )
    return moment.isoformat()
