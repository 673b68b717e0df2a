"""What starts runs: webhooks and forms, inbound texts, missed calls, CRM events.

Each trigger finds the active, published workflows of the workspace whose
trigger matches, and starts a run for the contact. Repeats of one event
carry the same trigger key, so they start one run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.dispatch import receiver

from conversations.models import Consent, Message, RecipientState
from conversations.signals import message_received
from integrations.crm.models import Contact
from integrations.crm.signals import contact_created, contact_tagged
from workflows.engine.runs import start_run
from workflows.models import Run, Workflow

logger = logging.getLogger(__name__)


def start_matching(
    workspace_id: int,
    trigger_type: str,
    contact: Contact,
    payload: dict[str, Any],
    *,
    trigger_key: str | None = None,
    matches: Callable[[dict[str, Any]], bool] = lambda config: True,
) -> list[Run]:
    """Start a run of every live workflow whose trigger is `trigger_type`."""
    workflows = (
        Workflow.objects.for_workspace(workspace_id)
        .filter(status=Workflow.Status.ACTIVE, trigger_type=trigger_type)
        .exclude(published_version=None)
        .select_related("published_version")
    )
    runs = []
    for workflow in workflows:
        if not matches(trigger_config(workflow)):
            continue
        run = start_run(workflow, contact, payload, trigger_key=trigger_key)
        if run is not None:
            runs.append(run)
    return runs


def trigger_config(workflow: Workflow) -> dict[str, Any]:
    assert workflow.published_version is not None
    nodes = workflow.published_version.graph["nodes"]
    return next(n["config"] for n in nodes if n["kind"] == "trigger")


@receiver(message_received)
def on_inbound_text(sender: Any, message: Message, keyword: Any, **kwargs: Any) -> None:
    """A text from a contact with no active run may start one."""
    if keyword is not None:
        return  # STOP, START and HELP are compliance, not conversation.
    contact = message.contact
    state = RecipientState.objects.filter(contact=contact).first()
    if state is not None and state.consent == Consent.OPTED_OUT:
        return
    if Run.objects.filter(contact=contact, status__in=Run.ACTIVE).exists():
        return

    first_word = (message.body.strip().split() or [""])[0].strip(".,!?").casefold()
    start_matching(
        message.workspace_id,
        "inbound_sms",
        contact,
        {
            "message": {
                "body": message.body,
                "sid": message.twilio_sid,
                "from": contact.phone,
            }
        },
        trigger_key=f"sms:{message.twilio_sid}",
        matches=lambda config: (
            not config.get("keyword")
            or config["keyword"].strip().casefold() == first_word
        ),
    )


@receiver(contact_created)
def on_contact_created(sender: Any, contact: Contact, **kwargs: Any) -> None:
    start_matching(
        contact.workspace_id,
        "contact_created",
        contact,
        {"contact_event": {"type": "created"}},
        trigger_key=f"created:{contact.pk}",
    )


@receiver(contact_tagged)
def on_contact_tagged(
    sender: Any, contact: Contact, tags: list[str], **kwargs: Any
) -> None:
    for tag in tags:

        def names_tag(config: dict[str, Any], tag: str = tag) -> bool:
            return str(config.get("tag") or "").casefold() == tag.casefold()

        start_matching(
            contact.workspace_id,
            "contact_tagged",
            contact,
            {"contact_event": {"type": "tagged", "tag": tag}},
            matches=names_tag,
        )
