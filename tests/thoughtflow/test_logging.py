import logging

import pytest
from django.test import Client

from thoughtflow.logs import KeyValueFormatter, mask_email, mask_phone, request_id_var

pytestmark = pytest.mark.django_db


def test_request_id_is_echoed_and_generated():
    client = Client()

    given = client.get("/login/", HTTP_X_REQUEST_ID="abc-123")
    generated = client.get("/login/")
    hostile = client.get("/login/", HTTP_X_REQUEST_ID="a b\nc")

    assert given["X-Request-ID"] == "abc-123"
    assert len(generated["X-Request-ID"]) == 32
    assert hostile["X-Request-ID"] != "a b\nc"


def test_log_lines_carry_request_and_workspace_context(key_client, cast, caplog):
    caplog.set_level(logging.INFO, logger="integrations")
    records: list[str] = []
    formatter = KeyValueFormatter()

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(formatter.format(record))

    handler = Capture()
    from thoughtflow.logs import ContextFilter

    handler.addFilter(ContextFilter())
    logging.getLogger("integrations").addHandler(handler)
    try:
        key_client.post(
            "/api/contacts/",
            {"phone": "+12125550188"},
            format="json",
            HTTP_X_REQUEST_ID="req-42",
        )
    finally:
        logging.getLogger("integrations").removeHandler(handler)

    line = next(r for r in records if "contact created" in r)
    assert "request_id=req-42" in line
    assert f"workspace_id={cast.workspace.pk}" in line
    # Phone numbers never reach the log at INFO.
    assert "5550188" not in "\n".join(records)
    assert request_id_var.get() is None


def test_masks_keep_only_a_prefix():
    assert mask_phone("+14155550123") == "+1415*******"
    assert mask_phone(None) == "-"
    assert mask_email("maya@example.com") == "m***@example.com"
