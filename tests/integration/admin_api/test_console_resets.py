"""Forgotten passwords and reply-to verification through the admin API against PostgreSQL: a reset
link token that is kept only as a digest, works once, expires after an hour and dies with a password
change; at most 5 links an hour per account, with the same answer as for an unknown address; and a
reply-to address added only by the link emailed to it, once, and only to its own service."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, select, update

from notify_admin_api.tables.console import console_password_resets, console_reply_to_verifications
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin_url_of, make_sandbox
from tests.support import env


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


def new_user(url: str) -> tuple[str, str, str]:
    email = f"Reset.{secrets.token_hex(4)}@example.gov.uk"
    password = f"old password {secrets.token_hex(4)}"
    made = call(
        url,
        "POST",
        "/users",
        {"name": "Ada", "email_address": email, "password": password, "mobile_number": "07700900123"},
    )
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"], email, password


def ask(url: str, email: str) -> Any:
    answer = call(url, "POST", "/password-resets", {"email_address": email})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def signs_in(url: str, email: str, password: str) -> bool:
    answer = call(url, "POST", "/users/verify-password", {"email_address": email, "password": password})
    return answer.status_code == 200


def test_a_reset_link_works_once_and_only_its_digest_is_kept(api_url: str, db: Engine) -> None:
    user_id, email, old = new_user(api_url)
    issued = ask(api_url, email.upper())
    assert issued["email_address"] == email.lower()
    assert issued["name"] == "Ada"
    token = issued["token"]
    with db.connect() as conn:
        stored = conn.execute(
            select(console_password_resets).where(console_password_resets.c.user_id == user_id)
        ).one()
    assert stored.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(tuple(stored))
    assert (stored.expires_at - stored.created_at).total_seconds() == 3600

    checked = call(api_url, "POST", "/password-resets/check", {"token": token})
    assert checked.json()["data"] == {"email_address": email.lower()}
    short = call(api_url, "POST", "/password-resets/complete", {"token": token, "password": "short"})
    assert short.status_code == 400
    assert short.json()["errors"][0]["message"] == "Password must be at least 8 characters"

    done = call(api_url, "POST", "/password-resets/complete", {"token": token, "password": "a new password"})
    assert done.status_code == 200, done.text
    assert signs_in(api_url, email, "a new password")
    assert not signs_in(api_url, email, old)
    again = call(api_url, "POST", "/password-resets/complete", {"token": token, "password": "another one"})
    assert again.status_code == 404
    assert again.json()["errors"][0]["message"].startswith("The link in the email we sent you has expired")


def test_an_unknown_address_gets_the_same_empty_answer(api_url: str) -> None:
    assert ask(api_url, f"nobody.{secrets.token_hex(4)}@example.gov.uk") is None
    unknown = call(api_url, "POST", "/password-resets/check", {"token": "not-a-token"})
    assert unknown.status_code == 404


def test_an_expired_link_is_refused(api_url: str, db: Engine) -> None:
    user_id, email, _ = new_user(api_url)
    token = ask(api_url, email)["token"]
    with db.begin() as conn:
        conn.execute(
            update(console_password_resets)
            .where(console_password_resets.c.user_id == user_id)
            .values(expires_at=console_password_resets.c.created_at)
        )
    assert call(api_url, "POST", "/password-resets/check", {"token": token}).status_code == 404


def test_every_link_dies_when_the_password_changes(api_url: str) -> None:
    user_id, email, _ = new_user(api_url)
    first, second, third = (ask(api_url, email)["token"] for _ in range(3))
    done = call(api_url, "POST", "/password-resets/complete", {"token": first, "password": "a new password"})
    assert done.status_code == 200
    assert call(api_url, "POST", "/password-resets/check", {"token": second}).status_code == 404
    changed = call(api_url, "PATCH", f"/users/{user_id}", {"password": "changed by an admin"})
    assert changed.status_code == 200
    assert call(api_url, "POST", "/password-resets/check", {"token": third}).status_code == 404
    fresh = ask(api_url, email)["token"]
    assert call(api_url, "POST", "/password-resets/check", {"token": fresh}).status_code == 200


def test_at_most_five_links_an_hour_per_account(api_url: str) -> None:
    _, email, _ = new_user(api_url)
    answers = [ask(api_url, email) for _ in range(6)]
    assert all(a is not None for a in answers[:5])
    assert answers[5] is None


def test_a_reset_clears_the_failed_sign_in_count(api_url: str) -> None:
    _, email, _ = new_user(api_url)
    for _ in range(10):
        assert not signs_in(api_url, email, "wrong password")
    token = ask(api_url, email)["token"]
    call(api_url, "POST", "/password-resets/complete", {"token": token, "password": "a new password"})
    assert signs_in(api_url, email, "a new password")


@pytest.fixture
def sandbox(api_url: str) -> Sandbox:
    return make_sandbox(api_url)


def reply_to(sandbox: Sandbox) -> list[str]:
    answer = httpx.get(
        f"{sandbox.admin_url}/admin/services/{sandbox.service_id}/senders/email-reply-to",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    return [r["email_address"] for r in answer.json()["data"]]


def test_a_reply_to_address_is_added_only_by_its_link_and_only_once(sandbox: Sandbox, db: Engine) -> None:
    base = f"/services/{sandbox.service_id}/reply-to-verifications"
    started = call(sandbox.url, "POST", base, {"email_address": "Replies@Example.gov.uk"})
    assert started.status_code == 201, started.text
    pending = started.json()["data"]
    assert reply_to(sandbox) == []
    listed = call(sandbox.url, "GET", base).json()["data"]
    assert [(v["id"], v["status"]) for v in listed] == [(pending["id"], "pending")]
    with db.connect() as conn:
        digest = conn.execute(
            select(console_reply_to_verifications.c.token_sha256).where(
                console_reply_to_verifications.c.id == pending["id"]
            )
        ).scalar_one()
    assert digest == hashlib.sha256(pending["token"].encode()).hexdigest()

    other = make_sandbox(sandbox.url)
    elsewhere = call(
        sandbox.url,
        "POST",
        f"/services/{other.service_id}/reply-to-verifications/confirm",
        {"token": pending["token"]},
    )
    assert elsewhere.status_code == 404

    confirmed = call(sandbox.url, "POST", f"{base}/confirm", {"token": pending["token"]})
    assert confirmed.status_code == 200, confirmed.text
    assert reply_to(sandbox) == [pending["email_address"]]
    assert call(sandbox.url, "GET", base).json()["data"][0]["status"] == "verified"
    assert call(sandbox.url, "POST", f"{base}/confirm", {"token": pending["token"]}).status_code == 404

    again = call(sandbox.url, "POST", base, {"email_address": pending["email_address"]})
    assert again.status_code == 409


def test_a_reply_to_link_expires_and_a_bad_address_is_refused(sandbox: Sandbox, db: Engine) -> None:
    base = f"/services/{sandbox.service_id}/reply-to-verifications"
    refused = call(sandbox.url, "POST", base, {"email_address": "not an address"})
    assert refused.status_code == 400
    pending = call(sandbox.url, "POST", base, {"email_address": "late@example.gov.uk"}).json()["data"]
    with db.begin() as conn:
        conn.execute(
            update(console_reply_to_verifications)
            .where(console_reply_to_verifications.c.id == pending["id"])
            .values(expires_at=console_reply_to_verifications.c.created_at)
        )
    assert call(sandbox.url, "GET", base).json()["data"][0]["status"] == "expired"
    assert call(sandbox.url, "POST", f"{base}/confirm", {"token": pending["token"]}).status_code == 404
    assert reply_to(sandbox) == []
