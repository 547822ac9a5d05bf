"""Authentication gives GOV.UK Notify's answers, word for word."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from notify_api_gateway.auth import bearer_token, unverified_issuer, verify_token
from notify_common.api_errors import ApiError
from notify_common.service_config import ApiKey

SERVICE = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
KEY = ApiKey(id=str(uuid.uuid4()), service_id=SERVICE, name="k", key_type="normal", revoked=False)


def verify_with_keys(token: str, keys: list[tuple[ApiKey, str]], now: float | None = None) -> ApiKey:
    return verify_token(token, keys, now)[0]


def token(secret: str = SECRET, iss: object = SERVICE, iat: float | None = None, alg: str = "HS256") -> str:
    claims: dict[str, object] = {"iss": iss, "iat": int(time.time() if iat is None else iat)}
    return jwt.encode(claims, secret, algorithm=alg)


def refusal(call: object) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        call()  # type: ignore[operator]
    return caught.value.status_code, caught.value.messages[0]


def test_a_missing_header_is_401() -> None:
    assert refusal(lambda: bearer_token(None)) == (401, "Unauthorized: authentication token must be provided")


@pytest.mark.parametrize("header", ["Basic abc", "Token abc", "Bearer", "Bearer   "])
def test_a_scheme_other_than_bearer_is_401(header: str) -> None:
    assert refusal(lambda: bearer_token(header)) == (
        401,
        "Unauthorized: authentication bearer scheme must be used",
    )


def test_the_bearer_scheme_is_case_insensitive() -> None:
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def test_a_token_without_iss_is_403() -> None:
    bare = jwt.encode({"iat": int(time.time())}, SECRET, algorithm="HS256")
    assert refusal(lambda: unverified_issuer(bare)) == (403, "Invalid token: iss field not provided")


def test_an_iss_that_is_not_a_uuid_is_403() -> None:
    assert refusal(lambda: unverified_issuer(token(iss="not-a-uuid"))) == (
        403,
        "Invalid token: service id is not the right data type",
    )


def test_a_token_that_is_not_a_jwt_is_403_with_the_docs_link() -> None:
    status, message = refusal(lambda: unverified_issuer("garbage"))
    assert status == 403
    assert message.startswith("Invalid token: make sure your API token matches the example at https://docs.")


def test_the_key_that_signed_the_token_is_found_among_the_services_keys() -> None:
    other = ApiKey(id=str(uuid.uuid4()), service_id=SERVICE, name="o", key_type="test", revoked=False)
    assert verify_with_keys(token(), [(other, str(uuid.uuid4())), (KEY, SECRET)]) is KEY


def test_a_token_signed_with_no_key_of_the_service_is_403() -> None:
    assert refusal(lambda: verify_with_keys(token(secret="wrong"), [(KEY, SECRET)])) == (
        403,
        "Invalid token: API key not found",
    )


def test_a_revoked_key_is_403() -> None:
    revoked = ApiKey(id=KEY.id, service_id=SERVICE, name="k", key_type="normal", revoked=True)
    assert refusal(lambda: verify_with_keys(token(), [(revoked, SECRET)])) == (
        403,
        "Invalid token: API key revoked",
    )


def test_an_algorithm_other_than_hs256_is_403() -> None:
    assert refusal(lambda: verify_with_keys(token(alg="HS512"), [(KEY, SECRET)])) == (
        403,
        "Invalid token: algorithm used is not HS256",
    )


@pytest.mark.parametrize("skew", [-29, 0, 29])
def test_iat_within_30_seconds_either_way_is_accepted(skew: int) -> None:
    now = time.time()
    assert verify_with_keys(token(iat=now + skew), [(KEY, SECRET)], now=now) is KEY


@pytest.mark.parametrize("skew", [-31, 31, -3600])
def test_iat_more_than_30_seconds_off_is_403(skew: int) -> None:
    now = time.time()
    assert refusal(lambda: verify_with_keys(token(iat=now + skew), [(KEY, SECRET)], now=now)) == (
        403,
        "Error: Your system clock must be accurate to within 30 seconds",
    )
