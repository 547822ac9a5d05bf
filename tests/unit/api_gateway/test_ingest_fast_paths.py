"""The ingest fast paths decide exactly as the slow paths they stand in for: the compiled schema
checks as jsonschema, the once-per-request phone parse as ``validate_phone_number``, and a remembered
token as a fresh verification."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest

from notify_api_gateway import validation
from notify_api_gateway.auth import VerifiedTokens, verify_remembered, verify_token
from notify_api_gateway.schemas import POST_BULK, POST_EMAIL, POST_LETTER, POST_SMS
from notify_common.api_errors import ApiError
from notify_common.recipients import InvalidRecipientError, phone_fast, validate_phone_number
from notify_common.service_config import ApiKey

TEMPLATE = str(uuid.uuid4())
BODIES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (POST_SMS, {"phone_number": "07700900123", "template_id": TEMPLATE}),
    (POST_SMS, {"phone_number": "07700900123", "template_id": TEMPLATE, "personalisation": {"a": 1}}),
    (POST_SMS, {"phone_number": "07700900123", "template_id": "not-a-uuid"}),
    (POST_SMS, {"phone_number": "01632 960 001", "template_id": TEMPLATE}),
    (POST_SMS, {"phone_number": 7700900123, "template_id": TEMPLATE}),
    (POST_SMS, {"phone_number": "07700900123", "template_id": TEMPLATE, "extra": 1}),
    (POST_SMS, {"phone_number": "07700900123", "template_id": TEMPLATE, "reference": "x" * 1001}),
    (POST_SMS, {"phone_number": "07700900123", "template_id": TEMPLATE, "reference": None}),
    (POST_SMS, {"phone_number": "07700900123", "template_id": TEMPLATE, "scheduled_for": None}),
    (POST_SMS, {"phone_number": "07700900123", "template_id": TEMPLATE, "scheduled_for": "2001-01-01"}),
    (POST_SMS, {"phone_number": "07700900123", "template_id": TEMPLATE, "personalisation": []}),
    (POST_SMS, {"template_id": TEMPLATE}),
    (POST_EMAIL, {"email_address": "a@example.gov.uk", "template_id": TEMPLATE}),
    (POST_EMAIL, {"email_address": "not an email", "template_id": TEMPLATE}),
    (POST_EMAIL, {"email_address": "a@example.gov.uk", "template_id": TEMPLATE, "sanitise_content_for": [1]}),
    (
        POST_EMAIL,
        {
            "email_address": "a@example.gov.uk",
            "template_id": TEMPLATE,
            "one_click_unsubscribe_url": "http://x",
        },
    ),
    (POST_LETTER, {"template_id": TEMPLATE, "personalisation": {}}),
    (POST_LETTER, {"template_id": TEMPLATE}),
    (POST_BULK, {"template_id": TEMPLATE, "name": "n", "rows": [["phone number"], ["07700900123"]]}),
    (POST_BULK, {"template_id": TEMPLATE, "name": "n", "rows": [["phone number"], [True]]}),
    (POST_BULK, {"template_id": TEMPLATE, "name": "n", "rows": [["phone number", "n"], ["0770", 1.5]]}),
    (POST_BULK, {"template_id": TEMPLATE, "name": "n", "rows": [["phone number", "n"], ["0770", None]]}),
    (POST_BULK, {"template_id": TEMPLATE, "name": "n", "rows": [["phone number", "n"], ["0770", {}]]}),
    (POST_BULK, {"template_id": TEMPLATE, "name": "n", "rows": [["phone number", "n"], "0770"]}),
    (POST_BULK, {"template_id": TEMPLATE, "name": 7, "rows": [["phone number"], ["0770"]]}),
    (POST_BULK, {"template_id": TEMPLATE, "name": "", "rows": [["phone number"]]}),
    (POST_BULK, {"template_id": TEMPLATE, "name": "n", "csv": "phone number\n07700900123"}),
]


def _slow_errors(body: dict[str, Any], schema: dict[str, Any]) -> bool:
    return any(True for _ in validation._validator(schema).iter_errors(body))


@pytest.mark.parametrize(("schema", "body"), BODIES)
def test_the_compiled_schema_checks_agree_with_jsonschema(
    schema: dict[str, Any], body: dict[str, Any]
) -> None:
    assert validation._fast(schema).is_valid(body) is not _slow_errors(body, schema)


FORMAT_VALUES: list[object] = [
    TEMPLATE,
    TEMPLATE.upper(),
    "{" + TEMPLATE + "}",
    "urn:uuid:" + TEMPLATE,
    TEMPLATE.replace("-", ""),
    TEMPLATE + "0",
    TEMPLATE[:-1] + "g",
    TEMPLATE + "\n",
    "not-a-uuid",
    "",
    "07700900123",
    "+447700900123",
    "01632960001",
    "a@example.gov.uk",
    "not an email",
    "first",
    "fourth",
    "cy",
    "en-GB",
    "xx-!!",
    "2001-01-01",
    "http://x",
    7,
    None,
    [],
]


@pytest.mark.parametrize("value", FORMAT_VALUES)
def test_each_format_the_compiled_schemas_call_answers_as_the_format_checker(value: object) -> None:
    # The compiled schemas call each format's check directly, not through ``conforms``.
    assert set(validation._FORMATS) == set(validation.format_checker.checkers)
    for name, conforms in validation._FORMATS.items():
        assert conforms(value) is validation.format_checker.conforms(value, name), name


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (TEMPLATE, True),
        (TEMPLATE.upper(), True),
        ("{" + TEMPLATE + "}", True),
        ("urn:uuid:" + TEMPLATE, True),
        (TEMPLATE.replace("-", ""), True),
        (TEMPLATE + "0", False),
        (TEMPLATE[:-1] + "g", False),
        (TEMPLATE + "\n", False),
        ("not-a-uuid", False),
    ],
)
def test_a_template_id_is_a_uuid_in_every_form_uuid_takes_and_no_other(value: str, valid: bool) -> None:
    assert validation.format_checker.conforms(value, "validate_uuid") is valid
    assert validation._fast(POST_SMS).is_valid({"phone_number": "07700900123", "template_id": value}) is valid


@pytest.mark.parametrize(
    "number",
    [
        "07700900123",
        "+447700900123",
        "0044 7700 900124",  # same 7-digit prefix: the remembered verdict
        "07624 123456",  # Isle of Man: a UK mobile billed as international
        "07624123457",
        "07999 999999",
        "07000 000000",  # personal numbering, not a mobile: always the full path's refusal
        "01632960001",
        "+12025550123",
        "+33612345678",
        "0900 123",
        "abc",
    ],
)
@pytest.mark.parametrize("international", [True, False])
@pytest.mark.parametrize("landline", [True, False])
def test_a_phone_number_checked_once_per_request_decides_as_validate_phone_number(
    number: str, international: bool, landline: bool
) -> None:
    def outcome(check: Any) -> object:
        try:
            return check(number, allow_international=international, allow_landline=landline)
        except InvalidRecipientError as exc:
            return (type(exc), exc.message)

    phone_fast._PHONES.clear()
    assert outcome(phone_fast.checked_phone_number) == outcome(validate_phone_number)
    assert outcome(phone_fast.checked_phone_number) == outcome(validate_phone_number)  # from the cache


def test_a_remembered_token_is_refused_once_its_key_is_revoked_or_its_iat_too_old() -> None:
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
    key = ApiKey(id=str(uuid.uuid4()), service_id=service_id, name="k", key_type="normal", revoked=False)
    now = time.time()
    token = jwt.encode({"iss": service_id, "iat": int(now)}, secret, "HS256")
    found, used, claims = verify_token(token, [(key, secret)], now=now)
    tokens = VerifiedTokens()
    tokens.remember(token, service_id, found, used, claims)
    known = tokens.get(token)
    assert known is not None
    assert verify_remembered(known, [(key, secret)], now=now) is key
    revoked = ApiKey(id=key.id, service_id=service_id, name="k", key_type="normal", revoked=True)
    with pytest.raises(ApiError, match="revoked"):
        verify_remembered(known, [(revoked, secret)], now=now)
    with pytest.raises(ApiError, match="30 seconds"):
        verify_remembered(known, [(key, secret)], now=now + 31)
    assert verify_remembered(known, [], now=now) is None


def test_a_token_with_an_expiry_is_never_remembered() -> None:
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
    key = ApiKey(id=str(uuid.uuid4()), service_id=service_id, name="k", key_type="normal", revoked=False)
    now = int(time.time())
    token = jwt.encode({"iss": service_id, "iat": now, "exp": now + 5}, secret, "HS256")
    found, used, claims = verify_token(token, [(key, secret)])
    tokens = VerifiedTokens()
    tokens.remember(token, service_id, found, used, claims)
    assert tokens.get(token) is None
