"""Callback URLs cannot point into the platform's own network (SSRF): the admin API and the
console's callback page refuse internal, non-https and user-info URLs; the callbacks service checks
again at every connection (tests/unit/test_outbound.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin, admin_url_of

INTERNAL = [
    "https://169.254.169.254/latest/meta-data/",
    "https://localhost:6011/admin/services",
    "https://10.0.0.1/",
    "https://[::1]:6011/",
    "https://192.168.0.10/cb",
    "https://user:password@93.184.215.14/cb",
    "http://93.184.215.14/cb",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_the_admin_api_refuses_a_callback_url_inside_the_network(
    sandbox: Sandbox, api_url: str, url: str
) -> None:
    response = httpx.put(
        f"{admin_url_of(api_url)}/admin/services/{sandbox.service_id}/callbacks/delivery_status",
        json={"url": url, "bearer_token": "0123456789abc"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert admin(api_url, "GET", f"/services/{sandbox.service_id}/callbacks") == []


@pytest.mark.parametrize("url", INTERNAL)
def test_the_console_refuses_a_callback_url_inside_the_network(
    sandbox: Sandbox, api_url: str, url: str
) -> None:
    admin(
        api_url,
        "PUT",
        f"/services/{sandbox.service_id}/callbacks/delivery_status",
        {"url": "https://93.184.215.14/cb", "bearer_token": "0123456789abc"},
    )
    response = httpx.patch(
        f"{admin_url_of(api_url)}/admin/console/services/{sandbox.service_id}/callbacks/delivery_status",
        json={"url": url},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    [callback] = admin(api_url, "GET", f"/services/{sandbox.service_id}/callbacks")
    assert callback["url"] == "https://93.184.215.14/cb"
