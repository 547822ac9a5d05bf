"""docs/openapi.json is the document the api-gateway serves: regenerate it with
``.venv/bin/python -m notify_api_gateway.openapi_docs > docs/openapi.json``."""

from __future__ import annotations

import json

from notify_api_gateway.openapi_docs import document
from tests.support.env import ROOT

PUBLIC_ENDPOINTS = {
    ("post", "/v2/notifications/sms"),
    ("post", "/v2/notifications/email"),
    ("post", "/v2/notifications/letter"),
    ("post", "/v2/notifications/bulk"),
    ("get", "/v2/notifications/{notification_id}"),
    ("get", "/v2/notifications"),
    ("get", "/v2/notifications/{notification_id}/pdf"),
    ("get", "/v2/template/{template_id}"),
    ("get", "/v2/template/{template_id}/version/{version}"),
    ("post", "/v2/template/{template_id}/preview"),
    ("get", "/v2/templates"),
    ("get", "/v2/received-text-messages"),
}


def test_the_committed_document_is_the_served_one() -> None:
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(document()))


def test_every_public_endpoint_is_documented_with_its_request_schema() -> None:
    paths = document()["paths"]
    documented = {(method, path) for path, methods in paths.items() for method in methods}
    assert documented >= PUBLIC_ENDPOINTS
    sms = paths["/v2/notifications/sms"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert sms["required"] == ["phone_number", "template_id"]
    assert "429" in paths["/v2/notifications/sms"]["post"]["responses"]
