"""Admins manage numbers, suppression lists and consent in Django admin."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from conversations.inbox import add_note
from conversations.models import Consent, ConsentRecord, RecipientState, Suppression
from integrations.twilio.models import CarrierAccount
from tests.conversations.inbox import make_conversation
from tests.factories import PASSWORD, make_contact
from tests.messaging import AUTH_TOKEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(cast):
    client = Client()
    client.login(username="ada", password=PASSWORD)
    return client


def test_carrier_auth_token_is_encrypted_at_rest(sender):
    with connection.cursor() as cursor:
        cursor.execute("SELECT auth_token FROM carrier_carrieraccount")
        [(stored,)] = cursor.fetchall()

    assert AUTH_TOKEN not in stored
    assert CarrierAccount.objects.get().auth_token == AUTH_TOKEN


def test_admin_adds_a_carrier_account_without_echoing_the_token(admin_client, cast):
    response = admin_client.post(
        "/admin/carrier/carrieraccount/add/",
        {
            "workspace": cast.workspace.pk,
            "name": "Production",
            "kind": "twilio",
            "account_sid": "AC" + "3" * 32,
            "auth_token": "a-very-secret-token",
        },
    )
    page = admin_client.get(
        f"/admin/carrier/carrieraccount/{CarrierAccount.objects.get().pk}/change/"
    )

    assert response.status_code == 302
    assert CarrierAccount.objects.get().auth_token == "a-very-secret-token"
    assert b"a-very-secret-token" not in page.content


def test_suppression_csv_import_keeps_good_rows(admin_client, cast):
    upload = SimpleUploadedFile(
        "dnc.csv", b"phone,reason\n(212) 555-0111,asked by phone\nnot-a-number,\n"
    )

    response = admin_client.post(
        "/admin/conversations/suppression/import/",
        {"workspace": cast.workspace.pk, "file": upload},
    )

    assert response.context["report"].created == 1
    assert [e.line for e in response.context["report"].errors] == [3]
    assert Suppression.objects.get().phone == "+12125550111"


def test_consent_record_from_admin_changes_consent_and_keeps_history(
    admin_client, cast
):
    contact = make_contact(cast.workspace, phone="+12125550112")

    admin_client.post(
        "/admin/conversations/consentrecord/add/",
        {
            "workspace": cast.workspace.pk,
            "contact": contact.pk,
            "status": "opted_in",
            "source": "verbal",
            "channel": "voice",
            "evidence": "Agreed on a call, 3 Dec.",
        },
    )

    assert RecipientState.objects.get(contact=contact).consent == Consent.OPTED_IN
    record = ConsentRecord.objects.get()
    assert (record.source, record.channel, record.actor.username) == (
        "verbal",
        "voice",
        "ada",
    )
    history = admin_client.get(
        f"/admin/conversations/consentrecord/{record.pk}/delete/"
    )
    assert history.status_code == 403


def test_outsider_sees_no_numbers_or_suppressions_of_other_workspaces(cast, sender):
    Suppression.objects.create(workspace=cast.workspace, phone="+12125550113")
    client = Client()
    client.login(username="oscar", password=PASSWORD)

    numbers = client.get("/admin/carrier/sender/")
    suppressions = client.get("/admin/conversations/suppression/")

    assert list(numbers.context["cl"].queryset) == []
    assert list(suppressions.context["cl"].queryset) == []


def test_notes_are_listed_only_to_their_workspace(cast, sender, contact):
    add_note(make_conversation(contact, sender), cast.agent, "Prefers mornings")
    own, outsider = Client(), Client()
    own.login(username="ada", password=PASSWORD)
    outsider.login(username="oscar", password=PASSWORD)

    listed = own.get("/admin/conversations/note/")
    hidden = outsider.get("/admin/conversations/note/")

    assert [note.body for note in listed.context["cl"].queryset] == ["Prefers mornings"]
    assert list(hidden.context["cl"].queryset) == []
    assert b"Prefers mornings" in listed.content
