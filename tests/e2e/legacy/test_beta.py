"""The beta API against the whole running platform: template sends reach the provider simulator,
statuses read back through the beta and v2 agree, tokens are bound to one request, and every
error has the beta's documented shape and status."""

from __future__ import annotations

import uuid

import httpx
import orjson

from notify_api_gateway.legacy.signing import SignedRequest
from tests.e2e.conftest import Platform
from tests.e2e.legacy.conftest import LegacyService, beta_notification_when, make_service, until

SERVICE = tuple[LegacyService, str | None]
V2_TO_BETA = {"created": "sending", "sending": "sending", "pending": "sending", "delivered": "delivered"}


def test_a_template_send_reaches_the_provider_and_both_apis_agree_on_its_status(
    platform: Platform, both: SERVICE
) -> None:
    service, template_id = both
    body = {"to": "+447700900321", "template": template_id, "personalisation": {"name": "Ada"}}
    sent = service.beta("POST", "/notifications/sms", body)
    assert sent.status_code == 201, sent.text
    notification_id = sent.json()["data"]["notification"]["id"]
    assert set(sent.json()["data"]["notification"]) == {"id"}

    right_away = service.beta("GET", f"/notifications/{notification_id}").json()["data"]["notification"]
    v2_now = service.v2(f"/v2/notifications/{notification_id}").json()
    # Found at once (read-your-writes); the simulator may already have delivered it on a busy machine.
    assert right_away["status"] in {"sending", "delivered"}
    assert V2_TO_BETA.get(v2_now["status"], "failed") in {right_away["status"], "delivered"}

    messages = until(
        lambda: [
            m
            for m in httpx.get(f"{platform.simulator_url}/api/messages", timeout=10).json()["messages"]
            if m["reference"] == notification_id
        ]
    )
    assert len(messages) == 1
    assert messages[0]["content"].endswith("Hello Ada")
    delivered = beta_notification_when(service, notification_id, "delivered")
    assert delivered
    assert service.v2(f"/v2/notifications/{notification_id}").json()["status"] == "delivered"
    assert set(delivered) == {
        "status",
        "createdAt",
        "to",
        "method",
        "sentAt",
        "id",
        "message",
        "job_id",
        "sender",
    }
    assert (delivered["method"], delivered["to"], delivered["job_id"]) == ("sms", "+447700900321", None)
    assert delivered["sender"] is not None
    assert delivered["sentAt"] is not None

    listed = service.beta("GET", "/notifications").json()["data"]
    assert notification_id in [n["notification"]["id"] for n in listed]
    assert service.beta(
        "GET", "/notifications", signed_as=SignedRequest("GET", "/notifications", b""), query="?page=2"
    ).json() == {"data": []}


def test_a_token_replayed_against_another_path_or_with_another_body_is_refused(both: SERVICE) -> None:
    service, template_id = both
    body = {"to": "+447700900321", "template": template_id, "personalisation": {"name": "Bo"}}
    for_email = SignedRequest("POST", "/notifications/email", orjson.dumps(body))
    other_path = service.beta("POST", "/notifications/sms", body, signed_as=for_email)
    assert (other_path.status_code, other_path.json()) == (
        403,
        {"result": "error", "message": "Invalid token: request"},
    )
    other_body = SignedRequest("POST", "/notifications/sms", orjson.dumps({**body, "to": "+447700900999"}))
    replayed = service.beta("POST", "/notifications/sms", body, signed_as=other_body)
    assert (replayed.status_code, replayed.json()) == (
        403,
        {"result": "error", "message": "Invalid token: payload"},
    )
    read_one = SignedRequest("GET", f"/notifications/{uuid.uuid4()}", b"")
    elsewhere = service.beta("GET", "/notifications", signed_as=read_one)
    assert (elsewhere.status_code, elsewhere.json()) == (
        403,
        {"result": "error", "message": "Invalid token: request"},
    )


def test_every_beta_error_has_the_documented_shape_and_status(platform: Platform, both: SERVICE) -> None:
    service, template_id = both
    missing = httpx.get(f"{service.url}/notifications", timeout=10)
    assert (missing.status_code, missing.json()) == (
        401,
        {"result": "error", "message": "Unauthorized: authentication token must be provided"},
    )
    garbage = httpx.get(f"{service.url}/notifications", headers={"Authorization": "Bearer x.y.z"}, timeout=10)
    assert garbage.status_code == 403
    assert garbage.json()["result"] == "error"
    invalid = service.beta("POST", "/notifications/sms", {"template": "nope"})
    assert (invalid.status_code, invalid.json()) == (
        400,
        {
            "result": "error",
            "message": {"to": ["Missing data for required field."], "template": ["Not a valid template id."]},
        },
    )
    unknown = service.beta(
        "POST", "/notifications/sms", {"to": "+447700900321", "template": str(uuid.uuid4())}
    )
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"result": "error", "message": "Template not found"},
    )
    wrong_channel = service.beta(
        "POST", "/notifications/email", {"to": "a@example.com", "template": template_id}
    )
    assert (wrong_channel.status_code, wrong_channel.json()) == (
        400,
        {"result": "error", "message": "sms template is not suitable for email notification"},
    )
    absent = service.beta("GET", f"/notifications/{uuid.uuid4()}")
    assert (absent.status_code, absent.json()) == (404, {"result": "error", "message": "No result found"})
    bad_page = service.beta("GET", "/notifications", query="?page=0")
    assert (bad_page.status_code, bad_page.json()) == (
        400,
        {"result": "error", "message": {"page": ["Not a valid page number."]}},
    )


def test_the_beta_is_off_unless_switched_on(platform: Platform) -> None:
    service, _ = make_service(platform, alpha=True, beta=False)
    refused = service.beta("GET", "/notifications")
    assert (refused.status_code, refused.json()) == (
        403,
        {"result": "error", "message": "The beta API is not enabled for this service"},
    )
