"""Archiving a workflow: no trigger starts it, running runs carry on."""

import pytest
from django.test import Client

from integrations.crm import services as crm
from tests.factories import make_contact
from tests.messaging import ACCOUNT_SID, AUTH_TOKEN, inbound_form, post_signed
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from workflows.engine import campaigns
from workflows.engine.runs import resolve_handoff
from workflows.models import Campaign, Handoff, Run, Workflow

pytestmark = pytest.mark.django_db


def simple(workspace, trigger, **fields):
    return make_workflow(
        workspace,
        [trigger, node("done", "end", result="done")],
        [edge("start", "next", "done")],
        **fields,
    )


def archive(client, workflow, status="archived"):
    response = client.patch(
        f"/api/workflows/{workflow.pk}/", {"status": status}, format="json"
    )
    assert response.status_code == 200, response.data
    return response


def test_archiving_and_unarchiving_through_the_api(key_client, cast):
    workflow = simple(cast.workspace, webhook_trigger())

    archived = archive(key_client, workflow)
    listed = key_client.get("/api/workflows/", {"status": "archived"})
    restored = archive(key_client, workflow, "active")

    assert archived.data["status"] == "archived"
    assert [w["id"] for w in listed.data["results"]] == [workflow.pk]
    assert restored.data["status"] == "active"
    assert restored.data["published_version"] == 1


def test_agents_cannot_archive(api, cast):
    workflow = simple(cast.workspace, webhook_trigger())
    api.force_login(cast.agent)

    response = api.patch(
        f"/api/workflows/{workflow.pk}/", {"status": "archived"}, format="json"
    )

    assert response.status_code == 403
    workflow.refresh_from_db()
    assert workflow.status == Workflow.Status.ACTIVE


def test_a_webhook_of_an_archived_workflow_is_not_found(key_client, cast):
    workflow = simple(cast.workspace, webhook_trigger())
    web = Client()
    url = f"/hooks/{workflow.hook_token}"

    archive(key_client, workflow)
    refused = web.post(url, {"phone": "+14155550123"})
    archive(key_client, workflow, "active")
    accepted = web.post(url, {"phone": "+14155550123"})

    assert refused.status_code == 404
    assert refused.json()["code"] == "unknown_hook"
    assert accepted.status_code == 202
    assert Run.objects.count() == 1


def test_an_inbound_text_starts_no_archived_workflow(
    key_client, cast, sender, django_capture_on_commit_callbacks
):
    workflow = simple(
        cast.workspace, node("start", "trigger", type="inbound_sms", keyword="quote")
    )
    web = Client()

    def text(phone):
        form = inbound_form(sender, phone, "Quote please")
        post_signed(web, "/webhooks/twilio/sms", form, AUTH_TOKEN)
        with django_capture_on_commit_callbacks(execute=True):
            run_queued_tasks()
        run_queued_tasks()

    archive(key_client, workflow)
    text("+12125550150")
    archive(key_client, workflow, "active")
    text("+12125550151")

    [run] = Run.objects.all()
    assert run.contact.phone == "+12125550151"


def test_a_missed_call_starts_no_archived_workflow(key_client, cast, sender):
    workflow = simple(cast.workspace, node("start", "trigger", type="missed_call"))
    web = Client()

    def call(sid):
        form = {
            "CallSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": "+13125550177",
            "To": sender.phone_number,
            "CallStatus": "no-answer",
        }
        assert post_signed(
            web, "/webhooks/twilio/voice/status", form, AUTH_TOKEN
        ).status_code == (204)
        run_queued_tasks()

    archive(key_client, workflow)
    call("CA" + "1" * 32)
    archive(key_client, workflow, "active")
    call("CA" + "2" * 32)

    [run] = Run.objects.all()
    assert run.context["trigger"]["call"]["sid"] == "CA" + "2" * 32


def test_crm_events_start_no_archived_workflow(
    key_client, cast, django_capture_on_commit_callbacks
):
    created = simple(
        cast.workspace, node("start", "trigger", type="contact_created"), name="New"
    )
    tagged = simple(
        cast.workspace,
        node("start", "trigger", type="contact_tagged", tag="vip"),
        name="VIP",
    )
    archive(key_client, created)
    archive(key_client, tagged)

    with django_capture_on_commit_callbacks(execute=True):
        contact = make_contact(cast.workspace, phone="+12125550160")
    with django_capture_on_commit_callbacks(execute=True):
        crm.update_contact(contact, {"tags": ["vip"]})
    archive(key_client, tagged, "active")
    with django_capture_on_commit_callbacks(execute=True):
        crm.update_contact(contact, {"tags": []})
    with django_capture_on_commit_callbacks(execute=True):
        crm.update_contact(contact, {"tags": ["vip"]})
    run_queued_tasks()

    assert list(Run.objects.values_list("workflow__name", flat=True)) == ["VIP"]


def test_a_manual_start_of_an_archived_workflow_is_refused(key_client, cast):
    workflow = simple(cast.workspace, node("start", "trigger", type="manual"))
    contact = make_contact(cast.workspace, phone="+12125550161")
    archive(key_client, workflow)

    response = key_client.post(
        f"/api/workflows/{workflow.pk}/start/", {"contact": contact.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.data["code"] == "workflow_archived"
    assert "Set its status back to active" in response.data["detail"]
    assert not Run.objects.exists()


def test_no_campaign_starts_an_archived_workflow(key_client, cast):
    workflow = simple(cast.workspace, node("start", "trigger", type="manual"))
    contacts = [
        make_contact(cast.workspace, phone=f"+1212555017{n}").pk for n in range(2)
    ]
    campaign = campaigns.create_campaign(workflow, contacts)
    archive(key_client, workflow)

    refused = key_client.post(
        f"/api/workflows/{workflow.pk}/campaign/", {"contacts": contacts}, format="json"
    )
    paused = campaigns.advance_campaign(campaign.pk)
    campaign.refresh_from_db()
    position_while_archived = campaign.position
    archive(key_client, workflow, "active")
    Campaign.objects.filter(pk=campaign.pk).update(next_batch_at=campaign.created_at)
    resumed = campaigns.advance_campaign(campaign.pk)

    assert refused.status_code == 409
    assert refused.data["code"] == "workflow_archived"
    assert paused == "workflow_archived"
    assert position_while_archived == 0
    assert resumed == Campaign.Status.COMPLETED
    assert Run.objects.count() == 2


def test_running_runs_carry_on_after_archiving(key_client, cast):
    workflow = make_workflow(
        cast.workspace,
        [
            node("start", "trigger", type="manual"),
            node("human", "human_handoff", outcomes=["booked", "lost"]),
        ],
        [
            edge("start", "next", "human"),
            edge("human", "booked", None),
            edge("human", "lost", None),
        ],
    )
    contact = make_contact(cast.workspace, phone="+12125550162")
    key_client.post(
        f"/api/workflows/{workflow.pk}/start/", {"contact": contact.pk}, format="json"
    )
    run_queued_tasks()

    archive(key_client, workflow)
    resolve_handoff(Handoff.objects.get(), "booked")
    run_queued_tasks()

    run = Run.objects.get()
    assert (run.status, run.result) == (Run.Status.COMPLETED, "booked")
