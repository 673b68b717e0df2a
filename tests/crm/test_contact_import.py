import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from integrations.crm.models import Contact
from tests.factories import PASSWORD, make_contact

pytestmark = pytest.mark.django_db

MIXED_CSV = (
    "Phone,First Name,email,tags,plan\n"
    "+12125550101,Maya,maya@example.com,lead;vip,gold\n"
    "12345,Broken,,,\n"
    "(312) 555-0102,Jordan,not-an-email,,\n"
    "\n"
    "415 555 0103,Priya,,,silver\n"
    "+12125550104,Too,many,cells,here,extra\n"
)


def test_import_keeps_good_rows_and_reports_bad_ones_by_line(key_client):
    response = key_client.post(
        "/api/contacts/import/", MIXED_CSV.encode(), content_type="text/csv"
    )

    assert response.status_code == 200
    assert response.data["created"] == 2
    errors = [(e["line"], e["reason"]) for e in response.data["errors"]]
    assert [line for line, _ in errors] == [3, 4, 7]
    assert "'12345' is not a valid phone number" in errors[0][1]
    assert "'not-an-email' is not a valid email address" in errors[1][1]
    assert "more cells than the first line has columns" in errors[2][1]
    maya = Contact.objects.get(phone="+12125550101")
    assert maya.custom_fields == {"plan": "gold"}
    assert sorted(maya.tags.values_list("name", flat=True)) == ["lead", "vip"]
    assert Contact.objects.filter(phone="+14155550103").exists()


def test_import_updates_existing_contact_without_erasing_fields(key_client, cast):
    existing = make_contact(
        cast.workspace, phone="+12125550101", email="keep@example.com"
    )

    response = key_client.post(
        "/api/contacts/import/",
        b"phone,first_name,email\n2125550101,Renamed,\n",
        content_type="text/csv",
    )

    assert response.data == {"created": 0, "updated": 1, "errors": []}
    existing.refresh_from_db()
    assert existing.first_name == "Renamed"
    assert existing.email == "keep@example.com"


def test_import_as_multipart_upload(key_client):
    upload = SimpleUploadedFile(
        "contacts.csv", b"\xef\xbb\xbfphone\n+12125550101\n", content_type="text/csv"
    )

    response = key_client.post("/api/contacts/import/", {"file": upload})

    assert response.data["created"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "No CSV received"),
        (b"name,email\nA,a@example.com\n", "must name a 'phone' column"),
        (b"phone\n\xff\xfe+1212\n", "not UTF-8 text"),
    ],
)
def test_unreadable_file_is_refused_with_reason(key_client, body, message):
    response = key_client.post("/api/contacts/import/", body, content_type="text/csv")

    assert response.status_code == 400
    assert message in response.data["detail"]
    assert not Contact.objects.exists()


def test_row_limit_keeps_rows_before_it(key_client, settings):
    settings.CONTACT_IMPORT_MAX_ROWS = 2
    rows = "".join(f"+1212555{n:04d}\n" for n in range(3))

    response = key_client.post(
        "/api/contacts/import/", f"phone\n{rows}".encode(), content_type="text/csv"
    )

    assert response.status_code == 400
    assert "more than 2 rows" in response.data["detail"]
    assert Contact.objects.count() == 2


def test_agent_cannot_import(api, cast):
    api.force_login(cast.agent)

    response = api.post(
        "/api/contacts/import/", b"phone\n+12125550101\n", content_type="text/csv"
    )

    assert response.status_code == 403


def test_admin_import_page_reports_lines(cast):
    client = Client()
    client.login(username="ada", password=PASSWORD)
    upload = SimpleUploadedFile("c.csv", MIXED_CSV.encode(), content_type="text/csv")

    response = client.post(
        "/admin/crm/contact/import/", {"workspace": cast.workspace.pk, "file": upload}
    )

    assert response.status_code == 200
    assert response.context["report"].created == 2
    assert b"<td>3</td>" in response.content
    assert Contact.objects.for_workspace(cast.workspace).count() == 2


def test_admin_import_cannot_target_other_workspace(cast):
    client = Client()
    client.login(username="oscar", password=PASSWORD)
    upload = SimpleUploadedFile("c.csv", b"phone\n+12125550101\n")

    response = client.post(
        "/admin/crm/contact/import/", {"workspace": cast.workspace.pk, "file": upload}
    )

    assert "workspace" in response.context["form"].errors
    assert not Contact.objects.exists()
