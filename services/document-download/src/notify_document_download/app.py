"""The document-download application, the platform's public pages: the composition root. Builds
the FastAPI app and, at start-up, everything it holds (the documents bucket, Redis for the
wrong-address counts, PostgreSQL and Kafka for unsubscribe requests).

Serves ``/d/{service_id}/{document_id}`` (``pages``), ``/unsubscribe/...`` (``unsubscribe``),
``/healthz`` and ``/readyz``; ``/metrics`` and JSON logs come from ``notify_common.http.serve_http``.
It reads the documents bucket, which the api-gateway writes (``notify_common.documents``), Redis,
and four columns of the ``notifications`` projection; it writes no table.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response

from notify_common.db import create_engine
from notify_common.documents import DocumentStore
from notify_common.errors import RetryableError
from notify_common.http_health import add_health_routes
from notify_common.redis_packing import redis_from_url
from notify_common.unsubscribe import UnsubscribeLinks
from notify_document_download import pages, unsubscribe
from notify_document_download.attempts import AddressAttempts
from notify_document_download.layout import unavailable
from notify_document_download.publisher import UnsubscribePublisher
from notify_document_download.settings import DocumentDownloadSettings
from notify_document_download.state import AppState

log = logging.getLogger(__name__)


def build_state(settings: DocumentDownloadSettings) -> AppState:
    redis = redis_from_url(
        settings.redis_url.get_secret_value(), socket_timeout=0.5, socket_connect_timeout=0.5
    )
    return AppState(
        settings=settings,
        documents=DocumentStore(
            settings.documents_bucket, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url
        ),
        attempts=AddressAttempts(redis),
        redis=redis,
        engine=create_engine(
            settings, pool_size=settings.db_pool_size, timeout=settings.database_timeout_seconds
        ),
        unsubscribes=UnsubscribePublisher(settings),
        unsubscribe_links=UnsubscribeLinks(settings.secret_key.get_secret_value()),
    )


def create_app(settings: DocumentDownloadSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.check_production_ready()
        log.info("starting", extra={"settings": settings.redacted()})
        state = build_state(settings)
        app.state.document_download = state
        try:
            yield
        finally:
            await state.unsubscribes.stop()
            await state.redis.aclose()  # type: ignore[attr-defined]
            await state.engine.dispose()
            log.info("stopped cleanly")

    app = FastAPI(
        title="Notify document download",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.include_router(pages.router)
    app.include_router(unsubscribe.router)

    @app.exception_handler(RetryableError)
    async def store_unavailable(request: Request, exc: RetryableError) -> Response:
        log.warning("document store unavailable", extra={"error": str(exc)})
        return unavailable()

    async def unready() -> str | None:
        state: AppState = app.state.document_download
        return None if await state.documents.ready() else "document store unreachable"

    add_health_routes(app, unready)

    return app
