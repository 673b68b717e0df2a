"""Django admin shows a workspace admin only the workspaces they administer."""

import pytest
from django.test import Client

from integrations.crm.models import Contact
from tests.conversations.inbox import make_conversation
from tests.factories import PASSWORD
from tests.messaging import make_local_sender

pytestmark = pytest.mark.django_db


@pytest.fixture
def outsider_admin(cast) -> Client:
    client = Client()
    assert client.login(username="oscar", password=PASSWORD)
    return client


def test_workspace_admin_can_sign_in_to_admin(cast):
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "oscar", "password": PASSWORD},
        follow=True,
    )

    assert response.status_code == 200
    assert (
        b"Site administration" in response.content or b"Thoughtflow" in response.content
    )
    assert response.wsgi_request.user.username == "oscar"


def test_agent_cannot_use_admin(cast):
    client = Client()
    client.login(username="agnes", password=PASSWORD)

    response = client.get("/admin/crm/contact/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_contact_changelist_hides_other_workspace(
    outsider_admin, contact, foreign_contact
):
    response = outsider_admin.get("/admin/crm/contact/")
    searched = outsider_admin.get("/admin/crm/contact/", {"q": "Maya"})

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [foreign_contact]
    assert b"Maya" not in response.content
    assert list(searched.context["cl"].queryset) == []


def test_change_and_delete_pages_of_other_workspace_are_refused(
    outsider_admin, contact
):
    change = outsider_admin.get(f"/admin/crm/contact/{contact.pk}/change/")
    delete = outsider_admin.post(
        f"/admin/crm/contact/{contact.pk}/delete/", {"post": "yes"}
    )

    # Django redirects to the index with "doesn't exist" for objects outside
    # the admin's queryset: the same answer as for a missing id.
    assert change.status_code == 302
    assert delete.status_code == 302
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_workspace_filter_and_choices_name_only_own_workspaces(
    outsider_admin, cast, contact, foreign_contact
):
    changelist = outsider_admin.get("/admin/crm/contact/")
    add_form = outsider_admin.get("/admin/crm/contact/add/")

    assert b"Acme" not in changelist.content
    choices = add_form.context["adminform"].form.fields["workspace"].queryset
    assert list(choices) == [cast.other]


def test_membership_admin_refuses_other_workspace(outsider_admin, cast):
    response = outsider_admin.post(
        "/admin/thoughtflow/membership/add/",
        {"workspace": cast.workspace.pk, "username": "oscar", "role": "admin"},
    )

    assert response.status_code == 200
    assert "workspace" in response.context["adminform"].form.errors
    assert not cast.outsider.memberships.filter(workspace=cast.workspace).exists()


def test_user_accounts_are_only_for_superusers(outsider_admin, cast):
    response = outsider_admin.get("/admin/thoughtflow/user/")

    assert response.status_code == 403


def test_admin_adds_contact_with_validated_phone(cast):
    client = Client()
    client.login(username="ada", password=PASSWORD)

    bad = client.post(
        "/admin/crm/contact/add/",
        {"workspace": cast.workspace.pk, "phone": "12345", "custom_fields": "{}"},
    )
    good = client.post(
        "/admin/crm/contact/add/",
        {
            "workspace": cast.workspace.pk,
            "phone": "(212) 555-0142",
            "custom_fields": "{}",
        },
    )

    assert "not a valid phone number" in str(bad.context["adminform"].form.errors)
    assert good.status_code == 302
    contact = Contact.objects.get()
    assert contact.phone == "+12125550142"
    assert contact.time_zone == "America/New_York"


def test_people_choices_name_only_members_of_own_workspaces(
    outsider_admin, cast, foreign_contact
):
    conversation = make_conversation(foreign_contact, make_local_sender(cast.other))

    page = outsider_admin.get(
        f"/admin/conversations/conversation/{conversation.pk}/change/"
    )

    choices = page.context["adminform"].form.fields["assignee"].queryset
    assert list(choices) == [cast.outsider]
    assert b"agnes" not in page.content
