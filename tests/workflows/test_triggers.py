"""Every trigger starts runs: webhooks, inbound texts, missed calls, CRM events."""

import hashlib
import hmac
import json

import pytest
from django.test import Client

from integrations.crm import services as crm
from integrations.crm.models import Contact
from tests.factories import make_contact
from tests.messaging import ACCOUNT_SID, AUTH_TOKEN, inbound_form, post_signed
from tests.tasks import run_queued_tasks
from tests.workflows.builders import edge, make_workflow, node, webhook_trigger
from workflows.models import Run

pytestmark = pytest.mark.django_db


def ending(trigger: dict, result: str = "done") -> tuple[list, list]:
    return [trigger, node("done", "end", result=result)], [
        edge("start", "next", "done")
    ]


@pytest.fixture
def web():
    return Client()


def test_webhook_creates_the_contact_and_starts_a_run(web, cast):
    workflow = make_workflow(cast.workspace, *ending(webhook_trigger()))

    response = web.post(
        f"/hooks/{workflow.hook_token}",
        {"phone": "(415) 555-0123", "name": "Priya", "message": "Quote please"},
        content_type="application/json",
    )
    run_queued_tasks()

    assert response.status_code == 202
    run = Run.objects.get(pk=response.json()["run_id"])
    assert run.status == Run.Status.COMPLETED
    assert run.context["trigger"]["form"]["message"] == "Quote please"
    contact = Contact.objects.get()
    assert (contact.phone, contact.first_name) == ("+14155550123", "Priya")


def test_webhook_accepts_a_form_post_and_dedupes_by_idempotency_key(web, cast):
    workflow = make_workflow(
        cast.workspace, *ending(webhook_trigger()), active_run_policy="queue"
    )

    first = web.post(
        f"/hooks/{workflow.hook_token}",
        {"phone": "+14155550123"},
        HTTP_IDEMPOTENCY_KEY="form-7",
    )
    again = web.post(
        f"/hooks/{workflow.hook_token}",
        {"phone": "+14155550123"},
        HTTP_IDEMPOTENCY_KEY="form-7",
    )

    assert first.json()["run_id"] == again.json()["run_id"]
    assert Run.objects.count() == 1


def test_webhook_checks_its_hmac_signature(web, cast):
    workflow = make_workflow(cast.workspace, *ending(webhook_trigger(secret="s3cret")))
    body = json.dumps({"phone": "+14155550123"}).encode()
    good = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()

    refused = web.post(
        f"/hooks/{workflow.hook_token}",
        body,
        content_type="application/json",
        HTTP_X_THOUGHTFLOW_SIGNATURE="sha256=" + "0" * 64,
    )
    accepted = web.post(
        f"/hooks/{workflow.hook_token}",
        body,
        content_type="application/json",
        HTTP_X_THOUGHTFLOW_SIGNATURE=f"sha256={good}",
    )

    assert refused.status_code == 401
    assert "HMAC-SHA256" in refused.json()["detail"]
    assert accepted.status_code == 202


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "No phone"}, 400, "invalid_contact"),
        ({"phone": "12"}, 400, "invalid_contact"),
    ],
)
def test_webhook_reports_bad_payloads(web, cast, body, status, code):
    workflow = make_workflow(cast.workspace, *ending(webhook_trigger()))

    response = web.post(
        f"/hooks/{workflow.hook_token}", body, content_type="application/json"
    )

    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Run.objects.exists()


def test_unknown_or_unpublished_hook_is_not_found(web, cast):
    draft = make_workflow(cast.workspace, *ending(webhook_trigger()), publish=False)

    assert web.post("/hooks/nope", {}).status_code == 404
    assert web.post(f"/hooks/{draft.hook_token}", {}).status_code == 404


