"""A test run's agent step hears the contact's replies like a live run's."""

import pytest

from conversations.models import Message
from tests.workflows.agent.flows import agent_workflow
from workflows.models import Run, Step

pytestmark = pytest.mark.django_db


def test_the_contacts_reply_reaches_the_test_run(
    key_client, cast, customer, clock, text_in, settle
):
    workflow = agent_workflow(cast.workspace)

    response = key_client.post(
        f"/api/workflows/{workflow.pk}/test-runs/",
        {"contact": customer.pk, "payload": {"form": {}}},
        format="json",
    )
    settle()
    run = Run.objects.get(pk=response.data["id"])
    waiting = run.steps.get(node_id="ask").status
    text_in(customer, "Yes, I'll be there")

    run.refresh_from_db()
    assert response.data["is_test"] is True
    assert waiting == Step.Status.WAITING
    assert (run.status, run.result) == (Run.Status.COMPLETED, "confirmed")
    assert run.steps.get(node_id="ask").output["turns"] == 1
    replies = Message.objects.filter(
        contact=customer, direction=Message.Direction.OUTBOUND
    )
    assert replies.count() == 2, "the opening text and the answer"
