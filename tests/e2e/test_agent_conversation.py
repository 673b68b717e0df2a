"""The SMS agent end to end: the simulator's handset talks to the demo's agent.

The seeded appointment workflow runs in a real worker with the offline
provider; the operator plays the contact in the simulator page.
"""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import eventually
from tests.e2e.test_simulator import sign_in
from tests.factories import make_contact, make_user, make_workspace
from tests.messaging import make_local_sender, opt_in
from thoughtflow.models import Role
from workflows.models import Run
from workflows.services import import_workflow, publish

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "workflows"
    / "examples"
    / "appointment-confirmation.json"
)
# The agent's first call in a fresh worker imports litellm, which takes seconds.
AGENT_TIMEOUT_MS = 60_000


def test_a_contact_reschedules_with_the_agent_from_the_handset(
    page: Page, live_server_url, live_worker, screenshot
):
    workspace = make_workspace("Acme Home Services")
    make_user("olivia", workspace=workspace, role=Role.OPERATOR)
    make_local_sender(workspace, "+15005550006")
    contact = make_contact(
        workspace,
        first_name="Jordan",
        phone="+13125550102",
        custom_fields={"appointment_at": "2030-03-05T10:00:00-06:00"},
    )
    opt_in(contact)
    publish(import_workflow(workspace, json.loads(EXAMPLE.read_text())))

    sign_in(page, live_server_url, "olivia")
    page.goto(f"{live_server_url}/simulator/?contact={contact.pk}")
    handset = page.get_by_test_id("handset")
    compose = page.get_by_test_id("compose-input")

    compose.fill("APPT")
    compose.press("Enter")
    expect(handset).to_contain_text(
        "Can you still make your appointment on Tue Mar 5 at 10:00 AM?",
        timeout=AGENT_TIMEOUT_MS,
    )

    compose.fill("Is this a bot?")
    compose.press("Enter")
    expect(handset).to_contain_text("automated assistant", timeout=AGENT_TIMEOUT_MS)

    compose.fill("Can we do Thursday at 3pm instead?")
    compose.press("Enter")
    run = eventually(
        lambda: Run.objects.filter(contact=contact, status="completed").first(),
        timeout_s=AGENT_TIMEOUT_MS / 1000,
    )
    step = run.steps.get(node_id="confirm")
    assert step.port == "rescheduled"
    assert step.output["fields"]["appointment_at"].endswith("T15:00:00-06:00")
    contact.refresh_from_db()
    assert (
        contact.custom_fields["appointment_at"]
        == (step.output["fields"]["appointment_at"])
    )
    screenshot("agent-rescheduled-from-the-handset")
