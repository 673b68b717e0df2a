"""The simulator page: reply as a contact, see the business's texts arrive."""

import re

import pytest
from playwright.sync_api import Page, expect

from conversations.models import Message, RecipientState
from conversations.sending import send_sms
from tests.e2e.conftest import eventually
from tests.factories import PASSWORD, make_contact, make_user, make_workspace
from tests.messaging import make_local_sender
from thoughtflow.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")


def test_reply_as_contact_is_stored_and_business_texts_arrive(
    page: Page, live_server_url, live_worker, screenshot
):
    workspace = make_workspace("Acme Home Services")
    make_user("olivia", workspace=workspace, role=Role.OPERATOR)
    make_local_sender(workspace, "+15005550006")
    contact = make_contact(workspace, first_name="Maya", phone="+12125550101")

    sign_in(page, live_server_url, "olivia")
    page.goto(f"{live_server_url}/simulator/")
    page.get_by_test_id(f"thread-{contact.pk}").click()
    page.get_by_test_id("compose-input").fill("Is 3pm still ok?")
    page.get_by_test_id("compose-input").press("Enter")

    handset = page.get_by_test_id("handset")
    stored = eventually(lambda: Message.objects.filter(direction="inbound").first())
    assert (stored.body, stored.contact_id) == ("Is 3pm still ok?", contact.pk)
    expect(page.get_by_test_id(f"message-{stored.pk}")).to_contain_text(
        "Is 3pm still ok?"
    )
    assert RecipientState.objects.get(contact=contact).last_inbound_at is not None
    screenshot("simulator-reply-stored")

    send_sms(contact=contact, body="Yes, 3pm works. See you then!", author="agent")

    expect(handset).to_contain_text("Yes, 3pm works. See you then!", timeout=15_000)
    delivered = eventually(
        lambda: Message.objects.filter(direction="outbound", status="delivered").first()
    )
    assert delivered.twilio_sid
    screenshot("simulator-business-text-delivered")


def test_stop_from_the_handset_opts_the_contact_out(
    page: Page, live_server_url, live_worker, screenshot
):
    workspace = make_workspace("Acme Home Services")
    make_user("olivia", workspace=workspace, role=Role.OPERATOR)
    make_local_sender(workspace, "+15005550006")
    contact = make_contact(workspace, first_name="Luis", phone="+15125550104")

    sign_in(page, live_server_url, "olivia")
    page.goto(f"{live_server_url}/simulator/?contact={contact.pk}")
    page.get_by_test_id("compose-input").fill("please stop texting me")
    page.get_by_test_id("compose-send").click()

    expect(page.get_by_test_id("handset")).to_contain_text(
        re.compile("unsubscribed"), timeout=15_000
    )
    state = eventually(
        lambda: RecipientState.objects.filter(
            contact=contact, consent="opted_out"
        ).first()
    )
    assert state.opted_out_at is not None
    screenshot("simulator-opt-out-confirmed")
