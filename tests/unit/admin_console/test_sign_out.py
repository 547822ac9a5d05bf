"""Signing out ends the session on the server too: the same cookie, replayed (a copy taken before
sign-out, on this or another device), no longer signs anyone in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.unit.admin_console.fake_gateway import console_client, ok
from tests.unit.admin_console.test_permissions import CSRF, person, signed_in


class Gateway:
    """The admin API's console-account routes, keeping an account's sessions_not_before."""

    def __init__(self) -> None:
        self.account: dict[str, Any] = person("ada", [])
        self.ended: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/admin/console/users/ada/end-sessions":
            self.ended.append("ada")
            self.account["sessions_not_before"] = datetime.now(UTC).isoformat()
            return ok(self.account)
        if request.method == "GET" and path == "/admin/console/users/ada":
            return ok(self.account)
        return ok([])


def test_a_copy_of_the_cookie_is_worthless_after_sign_out() -> None:
    gateway = Gateway()
    cookie = signed_in("ada")
    with console_client(gateway) as client:
        client.cookies.update(cookie)
        assert client.get("/your-account").status_code == 200
        signed_out = client.post("/sign-out", data={"csrf_token": CSRF})
        assert signed_out.status_code == 303
        assert gateway.ended == ["ada"]

        client.cookies.clear()
        client.cookies.update(cookie)  # the copy, replayed
        replayed = client.get("/your-account")
        assert replayed.status_code == 303
        assert replayed.headers["location"] == "/sign-in"


def test_a_session_begun_after_the_sessions_were_ended_works() -> None:
    gateway = Gateway()
    gateway.account["sessions_not_before"] = datetime(2020, 1, 1, tzinfo=UTC).isoformat()
    with console_client(gateway) as client:
        client.cookies.update(signed_in("ada"))
        assert client.get("/your-account").status_code == 200
