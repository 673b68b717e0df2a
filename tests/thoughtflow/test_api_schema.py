import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns every "unable to guess" into a failure.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml")
    )

    schema = (tmp_path / "s.yml").read_text()
    assert "/api/contacts/import/" in schema
    assert "/api/inbox/conversations/{id}/take-over/" in schema
    assert "/api/inbox/people/" in schema
    assert "InboxPeople" in schema


def test_schema_and_docs_are_served():
    client = Client()

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    assert docs.status_code == 200


def test_login_page_and_home_redirect():
    client = Client()

    home = client.get("/")
    login = client.get("/login/")

    assert home.status_code == 302
    assert home["Location"].startswith("/login/")
    assert b"Sign in" in login.content
