"""``GET /admin/services/{id}/callbacks/{type}``: one configured callback, its URL and whether a
bearer token is set, never the token itself."""

from __future__ import annotations

import httpx

from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin, admin_url_of


def get(url: str, path: str) -> httpx.Response:
    return httpx.get(
        f"{admin_url_of(url)}/admin{path}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    )


def test_one_callback_reads_back_without_its_bearer_token(sandbox: Sandbox, api_url: str) -> None:
    path = f"/services/{sandbox.service_id}/callbacks/complaint"
    token = "complaint-token-0123456789"
    admin(api_url, "PUT", path, {"url": "https://example.com/complaints", "bearer_token": token})
    response = get(api_url, path)
    assert response.status_code == 200, response.text
    assert token not in response.text
    shown = response.json()["data"]
    assert shown["callback_type"] == "complaint"
    assert shown["url"] == "https://example.com/complaints"
    assert shown["bearer_token_set"] is True
    assert shown["updated_at"] is None or isinstance(shown["updated_at"], str)


def test_a_callback_not_configured_is_404_and_an_unknown_type_400(sandbox: Sandbox, api_url: str) -> None:
    admin(api_url, "DELETE", f"/services/{sandbox.service_id}/callbacks/returned_letter")
    missing = get(api_url, f"/services/{sandbox.service_id}/callbacks/returned_letter")
    assert missing.status_code == 404
    assert missing.json() == {
        "status_code": 404,
        "errors": [{"error": "AdminError", "message": "No returned_letter callback is set for this service"}],
    }
    unknown = get(api_url, f"/services/{sandbox.service_id}/callbacks/nonsense")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["error"] == "AdminError"
