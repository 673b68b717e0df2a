"""Campaigns: one workflow started for a list of contacts, at a steady pace.

Every BATCH_INTERVAL_S the claimer wakes a campaign that is due; its task
starts the next slice of runs and moves `position` on, in one transaction.
Each run goes through the workflow like any other, so every text still
passes the compliance gate.
"""

from __future__ import annotations

import datetime
import logging
import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.crm.models import Contact
from thoughtflow.claimer import claim_due
from thoughtflow.errors import Conflict, ThoughtflowError
from thoughtflow.models import User
from workflows.engine.runs import NotPublished, WorkflowArchived, start_run
from workflows.models import Campaign, Workflow

logger = logging.getLogger(__name__)

BATCH_INTERVAL_S = 10
MAX_CONTACTS = 50_000


class EmptyCampaign(ThoughtflowError):
    code = "empty_campaign"
    message = "A campaign needs at least one contact of this workspace."


class CampaignFinished(Conflict):
    code = "campaign_finished"
    message = "This campaign is {status}; it can no longer change."


def create_campaign(
    workflow: Workflow,
    contact_ids: list[int],
    *,
    per_minute: int = 60,
    name: str = "",
    user: User | None = None,
) -> Campaign:
    """Start `workflow` for each contact, `per_minute` at most."""
    if workflow.status == Workflow.Status.ARCHIVED:
        raise WorkflowArchived(name=workflow.name)
    if workflow.published_version is None:
        raise NotPublished(name=workflow.name)
    known = set(
        Contact.objects.for_workspace(workflow.workspace_id)
        .filter(pk__in=contact_ids)
        .values_list("pk", flat=True)
    )
    # Keep the caller's order, without repeats or other workspaces' ids.
    ordered = list(dict.fromkeys(pk for pk in contact_ids if pk in known))
    if not ordered:
        raise EmptyCampaign()
    if len(ordered) > MAX_CONTACTS:
        raise ThoughtflowError(
            f"A campaign can hold at most {MAX_CONTACTS} contacts; split this list."
        )
    campaign = Campaign.objects.create(
        workspace_id=workflow.workspace_id,
        workflow=workflow,
        name=name or f"{workflow.name} ({len(ordered)} contacts)",
        contact_ids=ordered,
        per_minute=max(1, per_minute),
        created_by=user,
    )
    logger.info(
        "campaign created campaign_id=%s workflow_id=%s contacts=%d",
        campaign.pk,
        workflow.pk,
        len(ordered),
    )
    return campaign


def advance_campaign(campaign_id: int) -> str:
    """Start the campaign's next batch of runs if it is due."""
    now = timezone.now()
    with transaction.atomic():
        campaign = (
            # Lock the campaign row only: the version is an outer join.
            Campaign.objects.select_for_update(of=("self",), no_key=True)
            .select_related("workflow__published_version")
            .filter(pk=campaign_id)
            .first()
        )
        if campaign is None or campaign.status != Campaign.Status.RUNNING:
            return "idle"
        if campaign.next_batch_at > now:
            return "not_due"
        if campaign.workflow.status == Workflow.Status.ARCHIVED:
            # An archived workflow starts no runs. The campaign keeps its
            # place and looks again later, so unarchiving resumes it.
            campaign.claimed_until = None
            campaign.next_batch_at = now + datetime.timedelta(seconds=BATCH_INTERVAL_S)
            campaign.save(update_fields=["claimed_until", "next_batch_at"])
            return "workflow_archived"

        size = math.ceil(campaign.per_minute * BATCH_INTERVAL_S / 60)
        batch = campaign.contact_ids[campaign.position : campaign.position + size]
        contacts = Contact.objects.in_bulk(batch)
        for contact_id in batch:
            contact = contacts.get(contact_id)
            run = None
            if contact is not None:
                run = start_run(
                    campaign.workflow,
                    contact,
                    {"campaign": {"id": campaign.pk, "name": campaign.name}},
                    trigger_key=f"campaign:{campaign.pk}:{contact_id}",
                )
            if run is None:
                campaign.skipped += 1
            else:
                campaign.started += 1
        campaign.position += len(batch)
        campaign.claimed_until = None
        campaign.next_batch_at = now + datetime.timedelta(seconds=BATCH_INTERVAL_S)
        if campaign.position >= len(campaign.contact_ids):
            campaign.status = Campaign.Status.COMPLETED
            campaign.finished_at = now
        campaign.save()
    return campaign.status


def set_campaign_status(campaign: Campaign, status: str) -> Campaign:
    """Pause, resume or cancel a campaign that has not finished."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
        if campaign.status in (Campaign.Status.COMPLETED, Campaign.Status.CANCELLED):
            raise CampaignFinished(status=campaign.get_status_display().lower())
        campaign.status = status
        if status == Campaign.Status.CANCELLED:
            campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "finished_at"])
    return campaign


def claim_due_campaigns(limit: int = 50) -> int:
    return claim_due(
        lambda now: Campaign.objects.filter(
            status=Campaign.Status.RUNNING, next_batch_at__lte=now
        ),
        order_by="next_batch_at",
        task="workflows.tasks.advance_campaign",
        lease_s=settings.STEP_CLAIM_LEASE_S,
        limit=limit,
    )
