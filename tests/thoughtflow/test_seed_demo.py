import json

import pytest
from django.core.management import call_command
from django.test import Client

from conversations.models import ConsentRecord, RecipientState
from integrations.crm.models import Contact
from integrations.twilio.models import Sender
from thoughtflow.management.commands.seed_demo import DEMO_PASSWORD
from thoughtflow.models import Membership, User, Workspace

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    call_command("seed_demo")

    assert Workspace.objects.count() == 2
    assert User.objects.count() == 3
    assert Membership.objects.count() == 4
    assert Contact.objects.count() == 5
    assert Sender.objects.get().account.kind == "local"
    assert RecipientState.objects.filter(consent="opted_in").count() == 5
    assert ConsentRecord.objects.count() == 5


def test_seed_demo_uses_a_twilio_account_from_the_environment(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "2" * 32
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_FROM_NUMBER = "+14155550100"

    call_command("seed_demo")
    call_command("seed_demo")

    default = Sender.objects.get(is_default=True)
    assert (default.phone_number, default.account.kind) == ("+14155550100", "twilio")
    assert default.account.auth_token == "secret-token"
    assert Sender.objects.count() == 2


def test_demo_users_can_sign_in_and_see_their_workspace():
    call_command("seed_demo")
    client = Client()

    signed_in = client.post(
        "/login/", {"username": "operator", "password": DEMO_PASSWORD}, follow=True
    )

    assert b"Acme Home Services" in signed_in.content
    assert b"operator in this workspace" in signed_in.content


def test_seed_demo_refuses_production_mode(settings):
    settings.PRODUCTION = True

    with pytest.raises(Exception, match="refuses to run with PRODUCTION on"):
        call_command("seed_demo")


def test_demo_workflow_runs_from_a_text_to_a_resolved_handoff(
    django_capture_on_commit_callbacks,
):
    from django.test import Client

    from tests.messaging import inbound_form, post_signed
    from tests.tasks import run_queued_tasks
    from workflows.engine.runs import resolve_handoff
    from workflows.models import Handoff, Run

    call_command("seed_demo")
    sender = Sender.objects.get()
    maya = Contact.objects.get(first_name="Maya")

    form = inbound_form(sender, maya.phone, "Quote for a new roof please")
    post_signed(Client(), "/webhooks/twilio/sms", form, sender.account.auth_token)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    run_queued_tasks()
    handoff = Handoff.objects.get()
    resolve_handoff(handoff, "booked")
    run_queued_tasks()

    run = Run.objects.get()
    assert (run.status, run.result) == ("completed", "handled")
    assert "Quote for a new roof please" in handoff.note
    acknowledgement = maya.messages.get(direction="outbound")
    assert acknowledgement.body.startswith("Thanks Maya!")
    assert "quote-booked" in maya.tags.values_list("name", flat=True)
    assert maya.deals.get().stage == "won"


def test_seed_demo_publishes_every_example_workflow():
    from workflows.catalog import EXAMPLES_DIR
    from workflows.models import Workflow

    call_command("seed_demo")

    names = {
        json.loads(path.read_text())["name"] for path in EXAMPLES_DIR.glob("*.json")
    }
    published = set(
        Workflow.objects.exclude(published_version=None).values_list("name", flat=True)
    )
    assert "Quote follow-up" in names
    assert names <= published
