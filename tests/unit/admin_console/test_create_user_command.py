"""``notify-admin-console create-user``: a new account, and with ``--exist-ok`` an account that is
already there (the demo admin ``make up`` made on an earlier run) brought to the mobile number given
when the password given is its password."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from pydantic import SecretStr

from notify_admin_console.__main__ import create_user, parser
from notify_admin_console.settings import ConsoleSettings
from tests.unit.admin_console.fake_gateway import ok, refused

SETTINGS = ConsoleSettings(admin_api_token=SecretStr("t"), api_base_url="http://gw")
DEMO = ["create-user", "--exist-ok", "--email", "admin@example.gov.uk", "--name", "Platform admin"]


class Gateway:
    """The admin API as far as create-user sees it: ``admin@example.gov.uk`` exists already."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.mobile = "447700900000"
        self.calls: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        body = json.loads(request.content or b"{}")
        if request.url.path == "/admin/console/users":
            return refused(409, "A user with this email address already exists")
        if request.url.path == "/admin/console/users/verify-password":
            if body["password"] != self.password:
                return refused(400, "The email address or password you entered is incorrect")
            return ok({"id": "u1", "mobile_number": self.mobile})
        if request.method == "PATCH" and request.url.path == "/admin/console/users/u1":
            self.mobile = body["mobile_number"]
            return ok({"id": "u1", "mobile_number": self.mobile})
        return refused(404, "not found")


def run(gateway: Gateway, argv: list[str], password: str) -> str:
    args = parser().parse_args(argv)
    return asyncio.run(create_user(SETTINGS, args, password, transport=httpx.MockTransport(gateway)))


def test_an_existing_account_gets_the_mobile_number_given_when_the_password_is_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gateway = Gateway("the password")
    assert run(gateway, [*DEMO, "--mobile", "07700900999"], "the password") == ""
    assert gateway.mobile == "07700900999"
    assert "mobile number is now 07700900999" in capsys.readouterr().out


def test_an_existing_account_whose_password_was_changed_keeps_its_mobile_number(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gateway = Gateway("changed in the console")
    assert run(gateway, [*DEMO, "--mobile", "07700900999"], "the password") == ""
    assert gateway.mobile == "447700900000"
    assert ("PATCH", "/admin/console/users/u1") not in gateway.calls
    assert "left as it is" in capsys.readouterr().out


def test_without_a_mobile_number_an_existing_account_is_not_signed_in_to() -> None:
    gateway = Gateway("the password")
    assert run(gateway, DEMO, "the password") == ""
    assert gateway.calls == [("POST", "/admin/console/users")]
