"""Console accounts: signing in costs the same one password check whether the address has an
account, is locked or not (so timing does not reveal accounts), and ending an account's sessions
is recorded for every copy of its cookie to see."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api import console_accounts
from notify_admin_api.console_accounts import MAX_FAILED_LOGINS, AccountStore
from notify_admin_api.store import AdminError
from notify_common.secrets import SecretBox

PASSWORD = "correct horse battery staple"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check made, by the hash it was checked against."""
    made: list[str] = []
    real = console_accounts.check_password

    def counting(password: str, stored: str) -> bool:
        made.append(stored)
        return real(password, stored)

    monkeypatch.setattr(console_accounts, "check_password", counting)
    return made


async def new_account(store: AccountStore) -> str:
    email = f"person-{uuid.uuid4().hex[:8]}@example.gov.uk"
    await store.create_user(
        name="Person", email_address=email, password=PASSWORD, mobile_number="07700900123"
    )
    return email


async def test_unknown_locked_and_known_addresses_cost_one_password_check_each(
    engine: AsyncEngine, checks: list[str]
) -> None:
    store = AccountStore(engine, SecretBox("k" * 64))
    known, locked = await new_account(store), await new_account(store)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AdminError):
            await store.verify_password(locked, "wrong password")
    for email, password in (
        (f"nobody-{uuid.uuid4().hex[:8]}@example.gov.uk", PASSWORD),
        (locked, PASSWORD),
        (known, "wrong password"),
    ):
        checks.clear()
        with pytest.raises(AdminError, match="The email address or password you entered is incorrect"):
            await store.verify_password(email, password)
        assert len(checks) == 1, email
    checks.clear()
    assert (await store.verify_password(known, PASSWORD))["email_address"] == known
    assert len(checks) == 1


async def test_ending_an_accounts_sessions_is_recorded_for_the_console_to_check(engine: AsyncEngine) -> None:
    store = AccountStore(engine, SecretBox("k" * 64))
    email = await new_account(store)
    user = await store.verify_password(email, PASSWORD)
    assert user["sessions_not_before"] is None
    ended = await store.end_sessions(user["id"])
    assert ended["sessions_not_before"] is not None
    with pytest.raises(AdminError, match="User not found"):
        await store.end_sessions(str(uuid.uuid4()))
