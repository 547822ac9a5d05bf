"""``/healthz`` and ``/readyz`` for the services that answer HTTP with FastAPI, the same everywhere:
``/healthz`` answers while the process serves at all (liveness); ``/readyz`` answers 200 ``ready``
once the service can do its work, and 503 with what it cannot reach otherwise (readiness). Neither
is in the OpenAPI description.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# What is not ready, in a few words, or None when all is.
Unready = Callable[[], Awaitable[str | None]]


def add_health_routes(app: FastAPI, unready: Unready) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        problem = await unready()
        if problem is not None:
            return JSONResponse({"status": problem}, status_code=503)
        return JSONResponse({"status": "ready"})


def database_unreachable(engine: Callable[[], AsyncEngine]) -> Unready:
    """Ready while PostgreSQL answers ``SELECT 1`` on ``engine()``'s pool."""

    async def check() -> str | None:
        try:
            async with engine().connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return "database unreachable"
        return None

    return check
