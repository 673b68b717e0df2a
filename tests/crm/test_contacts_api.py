import pytest

from integrations.crm.models import Activity, Contact
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_create_contact_normalizes_phone_and_derives_time_zone(key_client):
    response = key_client.post(
        "/api/contacts/",
        {"phone": "(415) 555-0123", "first_name": "Priya", "tags": ["lead", "lead"]},
        format="json",
    )

    assert response.status_code == 201
    assert response.data["phone"] == "+14155550123"
    assert response.data["time_zone"] == "America/Los_Angeles"
    assert response.data["tags"] == ["lead"]
    contact = Contact.objects.get()
    assert contact.activities.get().kind == Activity.Kind.CREATED


def test_invalid_phone_gets_a_clear_message(key_client):
    response = key_client.post("/api/contacts/", {"phone": "12345"}, format="json")

    assert response.status_code == 400
    assert response.data["code"] == "invalid_contact"
    assert response.data["fields"]["phone"] == (
        "'12345' is not a valid phone number. Write it with its country code, "
        "like +1 415 555 0123."
    )
    assert not Contact.objects.exists()


def test_every_bad_field_is_reported_at_once(key_client):
    response = key_client.post(
        "/api/contacts/",
        {"phone": "nope", "email": "not-an-email", "time_zone": "Mars/Olympus"},
        format="json",
    )

    assert set(response.data["fields"]) == {"phone", "email", "time_zone"}


def test_duplicate_phone_in_workspace_is_a_conflict(key_client, contact):
    response = key_client.post(
        "/api/contacts/", {"phone": "212-555-0101"}, format="json"
    )

    assert response.status_code == 409
    assert response.data["code"] == "contact_exists"
    assert f"Contact {contact.pk} already has the number" in response.data["detail"]


def test_toll_free_number_falls_back_to_workspace_time_zone(key_client, cast):
    response = key_client.post(
        "/api/contacts/", {"phone": "+18005550199"}, format="json"
    )

    assert response.data["time_zone"] == cast.workspace.default_time_zone


def test_update_records_field_changes_on_timeline(key_client, contact):
    response = key_client.patch(
        f"/api/contacts/{contact.pk}/",
        {"last_name": "Lopez", "tags": ["vip"], "custom_fields": {"zip": "10001"}},
        format="json",
    )
    timeline = key_client.get(f"/api/contacts/{contact.pk}/activities/")

    assert response.status_code == 200
    change = timeline.data["results"][0]
    assert change["kind"] == "field_change"
    assert change["summary"] == "Changed custom_fields, last_name, tags"
    assert change["data"]["changes"]["last_name"] == ["", "Lopez"]


def test_update_without_changes_adds_nothing_to_timeline(key_client, contact):
    key_client.patch(
        f"/api/contacts/{contact.pk}/", {"first_name": "Maya"}, format="json"
    )

    assert contact.activities.count() == 1


def test_filter_by_tag_and_search(key_client, cast):
    make_contact(cast.workspace, first_name="Ann", phone="+12125550111", tags=["vip"])
    make_contact(cast.workspace, first_name="Bob", phone="+12125550112")

    by_tag = key_client.get("/api/contacts/", {"tag": "vip"})
    by_name = key_client.get("/api/contacts/", {"search": "bob"})
    by_digits = key_client.get("/api/contacts/", {"search": "(212) 555-0111"})

    assert [c["first_name"] for c in by_tag.data["results"]] == ["Ann"]
    assert [c["first_name"] for c in by_name.data["results"]] == ["Bob"]
    assert [c["first_name"] for c in by_digits.data["results"]] == ["Ann"]


def test_contact_list_query_count_does_not_grow_with_rows(
    key_client, cast, django_assert_max_num_queries
):
    for n in range(20):
        make_contact(cast.workspace, phone=f"+1212555{n:04d}", tags=["a", "b"])

    with django_assert_max_num_queries(6):
        response = key_client.get("/api/contacts/")

    assert response.data["count"] == 20


def test_note_is_added_to_timeline(key_client, contact):
    response = key_client.post(
        f"/api/contacts/{contact.pk}/notes/",
        {"text": "Prefers mornings"},
        format="json",
    )

    assert response.status_code == 201
    assert contact.activities.filter(kind="note").get().summary == "Prefers mornings"


def test_deal_stage_change_is_on_timeline(key_client, contact):
    deal = key_client.post(
        "/api/deals/", {"contact": contact.pk, "title": "Roof", "value": "1200.00"}
    ).data

    response = key_client.patch(f"/api/deals/{deal['id']}/", {"stage": "won"})

    assert response.data["stage"] == "won"
    latest = contact.activities.order_by("-id").first()
    assert latest.summary == "Deal 'Roof' moved from new to won"
