"""The simulator's handset calls the business: a missed call, signed like Twilio's."""

import pytest
from rest_framework.test import APIClient

from integrations.crm.models import Activity
from tests.factories import make_contact
from tests.messaging import make_local_sender
from tests.workflows.builders import edge, make_workflow, node
from workflows.models import Run

pytestmark = pytest.mark.django_db


def test_a_missed_call_from_the_handset_starts_the_missed_call_workflow(cast):
    make_local_sender(cast.workspace, "+15005550006")
    contact = make_contact(cast.workspace, first_name="Maya", phone="+12125550160")
    workflow = make_workflow(
        cast.workspace,
        [node("start", "trigger", type="missed_call"), node("done", "end")],
        [edge("start", "next", "done")],
    )
    client = APIClient()
    client.force_login(cast.operator)

    response = client.post(f"/simulator/api/threads/{contact.pk}/calls/")

    assert response.status_code == 201, response.content
    assert response.data["call_sid"].startswith("CA")
    run = Run.objects.get(workflow=workflow, contact=contact)
    assert run.context["trigger"]["call"]["status"] == "no-answer"
    assert contact.activities.filter(kind=Activity.Kind.CALL).count() == 1


def test_only_operators_place_calls_and_only_to_their_contacts(cast):
    make_local_sender(cast.workspace, "+15005550006")
    contact = make_contact(cast.workspace, phone="+12125550161")
    agent = APIClient()
    agent.force_login(cast.agent)
    outsider = APIClient()
    outsider.force_login(cast.outsider)
    make_local_sender(cast.other, "+15005550007")

    assert agent.post(f"/simulator/api/threads/{contact.pk}/calls/").status_code == 403
    assert (
        outsider.post(f"/simulator/api/threads/{contact.pk}/calls/").status_code == 404
    )
    assert not Run.objects.exists()
