"""The admin-api application: the composition root of the management plane. Builds the FastAPI app
with every admin route, creates its state (PostgreSQL engine, Kafka producer, S3 job files, tokens)
once at start-up and owns its lifetime. ``/metrics`` is served around the app by ``serve_http``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from notify_admin_api import (
    branding_routes,
    console_contact_lists,
    console_folders,
    console_integration,
    console_report_requests,
    console_reports,
    console_routes,
    console_unsubscribes,
    console_webauthn_routes,
    history_routes,
    organisation_routes,
    platform_admin_routes,
    routes,
    sending_limits,
)
from notify_admin_api.access import AdminAudit
from notify_admin_api.background import Background
from notify_admin_api.config_notices import ConfigNotices
from notify_admin_api.errors import register_error_handlers
from notify_admin_api.history_notes import HistoryRecorder
from notify_admin_api.limit_warnings import LimitWarnings, TeamMailer
from notify_admin_api.limits import RequestLimits, limits_for
from notify_admin_api.settings import AdminApiSettings
from notify_admin_api.state import AdminState, build_state
from notify_common import topics
from notify_common.annual_limits import warnings_key
from notify_common.http_health import add_health_routes, database_unreachable
from notify_common.kafka import BatchConsumer

log = logging.getLogger(__name__)

DESCRIPTION = """\
The management plane of the platform: services, API keys, templates, team members, callbacks,
inbound numbers and everything the admin console shows and does, under `/admin`. Every request
carries `Authorization: Bearer <admin token>`; service API keys are not accepted here.
"""


def create_app(settings: AdminApiSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.check_production_ready()
        log.info("starting", extra={"settings": settings.redacted()})
        state = build_state(settings)
        await state.producer.start()
        app.state.admin = state
        consumer = BatchConsumer(
            settings,
            group=topics.GROUP_ADMIN_API,
            topics=topics.topics_read_by(topics.GROUP_ADMIN_API),
            handler=state.history.handle,
            producer=state.producer,
        )
        await consumer.start()
        client = httpx.AsyncClient(base_url=settings.api_base_url, timeout=10)
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(consumer.run()),
            asyncio.create_task(_warnings(state, client).run(stop)),
        ]
        background = Background(
            state.builder, state.console.contact_lists, settings.background_interval_seconds
        )
        background.start()
        try:
            yield
        finally:
            await background.stop()
            stop.set()
            consumer.request_stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            await client.aclose()
            await state.producer.stop()
            await state.redis.aclose()  # type: ignore[attr-defined]
            await state.store.engine.dispose()
            log.info("stopped cleanly")

    app = FastAPI(
        title="Notify admin API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    register_error_handlers(app)
    app.add_middleware(HistoryRecorder)
    app.add_middleware(ConfigNotices)
    app.add_middleware(AdminAudit)
    for router in (
        routes.router,
        console_routes.router,
        console_folders.router,
        console_reports.router,
        console_report_requests.router,
        console_contact_lists.router,
        console_integration.router,
        console_unsubscribes.router,
        console_webauthn_routes.router,
        platform_admin_routes.router,
        branding_routes.router,
        organisation_routes.router,
        history_routes.router,
        sending_limits.router,
    ):
        app.include_router(router)

    add_health_routes(app, database_unreachable(lambda: app.state.admin.store.engine))

    return app


def _warnings(state: AdminState, client: httpx.AsyncClient) -> LimitWarnings:
    """Annual limit warnings, taken off this platform's list and emailed to the teams."""

    async def platform() -> dict[str, object]:
        return await console_routes.platform_service(state.store, state.console.box)

    mailer = TeamMailer(state.store.engine, client, platform)
    key = warnings_key(state.settings.kafka_topic_prefix)
    return LimitWarnings(state.redis, key, state.history, mailer)


def create_asgi_app(settings: AdminApiSettings) -> RequestLimits:
    """What the server runs: the app behind ``RequestLimits`` (no request reaches it beyond its bounds)."""
    return RequestLimits(create_app(settings), limits_for(settings))
