"""The api-gateway application: builds the FastAPI app and owns its resources' lifetime."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from notify_api_gateway.dependencies import AppState
from notify_api_gateway.errors import register_error_handlers
from notify_api_gateway.repository import Repository
from notify_api_gateway.routes import notifications
from notify_api_gateway.settings import ApiSettings
from notify_common.db import create_engine
from notify_common.kafka import EventProducer
from notify_common.secrets import SecretBox

log = logging.getLogger(__name__)


def create_app(settings: ApiSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.check_production_ready()
        log.info("starting", extra={"settings": settings.redacted()})
        engine = create_engine(settings)
        producer = EventProducer(settings, client_id="api-gateway")
        await producer.start()
        app.state.notify = AppState(
            settings=settings,
            repository=Repository(engine, SecretBox(settings.secret_key.get_secret_value())),
            producer=producer,
        )
        try:
            yield
        finally:
            await producer.stop()
            await engine.dispose()
            log.info("stopped cleanly")

    app = FastAPI(title="Notify API", lifespan=lifespan, docs_url=None, redoc_url=None)
    register_error_handlers(app)
    app.include_router(notifications.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        state: AppState = app.state.notify
        try:
            async with state.repository.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    return app
