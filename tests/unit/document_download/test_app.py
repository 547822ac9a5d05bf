"""document-download's app with fakes for the bucket: its health endpoints, and a bucket that cannot
be reached answers a 503 page that says to try again, never a 500."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from notify_common.documents import Document
from notify_common.errors import RetryableError
from notify_document_download.app import create_app
from notify_document_download.settings import DocumentDownloadSettings
from notify_document_download.state import AppState

KEY = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
LINK = f"/d/{uuid.uuid4()}/{uuid.uuid4()}?key={KEY}"


class UnreachableStore:
    async def get(self, service_id: str, document_id: str, key: bytes) -> Document | None:
        raise RetryableError("document store unavailable: EndpointConnectionError")

    async def ready(self) -> bool:
        return False


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = DocumentDownloadSettings(
        redis_url="redis://127.0.0.1:1/0", aws_endpoint_url="http://127.0.0.1:1"
    )
    with TestClient(create_app(settings)) as client:
        state = client.app.state.document_download  # type: ignore[attr-defined]
        assert isinstance(state, AppState)
        state.documents = UnreachableStore()  # type: ignore[assignment]
        yield client


def test_an_unreachable_bucket_is_a_503_page_to_try_again_later(client: TestClient) -> None:
    for response in (client.get(LINK), client.post(LINK, data={"email_address": "a@example.com"})):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "30"
        assert response.headers["cache-control"] == "no-store"
        assert "Try again in a few minutes" in response.text


def test_it_is_alive_but_not_ready_without_its_bucket(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json() == {"status": "document store unreachable"}


def test_it_serves_no_api_description(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/docs").status_code == 404
