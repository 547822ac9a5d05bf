"""The console application: the composition root. One httpx client to the admin-api, one to the
api-gateway's public API (sending), one to Prometheus (the platform health page), signed session
cookies, the app-wide permission rule (``security.enforce``), GOV.UK Frontend's files and the
console's own under ``/static`` and ``/assets``, and the error pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute

from notify_admin_console import (
    pages_activity,
    pages_add_service,
    pages_auth,
    pages_branding,
    pages_contact_lists,
    pages_folders,
    pages_go_live,
    pages_health,
    pages_history,
    pages_integration,
    pages_manage,
    pages_organisations,
    pages_performance,
    pages_platform_admin,
    pages_reports,
    pages_security_keys,
    pages_send,
    pages_templates,
    pages_unsubscribe,
)
from notify_admin_console.analytics import AnalyticsClient
from notify_admin_console.api import AdminApi, AdminApiError
from notify_admin_console.prometheus import PrometheusClient
from notify_admin_console.security import PUBLIC, CsrfFailure, Forbidden, Redirect, enforce, rule
from notify_admin_console.settings import ConsoleSettings
from notify_admin_console.web import HERE, page, redirect

log = logging.getLogger(__name__)
PAGE_MODULES = (
    pages_auth,
    pages_templates,
    pages_folders,
    pages_send,
    pages_activity,
    pages_reports,
    pages_contact_lists,
    pages_branding,  # before pages_manage, whose /settings/{setting} would take /settings/branding
    pages_history,
    pages_manage,
    pages_integration,
    pages_go_live,
    pages_health,
    pages_performance,
    pages_unsubscribe,
    pages_organisations,
    pages_add_service,
    pages_security_keys,
    pages_platform_admin,
)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every page of the app, including those of included routers (the permission tests walk it)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from page_routes(inner.routes)


def create_app(
    settings: ConsoleSettings,
    client: httpx.AsyncClient | None = None,
    prometheus: httpx.AsyncClient | None = None,
    public: httpx.AsyncClient | None = None,
    analytics: httpx.AsyncClient | None = None,
) -> FastAPI:
    """``client`` reaches the admin-api, ``public`` the public API, ``prometheus`` Prometheus; each
    is made from the settings unless given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.check_production_ready()
        log.info("starting", extra={"settings": settings.redacted()})
        yield
        await app.state.api.client.aclose()
        await app.state.api.public.aclose()
        await app.state.prometheus.client.aclose()
        await app.state.analytics.aclose()

    if settings.admin_api_token is None:
        raise ValueError(
            "NOTIFY_ADMIN_API_TOKEN must be set: the console reaches the platform only through it"
        )
    app = FastAPI(
        title="Notify admin console",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(enforce)],
    )
    app.state.settings = settings
    app.state.api = AdminApi(
        client
        or httpx.AsyncClient(base_url=settings.admin_api_url, timeout=settings.console_api_timeout_seconds),
        settings.admin_api_token.get_secret_value(),
        public
        or httpx.AsyncClient(base_url=settings.api_base_url, timeout=settings.console_api_timeout_seconds),
    )
    app.state.prometheus = PrometheusClient(
        prometheus
        or httpx.AsyncClient(base_url=settings.prometheus_url, timeout=settings.prometheus_timeout_seconds)
    )
    app.state.analytics = AnalyticsClient(
        analytics
        or httpx.AsyncClient(base_url=settings.analytics_url, timeout=settings.analytics_timeout_seconds)
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.console_secret_key.get_secret_value(),
        session_cookie="notify_admin_session",
        max_age=int(settings.console_session_hours * 3600),
        same_site="lax",
        https_only=settings.console_secure_cookies,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            if name == "Cache-Control" and request.url.path.startswith(("/static", "/assets", "/public")):
                continue
            response.headers.setdefault(name, value)
        return response

    for module in PAGE_MODULES:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static", check_dir=False), name="static")
    app.mount("/assets", StaticFiles(directory=HERE / "static" / "assets", check_dir=False), name="assets")
    app.mount("/public", StaticFiles(directory=HERE / "public"), name="public")

    @app.get("/healthz", include_in_schema=False)
    @rule(PUBLIC)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    @rule(PUBLIC)
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ready"})

    @app.exception_handler(Redirect)
    async def on_redirect(request: Request, exc: Redirect) -> Response:
        return redirect(exc.url)

    @app.exception_handler(Forbidden)
    async def on_forbidden(request: Request, exc: Forbidden) -> HTMLResponse:
        return await page(
            request,
            "error.html",
            status_code=403,
            title="You’re not allowed to see this page",
            message="Ask a member of your team who can manage the service for the permission.",
        )

    @app.exception_handler(CsrfFailure)
    async def on_csrf(request: Request, exc: CsrfFailure) -> Response:
        if not request.session.get("user_id") and not request.session.get("pending_user_id"):
            return redirect("/sign-in")
        return await page(
            request,
            "error.html",
            status_code=400,
            title="Sorry, there’s a problem",
            message="The form had expired. Go back, reload the page and try again.",
        )

    @app.exception_handler(AdminApiError)
    async def on_api_error(request: Request, exc: AdminApiError) -> HTMLResponse:
        if exc.status_code == 404:
            return await _not_found(request)
        log.warning("admin API refused", extra={"status": exc.status_code, "path": request.url.path})
        status = exc.status_code if exc.status_code < 500 else 503
        return await page(
            request, "error.html", status_code=status, title="Sorry, there’s a problem", message=exc.message
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return await _not_found(request)
        return await page(
            request,
            "error.html",
            status_code=exc.status_code,
            title="Sorry, there’s a problem",
            message=str(exc.detail),
        )

    return app


async def _not_found(request: Request) -> HTMLResponse:
    return await page(
        request,
        "error.html",
        status_code=404,
        title="Page not found",
        message="If you typed the web address, check it is correct.",
    )
