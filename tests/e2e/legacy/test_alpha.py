"""The alpha API against the whole running platform: raw-text sends reach the provider simulator
as v2 sends would, read back the same through the beta and v2, and every error has the alpha's
documented shape and status."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import Platform
from tests.e2e.legacy.conftest import LegacyService, beta_notification_when, make_service, until

SERVICE = tuple[LegacyService, str | None]


def simulator_messages(platform: Platform) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = httpx.get(f"{platform.simulator_url}/api/messages", timeout=10).json()[
        "messages"
    ]
    return messages


def test_a_raw_text_message_reaches_the_provider_and_reads_back_delivered_everywhere(
    platform: Platform, both: SERVICE
) -> None:
    service, _ = both
    response = service.alpha(
        "sms",
        {"notification": {"to": "+447700900123", "message": "Your code is 4321", "description": "Codes"}},
    )
    assert response.status_code == 201, response.text
    created = response.json()["notification"]
    assert set(created) == {"createdAt", "id", "jobId", "message", "method", "status", "to"}
    assert (created["method"], created["status"], created["to"]) == ("sms", "created", "+447700900123")
    assert created["message"] == "Your code is 4321"
    assert isinstance(created["jobId"], int)
    assert created["createdAt"].endswith("Z")

    reached = until(lambda: [m for m in simulator_messages(platform) if m["reference"] == created["id"]])
    assert len(reached) == 1
    assert reached[0]["content"].endswith("Your code is 4321")

    beta = beta_notification_when(service, created["id"], "delivered")
    assert beta["status"] == "delivered"
    v2 = service.v2(f"/v2/notifications/{created['id']}").json()
    assert v2["status"] == "delivered"
    assert v2["template"]["version"] == 1
    assert v2["body"] == beta["message"]
    assert beta["job_id"] is not None
    assert beta["method"] == "sms"
    assert beta["sentAt"] is not None
    # a job's notification: in v2's list only with include_jobs, as Notify's CSV jobs
    listed = service.v2("/v2/notifications", include_jobs="true").json()["notifications"]
    assert created["id"] in [n["id"] for n in listed]
    assert created["id"] not in [n["id"] for n in service.v2("/v2/notifications").json()["notifications"]]


def test_a_job_id_attaches_a_send_to_that_job_and_an_unknown_one_is_refused(both: SERVICE) -> None:
    service, _ = both
    first = service.alpha("sms", {"notification": {"to": "+447700900124", "message": "one"}}).json()
    job = first["notification"]["jobId"]
    second = service.alpha("sms", {"notification": {"to": "+447700900125", "message": "two", "jobId": job}})
    assert second.status_code == 201
    assert second.json()["notification"]["jobId"] == job
    ids = [first["notification"]["id"], second.json()["notification"]["id"]]
    jobs = {service.beta("GET", f"/notifications/{i}").json()["data"]["notification"]["job_id"] for i in ids}
    assert len(jobs) == 1
    assert None not in jobs

    unknown = service.alpha(
        "sms", {"notification": {"to": "+447700900124", "message": "x", "jobId": job + 10_000}}
    )
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"error": "Invalid JSON", "error_details": [{"key": "jobId", "message": "Job not found."}]},
    )


def test_an_email_is_sent_through_the_implicit_template(both: SERVICE) -> None:
    service, _ = both
    body = {
        "to": "ada@example.com",
        "from": "someone@example.gov.uk",
        "subject": "Hi",
        "message": "Hello Ada",
    }
    response = service.alpha("email", {"notification": body})
    assert response.status_code == 201, response.text
    created = response.json()["notification"]
    assert (created["method"], created["to"], created["message"]) == ("email", "ada@example.com", "Hello Ada")
    delivered = until(
        lambda: (
            (r := service.v2(f"/v2/notifications/{created['id']}")).status_code == 200
            and r.json()["status"] == "delivered"
            and r.json()
        )
    )
    assert delivered
    assert (delivered["subject"], delivered["body"]) == ("Hi", "Hello Ada")
    beta = service.beta("GET", f"/notifications/{created['id']}").json()["data"]["notification"]
    assert (beta["status"], beta["method"], beta["to"]) == ("delivered", "email", "ada@example.com")


def test_every_alpha_error_has_the_documented_shape_and_status(platform: Platform, both: SERVICE) -> None:
    service, _ = both
    sms = f"{service.url}/sms/notification"
    missing = httpx.post(sms, json={"notification": {}}, timeout=10)
    assert (missing.status_code, missing.json()) == (
        401,
        {"error": "Unauthorized, authentication token must be provided"},
    )
    wrong = service.alpha("sms", {"notification": {}}, token="not-a-token")
    assert (wrong.status_code, wrong.json()) == (403, {"error": "Forbidden, invalid bearer token provided"})
    not_json = service.alpha("sms", None, raw=b'{"notification": ')
    assert (not_json.status_code, not_json.json()) == (
        400,
        {"error": "Invalid JSON", "error_details": [{"key": "body", "message": "Not valid JSON."}]},
    )
    invalid = service.alpha("sms", {"notification": {"to": "07700900123", "message": "x" * 161}})
    assert invalid.status_code == 400
    assert invalid.json() == {
        "error": "Invalid JSON",
        "error_details": [
            {"key": "to", "message": "Invalid phone number, must be of format +447XXXXXXXXX"},
            {"key": "message", "message": "Length must be between 1 and 160."},
        ],
    }


def test_the_alpha_is_off_unless_switched_on(platform: Platform) -> None:
    service, _ = make_service(platform, alpha=False, beta=False)
    refused = service.alpha("sms", {"notification": {"to": "+447700900123", "message": "hi"}})
    assert (refused.status_code, refused.json()) == (
        403,
        {"error": "Forbidden, the alpha API is not enabled for this service"},
    )


def test_usage_over_the_limits_is_refused_with_429(platform: Platform) -> None:
    limited, _ = make_service(platform, alpha=True, beta=False, rate_limit=1)
    answers = [limited.alpha("sms", {"notification": {}}) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]
    assert answers[2].json() == {
        "error": "Exceeded rate limit for key type LIVE of 1 requests per 60 seconds"
    }
    assert int(answers[2].headers["Retry-After"]) >= 1

    daily, _ = make_service(platform, alpha=True, beta=False, sms_message_limit=0)
    over = daily.alpha("sms", {"notification": {"to": "+447700900123", "message": "hi"}})
    assert (over.status_code, over.json()) == (429, {"error": "Exceeded send limits (sms: 0) for today"})
