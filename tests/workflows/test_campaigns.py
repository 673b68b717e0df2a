"""Campaigns start a workflow for a list of contacts, paced and resumable."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import make_contact
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node
from workflows.engine.campaigns import advance_campaign, claim_due_campaigns
from workflows.models import Campaign, Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    state = {"now": timezone.now()}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


@pytest.fixture
def workflow(cast):
    return make_workflow(
        cast.workspace,
        [node("start", "trigger", type="manual"), node("done", "end", result="ok")],
        [edge("start", "next", "done")],
    )


def _tick(clock, seconds: float = 10) -> None:
    clock["now"] += datetime.timedelta(seconds=seconds)
    claim_due_campaigns()
    run_queued_tasks()


def test_campaign_starts_runs_in_paced_batches(key_client, cast, workflow, clock):
    contacts = [
        make_contact(cast.workspace, phone=f"+1212555{n:04d}", tags=["spring"])
        for n in range(15)
    ]

    response = key_client.post(
        f"/api/workflows/{workflow.pk}/campaign/",
        {"tag": "spring", "per_minute": 30},
        format="json",
    )
    _tick(clock, 1)
    after_first = Run.objects.count()
    _tick(clock)
    _tick(clock)

    assert response.status_code == 201
    assert response.data["total"] == 15
    assert after_first == 5  # 30 a minute: 5 every 10 seconds.
    campaign = Campaign.objects.get()
    assert (campaign.status, campaign.started, campaign.position) == (
        "completed",
        15,
        15,
    )
    assert set(Run.objects.values_list("contact_id", flat=True)) == {
        c.pk for c in contacts
    }


def test_a_repeated_batch_starts_no_run_twice(cast, workflow, clock):
    from workflows.engine.campaigns import create_campaign

    contacts = [
        make_contact(cast.workspace, phone=f"+1212555{n:04d}") for n in range(3)
    ]
    campaign = create_campaign(workflow, [c.pk for c in contacts], per_minute=60)

    advance_campaign(campaign.pk)
    # A worker died after starting the runs but before saving the position.
    Campaign.objects.filter(pk=campaign.pk).update(
        position=0, status="running", next_batch_at=clock["now"]
    )
    advance_campaign(campaign.pk)

    assert Run.objects.count() == 3


def test_pause_resume_and_cancel(key_client, cast, workflow, clock):
    contacts = [
        make_contact(cast.workspace, phone=f"+1212555{n:04d}") for n in range(20)
    ]
    created = key_client.post(
        f"/api/workflows/{workflow.pk}/campaign/",
        {"contacts": [c.pk for c in contacts], "per_minute": 6},
        format="json",
    ).data

    key_client.post(f"/api/campaigns/{created['id']}/pause/")
    _tick(clock, 1)
    paused_runs = Run.objects.count()
    key_client.post(f"/api/campaigns/{created['id']}/resume/")
    _tick(clock, 1)
    cancelled = key_client.post(f"/api/campaigns/{created['id']}/cancel/")
    again = key_client.post(f"/api/campaigns/{created['id']}/resume/")

    assert paused_runs == 0
    assert Run.objects.count() == 1
    assert cancelled.data["status"] == "cancelled"
    assert again.status_code == 409


def test_campaign_ignores_contacts_of_other_workspaces(key_client, cast, workflow):
    foreign = make_contact(cast.other, phone="+12125550199")

    response = key_client.post(
        f"/api/workflows/{workflow.pk}/campaign/",
        {"contacts": [foreign.pk]},
        format="json",
    )

    assert response.status_code == 400
    assert response.data["code"] == "empty_campaign"