def test_inbound_text_from_a_number_without_a_run_starts_one(
    web, cast, sender, django_capture_on_commit_callbacks
):
    make_workflow(
        cast.workspace,
        *ending(node("start", "trigger", type="inbound_sms", keyword="quote")),
    )

    post_signed(
        web,
        "/webhooks/twilio/sms",
        inbound_form(sender, "+12125550150", "hello"),
        AUTH_TOKEN,
    )
    post_signed(
        web,
        "/webhooks/twilio/sms",
        inbound_form(sender, "+12125550151", "Quote pls"),
        AUTH_TOKEN,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    run_queued_tasks()

    [run] = Run.objects.all()
    assert run.contact.phone == "+12125550151"
    assert run.context["trigger"]["message"]["body"] == "Quote pls"


def test_stop_never_starts_a_run(
    web, cast, sender, fake_twilio, django_capture_on_commit_callbacks
):
    make_workflow(cast.workspace, *ending(node("start", "trigger", type="inbound_sms")))

    post_signed(
        web,
        "/webhooks/twilio/sms",
        inbound_form(sender, "+12125550150", "STOP"),
        AUTH_TOKEN,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()

    assert not Run.objects.exists()


def _call(web, sender, status, call_sid="CA" + "1" * 32):
    form = {
        "CallSid": call_sid,
        "AccountSid": ACCOUNT_SID,
        "From": "+13125550177",
        "To": sender.phone_number,
        "CallStatus": status,
        "Direction": "inbound",
    }
    return post_signed(web, "/webhooks/twilio/voice/status", form, AUTH_TOKEN)


def test_missed_call_starts_the_missed_call_workflow_once(web, cast, sender):
    make_workflow(cast.workspace, *ending(node("start", "trigger", type="missed_call")))

    first = _call(web, sender, "no-answer")
    repeat = _call(web, sender, "no-answer")
    answered = _call(web, sender, "completed", call_sid="CA" + "2" * 32)
    run_queued_tasks()

    assert (first.status_code, repeat.status_code, answered.status_code) == (
        204,
        204,
        204,
    )
    [run] = Run.objects.all()
    assert run.context["trigger"]["call"]["status"] == "no-answer"
    assert run.contact.activities.filter(kind="call").count() == 1


def test_missed_call_with_a_bad_signature_is_refused(web, cast, sender):
    form = {
        "CallSid": "CA1",
        "AccountSid": ACCOUNT_SID,
        "From": "+13125550177",
        "To": sender.phone_number,
        "CallStatus": "busy",
    }

    response = web.post(
        "/webhooks/twilio/voice/status", form, HTTP_X_TWILIO_SIGNATURE="x"
    )

    assert response.status_code == 403


def test_contact_created_and_tagged_triggers(cast, django_capture_on_commit_callbacks):
    make_workflow(
        cast.workspace,
        *ending(node("start", "trigger", type="contact_created"), result="welcome"),
        name="Welcome",
    )
    make_workflow(
        cast.workspace,
        *ending(
            node("start", "trigger", type="contact_tagged", tag="VIP"), result="vip"
        ),
        name="VIP",
    )

    with django_capture_on_commit_callbacks(execute=True):
        contact = make_contact(cast.workspace, phone="+12125550160")
    with django_capture_on_commit_callbacks(execute=True):
        crm.update_contact(contact, {"tags": ["vip"]})
    run_queued_tasks()

    assert sorted(Run.objects.values_list("result", flat=True)) == ["vip", "welcome"]


def test_manual_start_through_the_api(cast, key_client):
    workflow = make_workflow(
        cast.workspace, *ending(node("start", "trigger", type="manual"))
    )
    contact = make_contact(cast.workspace, phone="+12125550161")

    response = key_client.post(
        f"/api/workflows/{workflow.pk}/start/", {"contact": contact.pk}, format="json"
    )
    run_queued_tasks()

    assert response.status_code == 201
    assert Run.objects.get().status == Run.Status.COMPLETED


def test_form_consent_field_records_an_opt_in(web, cast):
    from conversations.models import ConsentRecord, RecipientState

    trigger = webhook_trigger(consent_field="form.sms_consent")
    workflow = make_workflow(cast.workspace, *ending(trigger))

    web.post(
        f"/hooks/{workflow.hook_token}", {"phone": "+14155550123", "sms_consent": "on"}
    )
    web.post(f"/hooks/{workflow.hook_token}", {"phone": "+14155550124"})

    [record] = ConsentRecord.objects.all()
    assert (record.source, record.channel) == ("web_form", "web")
    assert record.contact.phone == "+14155550123"
    assert RecipientState.objects.get(contact=record.contact).consent == "opted_in"
