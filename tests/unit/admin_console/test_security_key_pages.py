"""The console's side of security keys: a person whose account signs in with a key is sent no code
and is asked for the key (no code stands in for it); the console hands the admin API its own
origin and the browser's answer with the ceremony id of this session only, and starts the session
when the admin API accepts the key; keys are renamed and deleted with a confirmation, and the last
one is refused with Notify's words. The admin API is faked (tests/unit/admin_console/fake_gateway.py)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx

from tests.unit.admin_console.fake_gateway import console_client, ok, refused
from tests.unit.admin_console.test_permissions import CSRF, person, session_cookie, signed_in

HEADERS = {"X-CSRF-Token": CSRF}
KEY = {"id": "k1", "name": "Blue key", "created_at": "2026-12-01T09:00:00+00:00", "last_used": None}


class Gateway:
    def __init__(self, auth_type: str = "webauthn_auth") -> None:
        self.account: dict[str, Any] = {**person("ada", []), "auth_type": auth_type}
        self.calls: list[tuple[str, str, Any]] = []
        self.keys = [dict(KEY)]
        self.accept = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body: Any = json.loads(request.content) if request.content else {}
        self.calls.append((method, path, body))
        if path.startswith("/v2/notifications") or path.endswith("/codes"):
            raise AssertionError("no code is sent to a person who signs in with a security key")
        if path == "/admin/console/users/verify-password":
            return ok(self.account)
        if method == "GET" and path == "/admin/console/users/ada":
            return ok(self.account)
        if path.endswith("/webauthn/authentication-options") or path.endswith(
            "/webauthn/registration-options"
        ):
            return ok(
                {"ceremony": f"ceremony-{len(self.calls)}", "options": {"challenge": "abc", "rpId": "x"}}
            )
        if path == "/admin/console/users/ada/verify-webauthn":
            return ok(self.account) if self.accept else refused(400, "Security key not recognised")
        if path == "/admin/console/users/ada/webauthn" and method == "POST":
            return ok(KEY, 201)
        if path == "/admin/console/users/ada/webauthn":
            return ok(self.keys)
        if path == "/admin/console/users/ada/webauthn/k1" and method == "PATCH":
            self.keys[0]["name"] = body["name"]
            return ok(self.keys[0])
        if path == "/admin/console/users/ada/webauthn/k1" and method == "DELETE":
            return refused(400, "Cannot delete last remaining webauthn credential for user")
        return ok([])

    def sent(self, suffix: str) -> list[Any]:
        return [body for _, path, body in self.calls if path.endswith(suffix)]


def pending() -> dict[str, str]:
    return {
        "notify_admin_session": session_cookie(
            {"pending_user_id": "ada", "pending_at": time.time(), "csrf": CSRF, "next": "/your-account"}
        )
    }


def test_signing_in_asks_for_the_key_and_sends_no_code() -> None:
    gateway = Gateway()
    with console_client(gateway) as client:
        client.cookies.set("notify_admin_session", session_cookie({"csrf": CSRF}))
        answer = client.post(
            "/sign-in", data={"csrf_token": CSRF, "email_address": "ada@example.gov.uk", "password": "x" * 8}
        )
        assert answer.headers["location"] == "/two-factor"
        asked = client.get("/two-factor")
        assert "Get your security key" in asked.text
        assert 'data-security-key="authenticate"' in asked.text
        assert "Security code" not in asked.text
        token = re.search(r'data-csrf-token="([^"]+)"', asked.text)
        assert token is not None
        # A code cannot stand in for the key, nor can one be asked for.
        code = client.post("/two-factor", data={"csrf_token": token.group(1), "code": "12345"})
        assert code.headers["location"] == "/two-factor"
        resend = client.post("/two-factor/resend", data={"csrf_token": token.group(1)})
        assert resend.headers["location"] == "/two-factor"
    assert gateway.sent("/verify-code") == []


def test_the_key_signs_in_with_this_sessions_ceremony_and_the_consoles_origin() -> None:
    gateway = Gateway()
    with console_client(gateway, console_url="https://notify.example.gov.uk/") as client:
        client.cookies.update(pending())
        options = client.post("/two-factor/security-key/options", headers=HEADERS)
        assert options.json() == {"challenge": "abc", "rpId": "x"}
        assert gateway.sent("/authentication-options") == [{"origin": "https://notify.example.gov.uk"}]
        done = client.post("/two-factor/security-key", headers=HEADERS, json={"credential": {"id": "c"}})
        assert done.status_code == 200
        assert done.json() == {"redirect_url": "/your-account"}
        ceremony = gateway.sent("/verify-webauthn")[0]["ceremony"]
        assert ceremony.startswith("ceremony-")
        assert client.get("/your-account").status_code == 200  # signed in

        # The ceremony was used up: the same answer again has nothing to answer.
        client.cookies.clear()
        client.cookies.update(pending())
        again = client.post("/two-factor/security-key", headers=HEADERS, json={"credential": {"id": "c"}})
        assert again.status_code == 400
    assert len(gateway.sent("/verify-webauthn")) == 1


def test_a_refused_key_does_not_sign_in_and_a_post_without_the_csrf_token_is_refused() -> None:
    gateway = Gateway()
    gateway.accept = False
    with console_client(gateway) as client:
        client.cookies.update(pending())
        client.post("/two-factor/security-key/options", headers=HEADERS)
        refused_key = client.post(
            "/two-factor/security-key", headers=HEADERS, json={"credential": {"id": "c"}}
        )
        assert refused_key.status_code == 400
        assert refused_key.json() == {"error": "Security key not recognised"}
        assert client.get("/your-account").headers["location"].startswith("/sign-in")
        forged = client.post(
            "/two-factor/security-key/options", headers={"X-CSRF-Token": "forged"}, json={"credential": {}}
        )
        assert forged.status_code == 400
    assert len(gateway.sent("/authentication-options")) == 1


def test_registering_a_key_passes_the_ceremony_and_says_what_happens_next() -> None:
    gateway = Gateway(auth_type="sms_auth")
    with console_client(gateway, console_webauthn_origin="http://localhost:6027") as client:
        client.cookies.update(signed_in("ada"))
        assert client.get("/user-profile/security-keys").headers["location"] == "/your-account/security-keys"
        listed = client.get("/your-account/security-keys")
        assert "Blue key" in listed.text
        assert 'data-security-key="register"' in listed.text
        client.post("/webauthn/register/options", headers=HEADERS)
        assert gateway.sent("/registration-options") == [{"origin": "http://localhost:6027"}]
        done = client.post("/webauthn/register", headers=HEADERS, json={"credential": {"id": "c"}})
        assert done.json() == {"redirect_url": "/your-account/security-keys"}
        registered = [
            b for m, p, b in gateway.calls if m == "POST" and p == "/admin/console/users/ada/webauthn"
        ]
        assert registered == [
            {
                "ceremony": gateway.sent("/registration-options") and registered[0]["ceremony"],
                "credential": {"id": "c"},
            }
        ]
        assert (
            "Next time you sign in to Notify you’ll be asked to use your security key"
            in client.get("/your-account/security-keys").text
        )


def test_a_key_is_renamed_and_its_deletion_confirmed_but_the_last_one_stays() -> None:
    gateway = Gateway()
    with console_client(gateway) as client:
        client.cookies.update(signed_in("ada"))
        assert "Manage ‘Blue key’" in client.get("/your-account/security-keys/k1/manage").text
        empty = client.post(
            "/your-account/security-keys/k1/manage", data={"csrf_token": CSRF, "security_key_name": ""}
        )
        assert empty.status_code == 400
        assert "Cannot be empty" in empty.text
        renamed = client.post(
            "/your-account/security-keys/k1/manage",
            data={"csrf_token": CSRF, "security_key_name": "Green key"},
        )
        assert renamed.headers["location"] == "/your-account/security-keys"
        assert gateway.keys[0]["name"] == "Green key"
        confirm = client.get("/your-account/security-keys/k1/delete")
        assert "Are you sure you want to delete this security key?" in confirm.text
        last = client.post("/your-account/security-keys/k1/delete", data={"csrf_token": CSRF})
        assert last.headers["location"] == "/your-account/security-keys/k1/manage"
        assert "You cannot delete your last security key." in client.get(last.headers["location"]).text
        assert client.get("/your-account/security-keys/nope/manage").status_code == 404
