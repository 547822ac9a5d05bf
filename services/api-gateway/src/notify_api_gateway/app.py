"""The api-gateway application: the composition root. Builds the FastAPI app, creates its resources
(PostgreSQL engine, Kafka producer, Redis, S3) at start-up and owns their lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from redis.asyncio import Redis

from notify_api_gateway import redis_client
from notify_api_gateway.dependencies import AppState
from notify_api_gateway.errors import register_error_handlers
from notify_api_gateway.fastpath import HotRoutes
from notify_api_gateway.idempotency import IdempotencyKeys
from notify_api_gateway.legacy.store import LegacyStore
from notify_api_gateway.limits import RequestLimits, limits_for
from notify_api_gateway.notification_reads import NotificationReads
from notify_api_gateway.recent import RecentNotifications
from notify_api_gateway.repository import Repository
from notify_api_gateway.routes import (
    bulk,
    inbound,
    jobs,
    legacy_alpha,
    legacy_beta,
    notifications,
    reads,
    templates,
)
from notify_api_gateway.scheduling import HeldSends
from notify_api_gateway.settings import ApiSettings
from notify_common import config_changes, metrics
from notify_common.annual_limits import warnings_key
from notify_common.db import create_engine
from notify_common.documents import DocumentStore
from notify_common.http_health import add_health_routes, database_unreachable
from notify_common.http_shedding import LoadShedding
from notify_common.jobs.files import JobFiles
from notify_common.kafka import EventProducer
from notify_common.letter_pdfs import LetterStore
from notify_common.ratelimit import Limiter
from notify_common.recipients.phone import keep_phone_patterns_compiled
from notify_common.secrets import SecretBox

log = logging.getLogger(__name__)

DESCRIPTION = """\
GOV.UK Notify's v2 API, wire-compatible with its official clients: point them at this base URL.
Authenticate with `Authorization: Bearer <JWT>` (HS256, claims `iss` = service id and `iat`, signed
with the API key's secret). Beyond Notify: `Idempotency-Key` on POST, `scheduled_for` honoured,
`POST /v2/notifications/bulk` and `Retry-After` on 429.
"""


def build_state(settings: ApiSettings) -> tuple[AppState, Redis[bytes]]:
    keep_phone_patterns_compiled()
    engine = create_engine(
        settings, pool_size=settings.db_pool_size, timeout=settings.database_timeout_seconds
    )
    producer = EventProducer(settings, client_id="api-gateway")
    redis = redis_client.connect(
        settings.redis_url.get_secret_value(), timeout=settings.redis_timeout_seconds
    )
    box = SecretBox(settings.secret_key.get_secret_value())
    warnings = warnings_key(settings.kafka_topic_prefix)
    state = AppState(
        settings=settings,
        repository=Repository(engine, box, settings.config_cache_seconds, settings.config_stale_seconds),
        producer=producer,
        reads=NotificationReads(engine),
        limiter=Limiter(redis, coalesce=True, window=settings.limits_window_ms / 1000, warnings_key=warnings),
        recent=RecentNotifications(redis, settings.recent_notification_seconds),
        idempotency=IdempotencyKeys(redis, settings.idempotency_seconds),
        held=HeldSends(engine),
        letters=LetterStore(
            settings.letters_bucket, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url
        ),
        documents=DocumentStore(
            settings.documents_bucket, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url
        ),
        job_files=JobFiles(settings, settings.jobs_bucket),
        legacy=LegacyStore(engine, settings.config_cache_seconds),
    )
    return state, redis


def create_app(settings: ApiSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.check_production_ready()
        log.info("starting", extra={"settings": settings.redacted()})
        metrics.start_api_series()
        state, redis = build_state(settings)
        await state.producer.start()
        app.state.notify = state
        stop = asyncio.Event()
        # A service whose configuration changed is reloaded at once, not after config_cache_seconds.
        notices = asyncio.create_task(
            config_changes.follow(settings.redis_url.get_secret_value(), state.forget_service, stop)
        )
        try:
            yield
        finally:
            stop.set()
            notices.cancel()  # it may be waiting on a Redis that does not answer
            with contextlib.suppress(asyncio.CancelledError):
                await notices
            await state.producer.stop()
            await redis.aclose()  # type: ignore[attr-defined]
            await state.repository.engine.dispose()
            log.info("stopped cleanly")

    app = FastAPI(
        title="Notify API",
        version="2",
        description=DESCRIPTION,
        lifespan=lifespan,
        # No Swagger UI or ReDoc: both load their scripts from a CDN into the API's origin, where
        # they would run beside API keys typed into them. The description is /openapi.json.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    register_error_handlers(app)
    for module in (notifications, bulk, reads, templates, inbound, jobs):
        app.include_router(module.router)

    @app.api_route("/unsubscribe/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    async def unsubscribe_moved(rest: str) -> RedirectResponse:
        # The hosted unsubscribe pages are document-download's; links in emails sent while they
        # were served here still reach them (docs/unsubscribe.md). 308 keeps a POST a POST.
        return RedirectResponse(f"{settings.document_download_url.rstrip('/')}/unsubscribe/{rest}", 308)

    app.include_router(legacy_alpha.router)
    app.include_router(legacy_beta.router)

    add_health_routes(app, database_unreachable(lambda: app.state.notify.repository.engine))

    return app


def create_asgi_app(settings: ApiSettings) -> LoadShedding:
    """What the server runs: the app behind ``HotRoutes`` (the send routes without routing cost),
    behind ``RequestLimits`` (no request reaches either beyond its bounds), behind ``LoadShedding``
    (past its bound of requests in progress, a request is answered 503 at once)."""
    app = RequestLimits(HotRoutes(create_app(settings)), limits_for(settings))
    return LoadShedding(app, settings.max_requests_in_flight)
