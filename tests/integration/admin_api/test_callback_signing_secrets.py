"""The signing secret of a service's callbacks, set, rotated and removed through the admin API and
``notify-admin``: what is stored (encrypted) is what the callbacks service signs with, the secret
is shown once and never read back, and a bad secret is refused in Notify's error shape."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from notify_admin_api.cli import main
from notify_admin_api.tables.service_settings import service_callback_api
from notify_common.secrets import SecretBox
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin, api_settings
from tests.support import env

GIVEN = "a-signing-secret-of-at-least-24-characters"


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    engine = create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


def stored_secret(db: Any, service_id: str, callback_type: str = "delivery_status") -> str | None:
    """The secret as the callbacks service will read it: decrypted from ``service_callback_api``."""
    with db.connect() as conn:
        sealed = conn.execute(
            select(service_callback_api.c.signing_secret).where(
                service_callback_api.c.service_id == service_id,
                service_callback_api.c.callback_type == callback_type,
            )
        ).scalar_one()
    box = SecretBox(api_settings().secret_key.get_secret_value())
    return box.open(sealed) if sealed else None


def with_callback(sandbox: Sandbox) -> str:
    path = f"/services/{sandbox.service_id}/callbacks/delivery_status"
    admin(sandbox.url, "PUT", path, {"url": "https://example.com/cb", "bearer_token": "0123456789abc"})
    return path


def test_the_admin_api_generates_rotates_and_removes_a_callbacks_signing_secret(
    db: Any, sandbox: Sandbox
) -> None:
    path = with_callback(sandbox)
    assert admin(sandbox.url, "GET", f"/services/{sandbox.service_id}/callbacks")[0]["signed"] is False
    first = admin(sandbox.url, "PUT", f"{path}/signing-secret", {})["signing_secret"]
    assert first.startswith("whsec_")
    assert stored_secret(db, sandbox.service_id) == first
    listed = admin(sandbox.url, "GET", f"/services/{sandbox.service_id}/callbacks")
    assert listed[0]["signed"] is True
    assert first not in str(listed)
    assert admin(sandbox.url, "PUT", f"{path}/signing-secret", {"signing_secret": GIVEN}) == {
        "signing_secret": GIVEN
    }
    assert stored_secret(db, sandbox.service_id) == GIVEN
    # Changing the URL and token keeps the secret; the PUT of a callback may also set one.
    with_callback(sandbox)
    assert stored_secret(db, sandbox.service_id) == GIVEN
    admin(sandbox.url, "DELETE", f"{path}/signing-secret")
    assert stored_secret(db, sandbox.service_id) is None
    admin(sandbox.url, "PUT", path, {"url": "https://example.com/cb", "bearer_token": "0123456789abc",
                                     "signing_secret": GIVEN})  # fmt: skip
    assert stored_secret(db, sandbox.service_id) == GIVEN


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("short", "signing_secret must be 24 to 255 characters long (or whsec_ and base64)"),
        ("whsec_not*base64", "signing_secret after whsec_ is not valid base64"),
        ("whsec_c2hvcnQ=", "signing_secret after whsec_ must decode to 24 to 64 bytes"),
    ],
)
def test_a_bad_signing_secret_is_refused_in_notifys_error_shape(
    sandbox: Sandbox, secret: str, message: str
) -> None:
    path = with_callback(sandbox)
    refused = httpx.put(
        f"{sandbox.admin_url}/admin{path}/signing-secret",
        json={"signing_secret": secret},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert refused.status_code == 400
    assert refused.json() == {"status_code": 400, "errors": [{"error": "AdminError", "message": message}]}


def test_a_signing_secret_needs_a_callback_first(sandbox: Sandbox) -> None:
    refused = httpx.put(
        f"{sandbox.admin_url}/admin/services/{sandbox.service_id}/callbacks/inbound_sms/signing-secret",
        json={},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert refused.status_code == 404
    assert refused.json()["errors"] == [
        {
            "error": "AdminError",
            "message": "There is no callback of this type: set its url and bearer token first",
        }
    ]


def test_notify_admin_generates_reads_from_stdin_and_removes_a_signing_secret(
    db: Any, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFY_DATABASE_URL", env.DATABASE_URL)
    with_callback(sandbox)
    command = ["set-callback-signing-secret", "--service-id", sandbox.service_id, "--type", "delivery_status"]
    assert main([*command, "--generate"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("whsec_")
    assert stored_secret(db, sandbox.service_id) == printed
    monkeypatch.setattr("sys.stdin", io.StringIO(GIVEN + "\n"))
    assert main([*command, "--stdin"]) == 0
    assert GIVEN not in capsys.readouterr().out
    assert stored_secret(db, sandbox.service_id) == GIVEN
    monkeypatch.setattr("sys.stdin", io.StringIO("too short\n"))
    assert main([*command, "--stdin"]) == 1
    assert "24 to 255 characters" in capsys.readouterr().err
    assert main([*command, "--remove"]) == 0
    assert stored_secret(db, sandbox.service_id) is None
