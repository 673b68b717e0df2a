"""The inbox end to end: a contact asks for a person and an agent takes it.

Three browsers at once, as three people would be: an operator plays the
contact's phone in the simulator, an agent of the same workspace works the
inbox, and an agent of another workspace keeps their inbox open and must
see none of it. The seeded missed-call workflow runs in a real worker with
the offline model.
"""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import SCREENSHOTS, eventually, texting_workspace
from tests.e2e.test_simulator import sign_in
from tests.factories import make_user, make_workspace
from thoughtflow.models import Role
from workflows.models import Run
from workflows.services import import_workflow, publish

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "workflows"
    / "examples"
    / "missed-call-recovery.json"
)
# The agent's first call in a fresh worker imports litellm, which takes seconds.
AGENT_TIMEOUT_MS = 60_000
LIVE_MS = 15_000

# Records each browser notification the page shows, so the test can see it.
RECORD_NOTIFICATIONS = """
window.shownNotifications = [];
const Shown = window.Notification;
window.Notification = class extends Shown {
  constructor(title, options) {
    super(title, options);
    window.shownNotifications.push(title);
  }
};
"""


@pytest.fixture
def acme():
    workspace, contact = texting_workspace("Acme Home Services")
    make_user("agnes", workspace=workspace, role=Role.AGENT, first_name="Agnes")
    publish(import_workflow(workspace, json.loads(EXAMPLE.read_text())))
    return workspace, contact


def open_as(
    browser: Browser, base_url: str, username: str, path: str
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=base_url)
    context.grant_permissions(["notifications"], origin=base_url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    sign_in(page, base_url, username)
    page.goto(f"{base_url}{path}")
    return context, page


def test_an_agent_takes_over_a_handoff_and_the_run_goes_on(
    browser: Browser, live_server_url, live_worker, acme
):
    _, contact = acme
    make_user("gus", workspace=make_workspace("Globex"), role=Role.AGENT)
    SCREENSHOTS.mkdir(exist_ok=True)

    phone_context, phone = open_as(
        browser, live_server_url, "olivia", f"/simulator/?contact={contact.pk}"
    )
    agent_context, inbox = open_as(browser, live_server_url, "agnes", "/inbox/")
    other_context, elsewhere = open_as(
        browser, live_server_url, "gus", "/inbox/?view=open"
    )
    for page in (inbox, elsewhere):
        expect(page.get_by_test_id("connection")).to_have_text("Live")
    inbox.get_by_role("button", name="Turn on alerts").click()
    expect(inbox.get_by_role("button", name="Alerts on")).to_be_visible()

    # The contact calls, misses the business, and the agent texts back.
    handset = phone.get_by_test_id("handset")
    phone.get_by_test_id("missed-call").click()
    expect(handset).to_contain_text("Sam from Acme", timeout=AGENT_TIMEOUT_MS)
    compose = phone.get_by_test_id("compose-input")
    compose.fill("Could you call me back? <b>Soon</b> please")
    compose.press("Enter")

    # The handoff appears in the agent's "needs a human" view by itself.
    rows = inbox.get_by_test_id("conversation-list")
    expect(rows).to_contain_text("Jordan", timeout=AGENT_TIMEOUT_MS)
    expect(rows).to_contain_text("Needs a human")
    notified = eventually(
        lambda: inbox.evaluate("window.shownNotifications") or None, timeout_s=10
    )
    assert notified == ["Jordan needs a person"]
    rows.get_by_text("Jordan").click()
    thread = inbox.get_by_test_id("thread")
    # The contact's HTML is shown as the text it is.
    expect(thread).to_contain_text("<b>Soon</b> please")
    expect(thread.locator("b")).to_have_count(0)
    expect(inbox.get_by_test_id("handoff")).to_contain_text("Outcomes: booked")
    expect(inbox.get_by_test_id("run-path")).to_contain_text("Missed-call recovery")
    inbox.screenshot(path=str(SCREENSHOTS / "inbox-handoff.png"))

    inbox.get_by_role("button", name="Take over").click()
    expect(inbox.get_by_test_id("conversation-state")).to_have_text("Person")
    expect(thread).to_contain_text("Taken over · assigned to Agnes")
    reply = inbox.get_by_label("Reply to the contact")
    reply.fill("Hi Jordan, this is Agnes. I can call you at 4pm today.")
    reply.press("Enter")

    expect(handset).to_contain_text("this is Agnes", timeout=LIVE_MS)
    sent = thread.locator(".message--user").last
    expect(sent).to_contain_text("I can call you at 4pm today.")
    # Delivery ticks move on as the carrier's callbacks arrive.
    expect(sent.locator(".tick")).to_contain_text("Delivered", timeout=LIVE_MS)

    inbox.get_by_role("button", name="Resolve", exact=True).click()
    inbox.get_by_label("booked").check()
    inbox.get_by_role("button", name="Resolve with this outcome").click()
    expect(inbox.get_by_test_id("conversation-state")).to_have_text("Resolved")

    run = eventually(
        lambda: Run.objects.filter(contact=contact, status="completed").first(),
        timeout_s=LIVE_MS / 1000,
    )
    assert run.steps.get(node_id="person").port == "booked"
    assert run.result == "handled"
    inbox.screenshot(path=str(SCREENSHOTS / "inbox-resolved.png"))

    # The other workspace's agent saw none of it, live or after a reload.
    expect(elsewhere.get_by_test_id("conversation-list")).to_be_empty()
    assert "Jordan" not in elsewhere.content()
    elsewhere.reload()
    expect(elsewhere.get_by_test_id("connection")).to_have_text("Live")
    expect(elsewhere.get_by_text("No conversations in all open.")).to_be_visible()
    assert "Jordan" not in elsewhere.content()
    assert elsewhere.evaluate("window.shownNotifications") == []

    for context in (phone_context, agent_context, other_context):
        context.close()
