"""What a history record holds: secrets only as "changed", who made the change (the console user
the console names, else the admin token), and which writes are configuration changes at all."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from notify_admin_api.access import AdminToken
from notify_admin_api.history_notes import _noted, actor_of
from notify_admin_api.service_history import Actor, change, changes_between

SERVICE = "6b4f8a2e-0d1c-4c55-9e0b-2f1b7c3d9a10"
USER = "3f0c6b1e-2a4d-4e8f-9b7c-5d6e1a2b3c4d"


@pytest.mark.parametrize("field", ["secret", "signing_secret", "bearer_token", "password", "key", "api_key"])
def test_a_secrets_values_are_never_kept_only_that_it_changed(field: str) -> None:
    assert change(field, "old-value", "new-value") == {
        "field": field,
        "before": "changed",
        "after": "changed",
    }
    assert change(field, None, "new-value") == {"field": field, "before": None, "after": "changed"}


def test_other_fields_keep_their_values_before_and_after() -> None:
    before = {"rate_limit": 100, "name": "A", "permissions": ["sms"]}
    after = {"rate_limit": 200, "name": "A", "permissions": ["sms", "email"]}
    assert changes_between(before, after, ["rate_limit", "name", "permissions"]) == [
        {"field": "rate_limit", "before": 100, "after": 200},
        {"field": "permissions", "before": ["sms"], "after": ["sms", "email"]},
    ]


def _scope(
    path: str, route: str, headers: list[tuple[bytes, bytes]] | None = None, **state: Any
) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "route": SimpleNamespace(path=route),
        "headers": headers or [],
        "state": state,
    }


def test_the_console_user_named_in_the_request_made_the_change_else_the_admin_token() -> None:
    token = AdminToken("ops", "platform", "x" * 32)
    named = _scope("/admin/x", "/admin/x", [(b"x-notify-acting-user", USER.encode())], admin_token=token)
    assert actor_of(named) == Actor("user", USER)
    forged = _scope("/admin/x", "/admin/x", [(b"x-notify-acting-user", b"<script>")], admin_token=token)
    assert actor_of(forged) == Actor("admin_token", "ops")


def test_a_write_under_a_service_that_noted_nothing_is_kept_as_its_route() -> None:
    path = f"/admin/services/{SERVICE}/guest-list"
    [entry] = _noted(_scope(path, "/admin/services/{service_id}/guest-list"))
    assert entry["service_id"] == SERVICE
    assert entry["kind"] == "POST /services/{service_id}/guest-list"
    assert entry["changes"] == []


def test_sending_and_searching_are_not_configuration_changes() -> None:
    route = "/admin/console/services/{service_id}/notifications/search"
    assert _noted(_scope(f"/admin/console/services/{SERVICE}/notifications/search", route)) == []
