"""Security keys through the admin API against PostgreSQL and Redis, answered by a software key
(tests/support/webauthn_keys.py): registering one makes it the way the account signs in; signing in
checks the challenge (once), the origin, the signature and the counter; a failure counts towards
the lockout; keys are renamed and deleted, but never an account's last one; without Redis (where
challenges are kept) a ceremony is refused with a clear 503."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import Engine, create_engine, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from notify_admin_api.console_accounts import AccountStore
from notify_admin_api.console_webauthn import WebAuthnStore
from notify_admin_api.store import AdminError
from notify_admin_api.tables.console import console_users
from notify_admin_api.tables.webauthn import webauthn_credentials
from notify_common.secrets import SecretBox
from tests.integration.api_gateway.harness import ADMIN_TOKEN, admin_url_of
from tests.support import env
from tests.support.senders import free_port
from tests.support.webauthn_keys import SoftKey, b64url

ORIGIN = "https://notify.example.gov.uk"


@pytest.fixture(scope="module")
def db() -> Iterator[Engine]:
    engine = create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


def call(url: str, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{admin_url_of(url)}/admin/console{path}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )


def ok(answer: httpx.Response) -> Any:
    assert answer.status_code < 300, answer.text
    return answer.json()["data"]


def new_user(url: str) -> str:
    made = call(
        url,
        "POST",
        "/users",
        {
            "name": "Grace Hopper",
            "email_address": f"keys.{secrets.token_hex(4)}@example.gov.uk",
            "password": f"pass word {secrets.token_hex(4)}",
            "mobile_number": "07700900123",
        },
    )
    return str(ok(made)["id"])


def register(url: str, user_id: str, key: SoftKey, origin: str = ORIGIN) -> httpx.Response:
    begun = ok(call(url, "POST", f"/users/{user_id}/webauthn/registration-options", {"origin": origin}))
    credential = key.register(begun["options"], origin)
    return call(
        url, "POST", f"/users/{user_id}/webauthn", {"ceremony": begun["ceremony"], "credential": credential}
    )


def begin_sign_in(url: str, user_id: str) -> dict[str, Any]:
    return dict(
        ok(call(url, "POST", f"/users/{user_id}/webauthn/authentication-options", {"origin": ORIGIN}))
    )


def answer(url: str, user_id: str, ceremony: str, credential: dict[str, Any]) -> httpx.Response:
    return call(
        url, "POST", f"/users/{user_id}/verify-webauthn", {"ceremony": ceremony, "credential": credential}
    )


def failed_logins(db: Engine, user_id: str) -> int:
    with db.connect() as conn:
        return int(
            conn.execute(
                select(console_users.c.failed_login_count).where(console_users.c.id == user_id)
            ).scalar_one()
        )


def test_a_registered_key_becomes_the_way_the_account_signs_in(api_url: str, db: Engine) -> None:
    user_id = new_user(api_url)
    key = SoftKey()
    begun = ok(call(api_url, "POST", f"/users/{user_id}/webauthn/registration-options", {"origin": ORIGIN}))
    assert begun["options"]["rp"] == {"id": "notify.example.gov.uk", "name": "Notify"}
    assert begun["options"]["user"]["name"].startswith("keys.")

    registered = ok(
        call(
            api_url,
            "POST",
            f"/users/{user_id}/webauthn",
            {"ceremony": begun["ceremony"], "credential": key.register(begun["options"], ORIGIN)},
        )
    )
    assert registered["name"] == "Unnamed key"
    assert registered["last_used"] is None
    assert ok(call(api_url, "GET", f"/users/{user_id}"))["auth_type"] == "webauthn_auth"
    with db.connect() as conn:
        stored = conn.execute(
            select(webauthn_credentials).where(webauthn_credentials.c.user_id == user_id)
        ).one()
    assert stored.credential_id == b64url(key.credential_id)
    assert bytes(stored.public_key) == key.cose_public_key()

    # A second registration excludes the key already registered.
    again = ok(call(api_url, "POST", f"/users/{user_id}/webauthn/registration-options", {"origin": ORIGIN}))
    assert [c["id"] for c in again["options"]["excludeCredentials"]] == [b64url(key.credential_id)]

    challenge = begin_sign_in(api_url, user_id)
    assert challenge["options"]["rpId"] == "notify.example.gov.uk"
    assert [c["id"] for c in challenge["options"]["allowCredentials"]] == [b64url(key.credential_id)]
    signed_in = ok(answer(api_url, user_id, challenge["ceremony"], key.sign_in(challenge["options"], ORIGIN)))
    assert signed_in["id"] == user_id
    assert signed_in["logged_in_at"] is not None
    listed = ok(call(api_url, "GET", f"/users/{user_id}/webauthn"))
    assert listed[0]["last_used"] is not None
    with db.connect() as conn:
        count = conn.execute(
            select(webauthn_credentials.c.sign_count).where(webauthn_credentials.c.user_id == user_id)
        ).scalar_one()
    assert count == key.counter == 1


def test_a_challenge_answers_once_and_only_from_the_consoles_origin(api_url: str, db: Engine) -> None:
    user_id = new_user(api_url)
    key = SoftKey()
    wrong_origin = ok(
        call(api_url, "POST", f"/users/{user_id}/webauthn/registration-options", {"origin": ORIGIN})
    )
    refused = call(
        api_url,
        "POST",
        f"/users/{user_id}/webauthn",
        {
            "ceremony": wrong_origin["ceremony"],
            "credential": key.register(wrong_origin["options"], "https://phishing.example"),
        },
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == "The security key could not be registered"
    assert ok(call(api_url, "GET", f"/users/{user_id}/webauthn")) == []
    assert register(api_url, user_id, key).status_code == 201

    challenge = begin_sign_in(api_url, user_id)
    response = key.sign_in(challenge["options"], ORIGIN)
    assert answer(api_url, user_id, challenge["ceremony"], response).status_code == 200
    replayed = answer(api_url, user_id, challenge["ceremony"], response)
    assert replayed.status_code == 400
    assert replayed.json()["errors"][0]["message"] == "The security key check has expired: start again"

    other = begin_sign_in(api_url, user_id)
    elsewhere = answer(
        api_url, user_id, other["ceremony"], key.sign_in(other["options"], "https://phishing.example")
    )
    assert elsewhere.status_code == 400
    assert elsewhere.json()["errors"][0]["message"] == "Security key not recognised"
    assert failed_logins(db, user_id) == 1


def test_a_counter_that_goes_back_or_a_wrong_signature_is_refused_and_counted(
    api_url: str, db: Engine
) -> None:
    user_id = new_user(api_url)
    key = SoftKey()
    assert register(api_url, user_id, key).status_code == 201
    first = begin_sign_in(api_url, user_id)
    ok(answer(api_url, user_id, first["ceremony"], key.sign_in(first["options"], ORIGIN, count=5)))

    cloned = begin_sign_in(api_url, user_id)
    assert (
        answer(
            api_url, user_id, cloned["ceremony"], key.sign_in(cloned["options"], ORIGIN, count=5)
        ).status_code
        == 400
    )
    forged = begin_sign_in(api_url, user_id)
    signed_elsewhere = key.sign_in(forged["options"], ORIGIN, signer=SoftKey())
    assert answer(api_url, user_id, forged["ceremony"], signed_elsewhere).status_code == 400
    assert failed_logins(db, user_id) == 2

    right = begin_sign_in(api_url, user_id)
    ok(answer(api_url, user_id, right["ceremony"], key.sign_in(right["options"], ORIGIN)))
    assert failed_logins(db, user_id) == 0


def test_a_locked_account_cannot_sign_in_with_its_key(api_url: str, db: Engine) -> None:
    user_id = new_user(api_url)
    key = SoftKey()
    assert register(api_url, user_id, key).status_code == 201
    begun = begin_sign_in(api_url, user_id)
    with db.begin() as conn:
        conn.execute(update(console_users).where(console_users.c.id == user_id).values(failed_login_count=10))
    locked = answer(api_url, user_id, begun["ceremony"], key.sign_in(begun["options"], ORIGIN))
    assert locked.status_code == 400
    refused = call(api_url, "POST", f"/users/{user_id}/webauthn/authentication-options", {"origin": ORIGIN})
    assert refused.status_code == 403


def test_an_account_without_keys_or_an_origin_that_is_no_domain_is_refused(api_url: str) -> None:
    user_id = new_user(api_url)
    no_keys = call(api_url, "POST", f"/users/{user_id}/webauthn/authentication-options", {"origin": ORIGIN})
    assert no_keys.status_code == 403
    for origin in ("http://notify.example.gov.uk", "https://127.0.0.1:6027", "notify.example"):
        refused = call(api_url, "POST", f"/users/{user_id}/webauthn/registration-options", {"origin": origin})
        assert refused.status_code == 400, origin
        assert refused.json()["errors"][0]["error"] == "AdminError"
    local = ok(
        call(
            api_url,
            "POST",
            f"/users/{user_id}/webauthn/registration-options",
            {"origin": "http://localhost:6027"},
        )
    )
    assert local["options"]["rp"]["id"] == "localhost"


def test_keys_are_renamed_and_deleted_but_never_the_last_one(api_url: str) -> None:
    user_id, stranger = new_user(api_url), new_user(api_url)
    first, second = SoftKey(), SoftKey()
    first_id = ok(register(api_url, user_id, first))["id"]
    second_id = ok(register(api_url, user_id, second))["id"]
    renamed = ok(call(api_url, "PATCH", f"/users/{user_id}/webauthn/{first_id}", {"name": "Blue key"}))
    assert renamed["name"] == "Blue key"
    assert (
        call(api_url, "PATCH", f"/users/{user_id}/webauthn/{first_id}", {"name": "bad\x07"}).status_code
        == 400
    )
    assert (
        call(api_url, "PATCH", f"/users/{stranger}/webauthn/{first_id}", {"name": "Mine"}).status_code == 404
    )
    assert call(api_url, "DELETE", f"/users/{stranger}/webauthn/{first_id}").status_code == 404

    ok(call(api_url, "DELETE", f"/users/{user_id}/webauthn/{second_id}"))
    last = call(api_url, "DELETE", f"/users/{user_id}/webauthn/{first_id}")
    assert last.status_code == 400
    assert last.json()["errors"][0]["message"] == "Cannot delete last remaining webauthn credential for user"
    assert [k["name"] for k in ok(call(api_url, "GET", f"/users/{user_id}/webauthn"))] == ["Blue key"]
    # Once the account signs in with a code again, its last key may go.
    ok(call(api_url, "PATCH", f"/users/{user_id}", {"auth_type": "sms_auth"}))
    ok(call(api_url, "DELETE", f"/users/{user_id}/webauthn/{first_id}"))
    assert ok(call(api_url, "GET", f"/users/{user_id}/webauthn")) == []


async def test_without_redis_a_key_ceremony_is_refused_with_a_clear_error(api_url: str) -> None:
    user_id = new_user(api_url)
    engine = create_async_engine(env.DATABASE_URL)
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.5)
    store = WebAuthnStore(engine, unreachable, AccountStore(engine, SecretBox("x" * 32)))
    try:
        with pytest.raises(AdminError) as refused:
            await store.registration_options(user_id, ORIGIN)
        assert (refused.value.status_code, refused.value.message) == (
            503,
            "Security keys cannot be used at the moment: try again in a few minutes",
        )
        with pytest.raises(AdminError) as taken:
            await store.register(user_id, "ceremony", {})
        assert taken.value.status_code == 503
    finally:
        await unreachable.aclose()  # type: ignore[attr-defined]
        await engine.dispose()
