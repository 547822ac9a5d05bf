"""Fuzzing the public API: schemathesis generates requests from the OpenAPI document for every
public endpoint, and hypothesis throws arbitrary recipients and personalisation at the sends. Bad
input must never produce a 5xx. The budget is bounded (about a minute in all); run alone with
``.venv/bin/pytest tests/integration/api_gateway/test_fuzz.py -q``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.integration.api_gateway.harness import Sandbox, make_sandbox

UNLIMITED: dict[str, Any] = {
    "rate_limit": 10_000_000,
    "sms_message_limit": 10_000_000,
    "email_message_limit": 10_000_000,
    "letter_message_limit": 10_000_000,
    "international_sms_message_limit": 10_000_000,
}


@pytest.fixture(scope="module")
def fuzz_sandbox(api_url: str) -> Sandbox:
    return make_sandbox(api_url, permissions=["sms", "email", "letter", "international_sms"], **UNLIMITED)


@pytest.fixture(scope="module")
def public_api(api_url: str) -> Any:
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json")
    return schema.include(path_regex="^/v2/")


def test_no_generated_request_gets_a_server_error(public_api: Any, fuzz_sandbox: Sandbox) -> None:
    operations = [result.ok() for result in public_api.get_all_operations()]
    assert len(operations) >= 11  # every public v2 endpoint is in the document

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            case.call_and_validate(headers=fuzz_sandbox.headers(), checks=[not_a_server_error])

        check()


text = st.text(max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    channel=st.sampled_from(["sms", "email", "letter"]),
    recipient=st.one_of(text, st.from_regex(r"\+?[0-9 ()\-]{0,20}", fullmatch=True)),
    personalisation=st.dictionaries(
        st.sampled_from(["name", "code", "items", "address_line_1", "postcode", "x"]), json_values, max_size=5
    ),
    extra=st.dictionaries(
        st.sampled_from(["reference", "scheduled_for", "sms_sender_id", "email_reply_to_id"]),
        json_values,
        max_size=2,
    ),
)
def test_arbitrary_recipients_and_personalisation_never_get_a_server_error(
    fuzz_sandbox: Sandbox,
    channel: str,
    recipient: str,
    personalisation: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    body: dict[str, Any] = {
        "template_id": fuzz_sandbox.templates[channel],
        "personalisation": personalisation,
        **extra,
    }
    if channel == "sms":
        body["phone_number"] = recipient
    elif channel == "email":
        body["email_address"] = recipient
    response = httpx.post(
        f"{fuzz_sandbox.url}/v2/notifications/{channel}",
        json=body,
        headers=fuzz_sandbox.headers(key_type="test"),
    )
    assert response.status_code < 500, response.text
    assert response.json()["status_code" if response.status_code >= 400 else "id"]
