"""Beta request-signing tokens: each token is bound to one method, path and body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid

import jwt
import pytest

from notify_api_gateway.legacy.signing import (
    SignedRequest,
    SigningError,
    request_signature,
    signature,
    verify,
)
from notify_common.service_config import ApiKey
from tests.support.beta_tokens import create_token

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
KEY = ApiKey(id=str(uuid.uuid4()), service_id=SERVICE_ID, name="k", key_type="normal", revoked=False)
BODY = b'{"to": "+447777111222", "template": "t"}'
POST = SignedRequest("POST", "/notifications/sms", BODY)


def refused(token: str, request: SignedRequest, keys: list[tuple[ApiKey, str]] | None = None) -> str:
    with pytest.raises(SigningError) as exc:
        verify(token, keys if keys is not None else [(KEY, SECRET)], request)
    return exc.value.message


def test_the_signatures_are_standard_padded_base64_of_hmac_sha256() -> None:
    expected = base64.b64encode(hmac.new(SECRET.encode(), b"GET /notification/1234", hashlib.sha256).digest())
    assert request_signature(SECRET, "get", "/notification/1234") == expected.decode()
    assert request_signature(SECRET, "GET", "/notification/1234").endswith("=")
    assert (
        signature(SECRET, BODY)
        == base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()
    )


def test_a_token_made_for_a_request_verifies_for_that_request() -> None:
    assert verify(create_token(SERVICE_ID, SECRET, POST), [(KEY, SECRET)], POST) == KEY
    get = SignedRequest("GET", "/notifications", b"")
    assert verify(create_token(SERVICE_ID, SECRET, get), [(KEY, SECRET)], get) == KEY


def test_the_key_that_signed_it_is_found_among_several() -> None:
    other = ApiKey(id=str(uuid.uuid4()), service_id=SERVICE_ID, name="o", key_type="team", revoked=False)
    token = create_token(SERVICE_ID, SECRET, POST)
    assert verify(token, [(other, str(uuid.uuid4())), (KEY, SECRET)], POST) == KEY


@pytest.mark.parametrize(
    "replayed",
    [
        SignedRequest("POST", "/notifications/email", BODY),
        SignedRequest("GET", "/notifications/sms", BODY),
        SignedRequest("POST", "/notifications/sms/", BODY),
    ],
)
def test_a_token_replayed_against_another_method_or_path_is_refused(replayed: SignedRequest) -> None:
    assert refused(create_token(SERVICE_ID, SECRET, POST), replayed) == "Invalid token: request"


@pytest.mark.parametrize("body", [BODY + b" ", BODY.replace(b"+44", b"+33"), b""])
def test_a_token_replayed_with_another_body_is_refused(body: bytes) -> None:
    replayed = SignedRequest("POST", "/notifications/sms", body)
    assert refused(create_token(SERVICE_ID, SECRET, POST), replayed) == "Invalid token: payload"


def test_a_post_token_without_pay_is_refused() -> None:
    claims = {"iss": SERVICE_ID, "iat": int(time.time()), "req": request_signature(SECRET, "POST", POST.path)}
    assert refused(jwt.encode(claims, SECRET, algorithm="HS256"), POST) == "Invalid token: payload"


def test_a_token_without_req_is_refused() -> None:
    token = jwt.encode({"iss": SERVICE_ID, "iat": int(time.time())}, SECRET, algorithm="HS256")
    assert refused(token, SignedRequest("GET", "/notifications", b"")) == "Invalid token: request"


def test_a_token_signed_with_an_unknown_secret_is_refused() -> None:
    assert refused(create_token(SERVICE_ID, str(uuid.uuid4()), POST), POST) == "Invalid token: signature"


def test_a_revoked_key_and_a_stale_token_are_refused_in_v2s_words() -> None:
    revoked = ApiKey(id=KEY.id, service_id=SERVICE_ID, name="k", key_type="normal", revoked=True)
    token = create_token(SERVICE_ID, SECRET, POST)
    assert refused(token, POST, [(revoked, SECRET)]) == "Invalid token: API key revoked"
    stale = create_token(SERVICE_ID, SECRET, POST, iat=time.time() - 120)
    assert refused(stale, POST) == "Error: Your system clock must be accurate to within 30 seconds"


def test_only_hs256_is_accepted() -> None:
    token = jwt.encode({"iss": SERVICE_ID, "iat": int(time.time())}, SECRET, algorithm="HS512")
    assert refused(token, POST) == "Invalid token: algorithm used is not HS256"
