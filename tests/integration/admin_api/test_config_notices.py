"""A change made through the admin-api reaches an api-gateway that cached the service's
configuration at once, through a notice over Redis, not after the gateway's cache time (here five
minutes, so only the notice can explain the change being seen)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.integration.api_gateway.harness import Sandbox, admin, api_settings, make_sandbox, running_api

WAIT_SECONDS = 15.0  # a generous bound on the notice; the cache would take 300 s


@pytest.fixture(scope="module")
def cached_api(database: str, kafka_topics: str) -> Iterator[str]:
    with running_api(api_settings(config_cache_seconds=300.0)) as url:
        yield url


def eventually(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_a_revoked_key_is_refused_by_a_gateway_that_had_cached_it(cached_api: str) -> None:
    sandbox: Sandbox = make_sandbox(cached_api)
    assert sandbox.get("/v2/templates").status_code == 200  # the configuration is now cached
    keys = admin(cached_api, "GET", f"/services/{sandbox.service_id}/api-keys")
    normal = next(k["id"] for k in keys if k["key_type"] == "normal")
    admin(cached_api, "POST", f"/services/{sandbox.service_id}/api-keys/{normal}/revoke")
    assert eventually(lambda: sandbox.get("/v2/templates").status_code == 403)


def test_a_new_key_and_an_edited_template_are_served_at_once(cached_api: str) -> None:
    sandbox = make_sandbox(cached_api)
    template_id = sandbox.templates["sms"]
    assert sandbox.get(f"/v2/template/{template_id}").json()["version"] == 1  # cached
    admin(
        cached_api, "PATCH", f"/services/{sandbox.service_id}/templates/{template_id}", {"content": "Changed"}
    )
    new_key = admin(
        cached_api,
        "POST",
        f"/services/{sandbox.service_id}/api-keys",
        {"name": "later", "key_type": "normal"},
    )["key"]
    with_new_key = Sandbox(url=cached_api, service_id=sandbox.service_id, keys={"normal": new_key})

    def read(who: Sandbox) -> httpx.Response:
        return who.get(f"/v2/template/{template_id}")

    assert eventually(lambda: read(sandbox).json().get("version") == 2)
    assert eventually(lambda: read(with_new_key).status_code == 200)
