"""Links in responses and in emails start with the configured public URLs (the api-gateway's, and
document-download's for files sent by email): a forged Host header cannot point a recipient at an
attacker's site."""

from __future__ import annotations

import httpx

from tests.integration.api_gateway.harness import Sandbox
from tests.integration.document_download.test_documents import (
    CSV,
    RECIPIENT,
    documents_api,
    documents_settings,
    download_url,
    link_in,
    uploader,
)

__all__ = ["documents_api", "documents_settings", "download_url", "uploader"]

FORGED = {"Host": "evil.example"}


def test_a_forged_host_header_does_not_write_the_links(uploader: Sandbox, download_url: str) -> None:
    body = {
        "email_address": RECIPIENT,
        "template_id": uploader.templates["file"],
        "personalisation": {"name": "Ada", "link_to_file": {"file": CSV, "filename": "statement.csv"}},
    }
    response = uploader.post("/v2/notifications/email", body, "normal", **FORGED)
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["uri"].startswith(f"{uploader.url}/v2/notifications/")
    assert sent["template"]["uri"].startswith(f"{uploader.url}/v2/template/")
    assert link_in(sent["content"]["body"]).startswith(f"{download_url}/d/{uploader.service_id}/")
    assert "evil.example" not in response.text
    listed = uploader.get("/v2/notifications", "normal")
    assert listed.json()["links"]["current"].startswith(uploader.url)


def test_a_forged_host_header_does_not_write_the_links_of_reads(uploader: Sandbox) -> None:
    body = {
        "email_address": RECIPIENT,
        "template_id": uploader.templates["file"],
        "personalisation": {"name": "Ada", "link_to_file": "none"},
    }
    response = uploader.post("/v2/notifications/email", body)
    assert response.status_code == 201, response.text
    nid = response.json()["id"]
    read = httpx.get(
        f"{uploader.url}/v2/notifications/{nid}", headers={**uploader.headers(), **FORGED}, timeout=30
    )
    assert read.status_code == 200, read.text
    assert "evil.example" not in read.text
