"""Workflow templates: listing the examples, and starting a workflow from one."""

import pytest

from tests.factories import make_user
from workflows import catalog
from workflows.definition import validate_graph
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("template", catalog.templates(), ids=lambda t: t.slug)
def test_every_template_is_a_valid_workflow(template):
    assert validate_graph(template.export["graph"]) == []


def test_templates_are_listed_with_what_the_picker_shows(api, cast):
    api.force_login(cast.agent)

    response = api.get("/api/workflow-templates/")

    assert response.status_code == 200
    by_slug = {entry["slug"]: entry for entry in response.data}
    assert set(by_slug) == {
        "appointment-confirmation",
        "document-request",
        "form-fill-follow-up",
        "missed-call-recovery",
        "quote-follow-up",
    }
    assert by_slug["quote-follow-up"] == {
        "slug": "quote-follow-up",
        "name": "Quote follow-up",
        "description": catalog.get_template("quote-follow-up").description,
        "trigger_type": "contact_tagged",
        "node_count": 9,
    }
    assert by_slug["missed-call-recovery"]["trigger_type"] == "missed_call"


def test_templates_need_a_workspace_member(api, cast):
    anonymous = api.get("/api/workflow-templates/")
    api.force_login(make_user("drifter"))
    homeless = api.get("/api/workflow-templates/")

    assert anonymous.status_code == 401
    assert homeless.status_code == 403


def test_a_workflow_from_a_template_is_an_unpublished_draft(key_client, cast):
    template = catalog.get_template("quote-follow-up")

    response = key_client.post(
        "/api/workflows/from-template/",
        {"template": "quote-follow-up"},
        format="json",
    )

    assert response.status_code == 201, response.data
    assert response.data["name"] == "Quote follow-up"
    assert response.data["published_version"] is None
    assert response.data["draft"] == template.export["graph"]
    workflow = Workflow.objects.get(pk=response.data["id"])
    assert workflow.workspace == cast.workspace
    assert not workflow.versions.exists()


def test_a_workflow_from_a_template_can_be_named_and_edited_alone(key_client):
    first = key_client.post(
        "/api/workflows/from-template/",
        {"template": "document-request", "name": "Proof of insurance"},
        format="json",
    )
    workflow = Workflow.objects.get(pk=first.data["id"])
    workflow.draft["nodes"][0]["label"] = "Changed"
    workflow.save()

    second = key_client.post(
        "/api/workflows/from-template/",
        {"template": "document-request"},
        format="json",
    )

    assert first.data["name"] == "Proof of insurance"
    assert second.data["draft"]["nodes"][0]["label"] != "Changed"
    assert catalog.get_template("document-request").export["graph"]["nodes"][0][
        "label"
    ] != ("Changed")


def test_an_unknown_template_is_refused_with_the_choices(key_client):
    response = key_client.post(
        "/api/workflows/from-template/", {"template": "../settings"}, format="json"
    )

    assert response.status_code == 400
    assert response.data["code"] == "unknown_template"
    assert response.data["detail"].startswith(
        "There is no workflow template '../settings'. Choose one of: "
        "appointment-confirmation, document-request,"
    )
    assert not Workflow.objects.exists()


def test_only_operators_create_from_templates(api, cast):
    api.force_login(cast.agent)

    response = api.post(
        "/api/workflows/from-template/",
        {"template": "quote-follow-up"},
        format="json",
    )

    assert response.status_code == 403
    assert not Workflow.objects.exists()
