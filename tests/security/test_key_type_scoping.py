"""What one type of API key does never answers for another: an Idempotency-Key used with a test key
does not make a later live-key send a silent replay."""

from __future__ import annotations

import uuid

from tests.integration.api_gateway.harness import Sandbox


def sms(sandbox: Sandbox) -> dict[str, object]:
    return {
        "phone_number": "07700900123",
        "template_id": sandbox.templates["sms"],
        "personalisation": {"name": "Ada", "code": "1"},
    }


def test_an_idempotency_key_used_by_a_test_key_is_not_replayed_for_a_live_key(sandbox: Sandbox) -> None:
    key = f"k-{uuid.uuid4()}"
    body = sms(sandbox)
    test = sandbox.post("/v2/notifications/sms", body, "test", **{"Idempotency-Key": key})
    live = sandbox.post("/v2/notifications/sms", body, "normal", **{"Idempotency-Key": key})
    assert (test.status_code, live.status_code) == (201, 201)
    assert "idempotent-replayed" not in live.headers
    assert live.json()["id"] != test.json()["id"]
    assert sandbox.get(f"/v2/notifications/{live.json()['id']}", "normal").status_code == 200
    # The same key type still replays its own first answer.
    again = sandbox.post("/v2/notifications/sms", body, "normal", **{"Idempotency-Key": key})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == live.json()["id"]
