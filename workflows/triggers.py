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

from conversations.keywords import KeywordKind
from conversations.models import Consent, Message, RecipientState
from conversations.signals import message_received
from conversations.state import flag_for_person
from integrations.crm.models import Contact
from integrations.crm.signals import contact_created, contact_tagged
from workflows.agent.runtime import wake_for_reply
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
    """Route a text: to the agent waiting for it, to a new run, or to a person.

    A text never goes nowhere: when no agent waits for it and it starts no
    run, its conversation is flagged for the human inbox.
    """
    contact = message.contact
    if keyword is not None:
        # STOP, START and HELP are compliance, not conversation; an agent
        # waiting on a contact who opted out ends on its opted_out port.
        if keyword == KeywordKind.OPT_OUT:
            wake_for_reply(contact)
        return
    if wake_for_reply(contact) is not None:
        return
    state = RecipientState.objects.filter(contact=contact).first()
    opted_out = state is not None and state.consent == Consent.OPTED_OUT
    if opted_out or Run.objects.filter(contact=contact, status__in=Run.ACTIVE).exists():
        _needs_attention(message)
        return

    first_word = (message.body.strip().split() or [""])[0].strip(".,!?").casefold()
    started = start_matching(
        message.workspace_id,
        "inbound_sms",
        contact,
        {
            "message": {
                "id": message.pk,
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
    if not started:
        _needs_attention(message)


def _needs_attention(message: Message) -> None:
    flag_for_person(
        message.conversation_id,
        message.workspace_id,
        "A text arrived that no agent or workflow answers.",
        message_id=message.pk,
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
