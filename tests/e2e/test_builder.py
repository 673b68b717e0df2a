"""The builder end to end: an operator composes, fixes, publishes and tests.

Starting from an empty canvas, the operator drags steps from the palette,
draws edges from their ports with the mouse, uses keyboard shortcuts,
fills the forms, fixes what validation reports, publishes, talks to the
draft's agent as the contact in the test panel's handset, and opens the run
to see its path on the graph. A screenshot of each stage goes to
test-results/.
"""

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import eventually, texting_workspace
from tests.e2e.test_simulator import sign_in
from workflows.models import Run, Workflow

pytestmark = pytest.mark.django_db(transaction=True)

# The agent's first call in a fresh worker imports litellm, which takes seconds.
AGENT_TIMEOUT_MS = 60_000


@pytest.fixture
def operator_workspace():
    return texting_workspace("Acme Roofing")


def drop_from_palette(page: Page, kind: str, x: float, y: float) -> None:
    """Drag a palette entry onto the canvas at (x, y) of the canvas."""
    page.get_by_test_id(f"palette-{kind}").drag_to(
        page.locator(".react-flow__pane"), target_position={"x": x, "y": y}
    )


def draw_edge(page: Page, source: Locator, target: Locator) -> None:
    """Draw an edge with the mouse, from a port's handle to a step."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 10, steps=12)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 4, steps=4)
    page.mouse.up()


def field(page: Page, path: str) -> Locator:
    return page.get_by_test_id("inspector").locator(f'[data-field-path="{path}"]')


def test_an_operator_builds_publishes_and_tests_a_workflow(
    page: Page, live_server_url, live_worker, operator_workspace, screenshot
):
    workspace, contact = operator_workspace
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server_url, "olivia")

    # A blank workflow from the list.
    page.goto(f"{live_server_url}/builder/")
    page.get_by_test_id("new-workflow-name").fill("Quote callback")
    page.get_by_test_id("create-workflow").click()
    expect(page.get_by_test_id("editor")).to_be_visible()
    workflow = Workflow.objects.get(workspace=workspace, name="Quote callback")
    screenshot("builder-1-empty-canvas")

    # Three steps dragged from the palette.
    drop_from_palette(page, "trigger", 300, 80)
    trigger = page.get_by_test_id("step-trigger_1")
    expect(trigger).to_be_visible()
    field(page, "config.type").select_option("manual")

    drop_from_palette(page, "agent_sms", 300, 260)
    agent = page.get_by_test_id("step-agent_sms_1")
    expect(agent).to_be_visible()
    page.get_by_test_id("node-label").fill("Confirm the callback")
    field(page, "config.goal").fill(
        "Find out whether the contact still wants a call back about their quote."
    )
    page.get_by_role("button", name="Add outcome").click()
    # A name the engine refuses, to be caught and fixed below.
    field(page, "config.outcomes.0.name").fill("Wants call")
    field(page, "config.outcomes.0.description").fill(
        "They confirm they want the call."
    )
    # The new outcome is a port of the step on the canvas at once.
    expect(agent.get_by_test_id("port-agent_sms_1-Wants call")).to_be_visible()

    drop_from_palette(page, "end", 300, 480)
    end = page.get_by_test_id("step-end_1")
    expect(end).to_be_visible()
    field(page, "config.result").fill("called back")

    # Edges drawn with the mouse from the ports' handles.
    draw_edge(page, trigger.get_by_test_id("port-trigger_1-next"), agent)
    draw_edge(page, agent.get_by_test_id("port-agent_sms_1-Wants call"), end)
    expect(page.locator(".react-flow__edge")).to_have_count(2)

    # The keyboard: duplicate the end step, then undo and redo it.
    end.click()
    page.keyboard.press("Control+d")
    expect(page.get_by_test_id("step-end_2")).to_be_visible()
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("step-end_2")).to_have_count(0)
    page.keyboard.press("Control+Shift+z")
    expect(page.get_by_test_id("step-end_2")).to_be_visible()
    # Copy and paste everything (a trigger is never copied), then undo it.
    steps = page.locator(".react-flow__node")
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(steps).to_have_count(7)
    page.keyboard.press("Control+z")
    expect(steps).to_have_count(4)
    page.keyboard.press("l")  # auto-layout
    screenshot("builder-2-steps-and-edges")

    # Validation reports the bad name at its field and the open ports.
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    expect(page.get_by_test_id("problem-count")).not_to_have_text("No problems")
    page.get_by_test_id("tab-problems").click()
    page.get_by_role("button", name="lowercase letters").first.click()
    outcome_name = field(page, "config.outcomes.0.name")
    expect(outcome_name).to_be_focused()
    expect(
        page.get_by_test_id("config.outcomes.0.name").get_by_test_id("field-problems")
    ).to_be_visible()
    screenshot("builder-3-validation-problem")

    outcome_name.fill("wants_call")
    # The port takes the outcome's new name, and its edge goes with it.
    expect(page.get_by_test_id("route-wants_call")).to_have_value("end_1")
    for port in ("timeout", "handoff", "opted_out"):
        page.get_by_test_id(f"route-{port}").select_option(label="Ends the run")
    page.get_by_test_id("step-end_2").click()
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("step-end_2")).to_have_count(0)
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    expect(page.get_by_test_id("problem-count")).to_have_text("No problems")

    # Publishing shows what changed, then numbers the version.
    page.get_by_role("button", name="Publish…").click()
    expect(page.get_by_test_id("publish-diff")).to_contain_text(
        "Added Confirm the callback (SMS agent)"
    )
    screenshot("builder-4-publish")
    page.get_by_test_id("confirm-publish").click()
    expect(page.get_by_test_id("published-version")).to_have_text("Published v1")
    assert workflow.versions.filter(number=1).exists()

    # The test panel runs the draft; the operator answers as the contact.
    page.get_by_test_id("tab-test").click()
    page.get_by_test_id("test-contact").select_option(str(contact.pk))
    page.get_by_test_id("start-test").click()
    handset = page.get_by_test_id("handset")
    expect(handset.locator(".bubble--received")).to_have_count(
        1, timeout=AGENT_TIMEOUT_MS
    )
    expect(agent).to_have_attribute("data-run-status", "waiting")
    compose = page.get_by_test_id("compose-input")
    compose.fill("Yes please, that works for me")
    compose.press("Enter")
    expect(page.get_by_test_id("test-run-status")).to_have_text(
        "completed", timeout=AGENT_TIMEOUT_MS
    )
    expect(agent).to_have_attribute("data-run-status", "succeeded")
    expect(end).to_have_attribute("data-run-status", "succeeded")
    screenshot("builder-5-test-conversation")

    run = eventually(lambda: Run.objects.filter(contact=contact).first())
    assert run.status == Run.Status.COMPLETED
    assert run.steps.get(node_id="agent_sms_1").port == "wants_call"

    # The run opened from the runs list shows its path and each step.
    page.get_by_test_id("tab-runs").click()
    page.get_by_test_id(f"run-{run.pk}").click()
    detail = page.get_by_test_id("run-detail")
    expect(detail.get_by_test_id("run-status")).to_have_text("completed")
    timeline = detail.get_by_test_id("step-timeline")
    expect(timeline).to_contain_text("agent_sms_1")
    expect(timeline).to_contain_text("wants_call")
    expect(trigger).to_have_attribute("data-run-status", "succeeded")
    screenshot("builder-6-run-path")

    # Filters: by the contact of the open run, and by status.
    detail.get_by_role("button", name="Only Jordan\u2019s runs").click()
    expect(page.get_by_test_id("run-contact-filter")).to_contain_text("Jordan")
    expect(page.get_by_test_id(f"run-{run.pk}")).to_be_visible()
    page.get_by_test_id("run-status-filter").select_option("failed")
    expect(page.get_by_text("No runs match.")).to_be_visible()


def test_the_workflow_list_creates_imports_duplicates_and_archives(
    page: Page, live_server_url, operator_workspace, screenshot, tmp_path
):
    workspace, _ = operator_workspace
    sign_in(page, live_server_url, "olivia")
    page.goto(f"{live_server_url}/builder/")
    expect(page.get_by_text("No workflows yet")).to_be_visible()

    # From a template: the editor opens on its steps, ready to publish.
    page.get_by_test_id("new-workflow-template").select_option("quote-follow-up")
    page.get_by_test_id("create-workflow").click()
    expect(page.get_by_test_id("editor")).to_be_visible()
    expect(page.locator(".react-flow__node").first).to_be_visible()
    expect(page.get_by_test_id("problem-count")).to_have_text("No problems")
    screenshot("builder-from-template")
    quote = Workflow.objects.get(workspace=workspace)

    # The template's agent comes with test conversations; they all pass, and
    # each shows its transcript.
    page.get_by_test_id("tab-test").click()
    page.get_by_role("button", name="Run agent tests").click()
    expect(page.get_by_test_id("agent-test-summary")).to_have_text(
        "7 passed, 0 failed", timeout=AGENT_TIMEOUT_MS
    )
    page.get_by_text("Pass: Accepts straight away").click()
    expect(page.locator(".agent-tests__transcript").first).to_contain_text("Contact:")
    screenshot("builder-agent-tests")

    # An exported file imports as a new workflow.
    page.goto(f"{live_server_url}/builder/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export").click()
    exported = tmp_path / "exported.json"
    download.value.save_as(exported)
    page.get_by_label("Import JSON…").set_input_files(exported)
    expect(page.get_by_test_id("editor")).to_be_visible()
    assert Workflow.objects.filter(workspace=workspace).count() == 2

    # Duplicate and archive from the list.
    page.goto(f"{live_server_url}/builder/")
    table = page.get_by_test_id("workflows")
    expect(table.locator("tbody tr")).to_have_count(2)
    table.locator("tbody tr").first.get_by_role("button", name="Duplicate").click()
    expect(table.locator("tbody tr")).to_have_count(3)
    row = table.locator("tbody tr", has=page.locator(f'a[href="/builder/{quote.pk}/"]'))
    row.get_by_role("button", name="Archive").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    quote.refresh_from_db()
    assert quote.status == Workflow.Status.ARCHIVED
    page.get_by_label("Show archived").check()
    expect(table.locator("tbody tr")).to_have_count(3)
    screenshot("builder-list")


def test_a_second_editor_cannot_overwrite_the_first(
    page: Page, live_server_url, operator_workspace
):
    workspace, _ = operator_workspace
    sign_in(page, live_server_url, "olivia")
    page.goto(f"{live_server_url}/builder/")
    page.get_by_test_id("create-workflow").click()
    expect(page.get_by_test_id("editor")).to_be_visible()
    editor_url = page.url
    other = page.context.new_page()
    other.goto(editor_url)
    expect(other.get_by_test_id("editor")).to_be_visible()

    drop_from_palette(page, "trigger", 300, 120)
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")

    drop_from_palette(other, "end", 300, 300)
    conflict = other.get_by_test_id("conflict")
    expect(conflict).to_contain_text("saved")
    workflow = Workflow.objects.get(workspace=workspace)
    assert [node["kind"] for node in workflow.draft["nodes"]] == ["trigger"]

    # Reloading shows the other person's work, and edits save again.
    conflict.get_by_role("button", name="Reload").click()
    expect(other.get_by_test_id("step-trigger_1")).to_be_visible()
    drop_from_palette(other, "end", 300, 300)
    expect(other.get_by_test_id("save-status")).to_have_text("All changes saved")
    workflow.refresh_from_db()
    assert [node["kind"] for node in workflow.draft["nodes"]] == ["trigger", "end"]
