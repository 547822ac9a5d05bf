"""Every authentication refusal and error of GOV.UK Notify's v2 API, over real HTTP, in Notify's
envelope with Notify's status codes and messages."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from tests.integration.api_gateway.harness import Sandbox, admin, make_sandbox, token

DOCS = "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["status_code"] == response.status_code
    assert len(body["errors"]) >= 1
    return response.status_code, body["errors"][0]["error"], body["errors"][0]["message"]


def sms_body(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    return {
        "phone_number": "07700900123",
        "template_id": sandbox.templates["sms"],
        "personalisation": {"name": "Ada", "code": "1234"},
        **overrides,
    }


def post_with(sandbox: Sandbox, authorization: str | None) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return httpx.post(f"{sandbox.url}/v2/notifications/sms", json=sms_body(sandbox), headers=headers)


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (None, (401, "AuthError", "Unauthorized: authentication token must be provided")),
        ("Basic abc", (401, "AuthError", "Unauthorized: authentication bearer scheme must be used")),
        (
            "Bearer garbage",
            (403, "AuthError", f"Invalid token: make sure your API token matches the example at {DOCS}"),
        ),
    ],
)
def test_requests_without_a_usable_token_are_refused(
    sandbox: Sandbox, authorization: str | None, expected: tuple[int, str, str]
) -> None:
    assert error(post_with(sandbox, authorization)) == expected


def test_a_token_without_iss_is_refused(sandbox: Sandbox) -> None:
    bare = jwt.encode({"iat": int(time.time())}, sandbox.secret(), "HS256")
    assert error(post_with(sandbox, f"Bearer {bare}"))[2] == "Invalid token: iss field not provided"


def test_an_iss_that_is_not_a_uuid_is_refused(sandbox: Sandbox) -> None:
    assert error(post_with(sandbox, f"Bearer {token('nope', sandbox.secret())}"))[2] == (
        "Invalid token: service id is not the right data type"
    )


def test_an_unknown_service_is_refused(sandbox: Sandbox) -> None:
    assert error(post_with(sandbox, f"Bearer {token(str(uuid.uuid4()), sandbox.secret())}")) == (
        403,
        "AuthError",
        "Invalid token: service not found",
    )


def test_a_service_without_keys_is_refused(api_url: str) -> None:
    service = admin(
        api_url, "POST", "/services", {"name": f"keyless-{uuid.uuid4().hex[:8]}", "email_from": "x"}
    )
    response = httpx.post(
        f"{api_url}/v2/notifications/sms",
        json={},
        headers={"Authorization": f"Bearer {token(service['id'], str(uuid.uuid4()))}"},
    )
    assert error(response)[2] == "Invalid token: service has no API keys"


def test_an_archived_service_is_refused(api_url: str) -> None:
    sandbox = make_sandbox(api_url)
    admin(api_url, "PATCH", f"/services/{sandbox.service_id}", {"active": False})
    assert (
        error(sandbox.post("/v2/notifications/sms", sms_body(sandbox)))[2]
        == "Invalid token: service is archived"
    )


def test_a_token_signed_with_another_secret_is_refused(sandbox: Sandbox) -> None:
    response = post_with(sandbox, f"Bearer {token(sandbox.service_id, str(uuid.uuid4()))}")
    assert error(response) == (403, "AuthError", "Invalid token: API key not found")


def test_a_revoked_key_is_refused(sandbox: Sandbox, api_url: str) -> None:
    keys = admin(api_url, "GET", f"/services/{sandbox.service_id}/api-keys")
    team_key = next(k for k in keys if k["key_type"] == "team")
    admin(api_url, "POST", f"/services/{sandbox.service_id}/api-keys/{team_key['id']}/revoke")
    assert error(sandbox.post("/v2/notifications/sms", sms_body(sandbox), key_type="team"))[2] == (
        "Invalid token: API key revoked"
    )


@pytest.mark.parametrize("skew", [-45, 45])
def test_a_clock_more_than_30_seconds_out_is_refused(sandbox: Sandbox, skew: int) -> None:
    response = post_with(sandbox, f"Bearer {token(sandbox.service_id, sandbox.secret(), time.time() + skew)}")
    assert error(response) == (
        403,
        "AuthError",
        "Error: Your system clock must be accurate to within 30 seconds",
    )


def test_a_token_with_another_algorithm_is_refused(sandbox: Sandbox) -> None:
    signed = jwt.encode({"iss": sandbox.service_id, "iat": int(time.time())}, sandbox.secret(), "HS512")
    assert error(post_with(sandbox, f"Bearer {signed}"))[2] == "Invalid token: algorithm used is not HS256"


def test_invalid_json_is_a_bad_request(sandbox: Sandbox) -> None:
    response = httpx.post(
        f"{sandbox.url}/v2/notifications/sms",
        content=b"{not json",
        headers={**sandbox.headers(), "Content-Type": "application/json"},
    )
    assert error(response) == (400, "BadRequestError", "Invalid JSON supplied in POST data")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone_number": "0770090"}, "phone_number Not enough digits"),
        ({"phone_number": "077009001234567"}, "phone_number Too many digits"),
        ({"phone_number": "07700 90012a"}, "phone_number Must not contain letters or symbols"),
        ({"template_id": "not-a-uuid"}, "template_id is not a valid UUID"),
        ({"sms_sender_id": "nope"}, "sms_sender_id is not a valid UUID"),
        ({"personalisation": "x"}, "personalisation x is not of type object"),
        ({"foo": 1}, "Additional properties are not allowed (foo was unexpected)"),
        ({"reference": "r" * 1001}, f"reference {'r' * 1001} is too long"),
        (
            {"scheduled_for": "tomorrow"},
            "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, https://en.wikipedia.org/wiki/ISO_8601",
        ),
        ({"scheduled_for": "2001-01-01T10:00:00"}, "scheduled_for datetime can not be in the past"),
        (
            {"scheduled_for": "2999-01-01T10:00:00"},
            "scheduled_for datetime can only be 24 hours in the future",
        ),
    ],
)
def test_schema_errors_carry_notifys_messages(
    sandbox: Sandbox, overrides: dict[str, Any], message: str
) -> None:
    assert error(sandbox.post("/v2/notifications/sms", sms_body(sandbox, **overrides))) == (
        400,
        "ValidationError",
        message,
    )


def test_every_schema_error_is_reported_once(sandbox: Sandbox) -> None:
    response = sandbox.post("/v2/notifications/email", {"foo": 1, "bar": 2})
    messages = sorted(e["message"] for e in response.json()["errors"])
    assert messages == [
        "Additional properties are not allowed (bar, foo were unexpected)",
        "email_address is a required property",
        "template_id is a required property",
    ]


def test_an_invalid_email_address_is_a_validation_error(sandbox: Sandbox) -> None:
    body = {"email_address": "not an email", "template_id": sandbox.templates["email"]}
    assert error(sandbox.post("/v2/notifications/email", body)) == (
        400,
        "ValidationError",
        "email_address Not a valid email address",
    )


def test_an_http_unsubscribe_url_is_refused(sandbox: Sandbox) -> None:
    body = {
        "email_address": "a@example.com",
        "template_id": sandbox.templates["email"],
        "one_click_unsubscribe_url": "http://example.com/u",
    }
    assert (
        error(sandbox.post("/v2/notifications/email", body))[2]
        == "one_click_unsubscribe_url is not a valid https url"
    )


@pytest.mark.parametrize(
    ("channel", "template_channel", "message"),
    [
        ("sms", "email", "email template is not suitable for sms notification"),
        ("email", "sms", "sms template is not suitable for email notification"),
    ],
)
def test_a_template_of_another_channel_is_refused(
    sandbox: Sandbox, channel: str, template_channel: str, message: str
) -> None:
    body = (
        sms_body(sandbox, template_id=sandbox.templates[template_channel])
        if channel == "sms"
        else {"email_address": "a@example.com", "template_id": sandbox.templates[template_channel]}
    )
    assert error(sandbox.post(f"/v2/notifications/{channel}", body)) == (400, "BadRequestError", message)


def test_an_unknown_template_is_not_found(sandbox: Sandbox) -> None:
    response = sandbox.post("/v2/notifications/sms", sms_body(sandbox, template_id=str(uuid.uuid4())))
    assert error(response) == (400, "BadRequestError", "Template not found")


def test_an_archived_template_has_been_deleted(sandbox: Sandbox, api_url: str) -> None:
    admin(api_url, "POST", f"/services/{sandbox.service_id}/templates/{sandbox.templates['sms']}/archive")
    assert error(sandbox.post("/v2/notifications/sms", sms_body(sandbox)))[2] == "Template has been deleted"


def test_missing_personalisation_is_listed(sandbox: Sandbox) -> None:
    response = sandbox.post("/v2/notifications/sms", sms_body(sandbox, personalisation={"NAME": "x"}))
    assert error(response) == (400, "BadRequestError", "Missing personalisation: code")


def test_a_text_message_over_918_characters_is_refused(sandbox: Sandbox) -> None:
    response = sandbox.post(
        "/v2/notifications/sms", sms_body(sandbox, personalisation={"name": "a" * 900, "code": "1"})
    )
    assert error(response)[2] == (
        "Your message is too long. Text messages cannot be longer than 918 characters. "
        "Your message is 922 characters long."
    )


def test_a_service_without_the_permission_cannot_send(api_url: str) -> None:
    sandbox = make_sandbox(api_url, permissions=["email"])
    assert error(sandbox.post("/v2/notifications/sms", sms_body(sandbox)))[2] == (
        "Service is not allowed to send text messages"
    )


def test_international_numbers_need_the_permission(sandbox: Sandbox) -> None:
    response = sandbox.post("/v2/notifications/sms", sms_body(sandbox, phone_number="+1 202 555 0123"))
    assert error(response) == (400, "BadRequestError", "Cannot send to international mobile numbers")


def test_an_unknown_sms_sender_id_is_refused(sandbox: Sandbox) -> None:
    sender = str(uuid.uuid4())
    response = sandbox.post("/v2/notifications/sms", sms_body(sandbox, sms_sender_id=sender))
    assert error(response)[2] == (
        f"sms_sender_id {sender} does not exist in database for service id {sandbox.service_id}"
    )


def test_an_sms_sender_id_sets_the_sender(sandbox: Sandbox, api_url: str) -> None:
    sender = admin(
        api_url, "POST", f"/services/{sandbox.service_id}/senders/sms-senders", {"value": "COUNCIL"}
    )
    response = sandbox.post("/v2/notifications/sms", sms_body(sandbox, sms_sender_id=sender["id"]))
    assert response.status_code == 201
    assert response.json()["content"]["from_number"] == "COUNCIL"


def test_a_team_key_sends_only_to_the_team_and_guest_list(sandbox: Sandbox, api_url: str) -> None:
    refused = sandbox.post("/v2/notifications/sms", sms_body(sandbox), key_type="team")
    assert error(refused) == (
        400,
        "BadRequestError",
        "Can’t send to this recipient using a team-only API key",
    )
    admin(
        api_url, "PUT", f"/services/{sandbox.service_id}/guest-list", {"phone_numbers": ["+44 7700 900123"]}
    )
    assert sandbox.post("/v2/notifications/sms", sms_body(sandbox), key_type="team").status_code == 201


def test_a_trial_service_sends_only_to_its_team(api_url: str) -> None:
    sandbox = make_sandbox(api_url, live=False)
    admin(
        api_url,
        "POST",
        f"/services/{sandbox.service_id}/team-members",
        {"email_address": "me@example.gov.uk"},
    )
    email = {"template_id": sandbox.templates["email"], "personalisation": {"name": "a", "items": "b"}}
    refused = sandbox.post(
        "/v2/notifications/email", {**email, "email_address": "other@example.com"}, key_type="team"
    )
    assert error(refused)[2] == "Can’t send to this recipient using a team-only API key"
    allowed = sandbox.post(
        "/v2/notifications/email", {**email, "email_address": "ME@example.gov.uk"}, key_type="team"
    )
    assert allowed.status_code == 201
    assert (
        sandbox.post(
            "/v2/notifications/email", {**email, "email_address": "x@y.com"}, key_type="test"
        ).status_code
        == 201
    )


def test_letters_are_refused_for_team_keys_and_trial_services(sandbox: Sandbox, api_url: str) -> None:
    letter = {"template_id": sandbox.templates["letter"], "personalisation": {"name": "a"}}
    assert error(sandbox.post("/v2/notifications/letter", letter, key_type="team")) == (
        403,
        "BadRequestError",
        "Cannot send letters with a team api key",
    )
    trial = make_sandbox(api_url, live=False)
    letter["template_id"] = trial.templates["letter"]
    admin(api_url, "POST", f"/services/{trial.service_id}/api-keys", {"name": "x", "key_type": "team"})
    response = httpx.post(
        f"{api_url}/v2/notifications/letter",
        json=letter,
        headers={"Authorization": f"Bearer {token(trial.service_id, trial.secret('team'))}"},
    )
    assert error(response)[0] == 403


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ({"address_line_1": "A", "address_line_2": "B"}, "Address must be at least 3 lines"),
        (
            {"address_line_1": "A", "address_line_2": "1 Street", "postcode": "NOT A POSTCODE"},
            "Must be a real UK postcode",
        ),
        (
            {"address_line_1": "!!", "address_line_2": "1 Street", "postcode": "SW1A 1AA"},
            "The first 2 lines of the address must both include at least one alphanumeric character",
        ),
    ],
)
def test_letter_addresses_are_validated(sandbox: Sandbox, address: dict[str, str], message: str) -> None:
    letter = {"template_id": sandbox.templates["letter"], "personalisation": {"name": "a", **address}}
    assert error(sandbox.post("/v2/notifications/letter", letter)) == (400, "ValidationError", message)


def test_precompiled_letters_refuse_bad_base64_and_bad_postage(sandbox: Sandbox) -> None:
    bad = sandbox.post("/v2/notifications/letter", {"reference": "r", "content": "%%%"})
    assert error(bad) == (400, "BadRequestError", "Cannot decode letter content (invalid base64 encoding)")
    postage = sandbox.post(
        "/v2/notifications/letter", {"reference": "r", "content": "JVBERi0=", "postage": "fast"}
    )
    assert error(postage) == (
        400,
        "ValidationError",
        "postage invalid. It must be either first, second or economy.",
    )


def test_an_unknown_notification_is_not_found(sandbox: Sandbox) -> None:
    assert error(sandbox.get(f"/v2/notifications/{uuid.uuid4()}")) == (
        404,
        "NoResultFound",
        "No result found",
    )
    assert error(sandbox.get("/v2/notifications/not-a-uuid")) == (
        400,
        "ValidationError",
        "notification_id is not a valid UUID",
    )


def test_list_filters_are_validated(sandbox: Sandbox) -> None:
    assert (
        error(sandbox.get("/v2/notifications", template_type="fax"))[2]
        == "template_type fax is not one of [sms, email, letter]"
    )
    assert (
        error(sandbox.get("/v2/notifications", foo="1"))[2]
        == "Additional properties are not allowed (foo was unexpected)"
    )
    assert error(sandbox.get("/v2/notifications", older_than="x"))[2] == "older_than is not a valid UUID"
    status = error(sandbox.get("/v2/notifications", status="elephant"))[2]
    assert status.startswith("status elephant is not one of [cancelled, created, sending")


@pytest.mark.parametrize("template_id", ["", "not-a-uuid"])
def test_a_job_upload_with_a_template_id_that_is_not_a_uuid_is_a_400_not_a_500(
    sandbox: Sandbox, template_id: str
) -> None:
    response = httpx.post(
        f"{sandbox.url}/v2/jobs",
        params={"template_id": template_id},
        content=b"phone number\n07700900123\n",
        headers=sandbox.headers(),
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"error": "ValidationError", "message": "template_id is not a valid UUID"}
    ]


NUL = (400, "ValidationError", "Text cannot contain the NUL character (\\u0000)")


@pytest.mark.parametrize(
    "overrides",
    [{"reference": "a\x00b"}, {"personalisation": {"name": "A\x00da", "code": "1234"}}],
)
def test_a_send_holding_a_nul_character_is_refused_not_accepted(
    sandbox: Sandbox, overrides: dict[str, Any]
) -> None:
    """PostgreSQL's text cannot hold a NUL: such a send could never be stored, so it is not accepted."""
    assert error(sandbox.post("/v2/notifications/sms", sms_body(sandbox, **overrides))) == NUL


@pytest.mark.parametrize("path", ["/v2/notifications", "/v2/received-text-messages", "/v2/templates"])
def test_a_query_holding_a_nul_character_is_refused_not_a_server_error(sandbox: Sandbox, path: str) -> None:
    assert error(sandbox.get(path, reference="a\x00b")) == NUL
