import time

import pytest
from django.test import Client
from django_q.status import Stat

pytestmark = pytest.mark.django_db(transaction=True)


def test_healthz_is_unavailable_without_a_worker(monkeypatch):
    # Heartbeats live in the shared cache, where a worker of another test run
    # may have left one; this test is about what health does with none.
    monkeypatch.setattr(Stat, "get_all", staticmethod(lambda broker=None: []))

    response = Client().get("/healthz")

    body = response.json()
    assert response.status_code == 503, body
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["channel_layer"]["ok"] is True
    assert body["checks"]["task_broker"]["ok"] is False
    assert "python manage.py worker" in body["checks"]["task_broker"]["error"]


def test_healthz_is_ok_with_a_worker_running(worker):
    # A worker's heartbeat lives three seconds and a loaded machine can let
    # one lapse between beats, so a monitor asks more than once; so does this.
    deadline = time.monotonic() + 10
    while True:
        response = Client().get("/healthz")
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["task_broker"]["workers"] >= 1
    assert body["checks"]["task_broker"]["broker"] == "ORM default"


def test_healthz_names_a_failing_part_without_leaking_detail(monkeypatch):
    from thoughtflow import health

    def broken() -> dict:
        raise ConnectionError("redis://:hunter2@10.0.0.5 refused")

    monkeypatch.setitem(health.CHECKS, "channel_layer", broken)

    body = Client().get("/healthz").json()

    assert body["checks"]["channel_layer"] == {
        "ok": False,
        "error": "ConnectionError",
        "ms": body["checks"]["channel_layer"]["ms"],
    }
    assert "hunter2" not in str(body)
