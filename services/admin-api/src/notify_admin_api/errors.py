"""Errors in Notify's envelope, ``{"status_code": N, "errors": [{"error": Name, "message": ...}]}``,
for every answer of the admin API: refusals (``ApiError``), unknown routes, invalid bodies, values
the database refuses, and PostgreSQL or Kafka unavailable (503 with Retry-After). Anything else
unexpected is a 500 in the same shape, logged without data."""

from __future__ import annotations

import logging

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from notify_common.api_errors import NUL_REFUSED, ApiError
from notify_common.db.bounded import DatabaseUnavailable, is_unavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = "The database is unavailable right now. Try again later"
KAFKA_UNAVAILABLE = "The request cannot be taken right now. Try again later"


def _answer(err: ApiError) -> JSONResponse:
    return JSONResponse(err.body(), status_code=err.status_code, headers=err.headers)


def _unavailable(message: str) -> ApiError:
    return ApiError(
        503, "ServiceUnavailableError", message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def register_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _answer(exc)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return _answer(ApiError(404, "ResourceNotFound", "Resource not found"))
        if exc.status_code == 405:
            return _answer(ApiError(405, "MethodNotAllowed", "Method not allowed"))
        return _answer(ApiError(exc.status_code, "HTTPError", str(exc.detail)))

    async def on_request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        messages = [f"{'.'.join(str(p) for p in e['loc'][1:])} {e['msg']}".strip() for e in exc.errors()]
        return _answer(ApiError(400, "ValidationError", messages or ["Invalid request"]))

    async def on_data_error(_: Request, exc: Exception) -> JSONResponse:
        # The database refused a value the request carried: the client's 400.
        log.warning("value refused by the database", extra={"error": type(exc).__name__})
        message = NUL_REFUSED if "NUL" in str(exc) else "A value in the request cannot be stored"
        return _answer(ApiError(400, "ValidationError", message))

    async def on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not is_unavailable(exc):
            return await on_unexpected(request, exc)
        log.warning("dependency unavailable", extra={"error": type(exc).__name__})
        return _answer(_unavailable(DATABASE_UNAVAILABLE))

    async def on_kafka_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("dependency unavailable", extra={"error": type(exc).__name__})
        return _answer(_unavailable(KAFKA_UNAVAILABLE))

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", extra={"error": type(exc).__name__}, exc_info=exc)
        return _answer(ApiError(500, type(exc).__name__, "Internal server error"))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(DataError, on_data_error)
    for kind in (DatabaseUnavailable, OperationalError, InterfaceError, PoolTimeoutError):
        app.add_exception_handler(kind, on_database_unavailable)
    app.add_exception_handler(KafkaError, on_kafka_unavailable)
    app.add_exception_handler(Exception, on_unexpected)
