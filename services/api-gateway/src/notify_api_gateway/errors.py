"""Errors in Notify's v2 envelope: ``{"status_code": N, "errors": [{"error": Name, "message": ...}]}``.

Every error the API returns goes through ``ApiError`` so the shape and status codes match GOV.UK
Notify exactly; anything unexpected becomes a 500 in the same shape (and is logged without data).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status_code: int,
        error: str,
        messages: str | Sequence[str],
        *,
        headers: dict[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(messages)
        self.status_code = status_code
        self.error = error
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.headers = headers or {}
        # Fields some of Notify's errors add to their entry after "message" (e.g. the QR code's).
        self.extra = dict(extra) if extra else {}

    def body(self) -> dict[str, object]:
        return {
            "status_code": self.status_code,
            "errors": [{"error": self.error, "message": m, **self.extra} for m in self.messages],
        }


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequestError", message)


# Ours: PostgreSQL text cannot hold the NUL character, so no stored field may contain one.
NUL_REFUSED = "Text cannot contain the NUL character (\\u0000)"


def validation_error(messages: str | Sequence[str]) -> ApiError:
    return ApiError(400, "ValidationError", messages)


def qr_code_too_long(data: str, num_bytes: int, max_bytes: int) -> ApiError:
    """Notify's refusal of a letter whose QR code would hold too much to scan once printed."""
    return ApiError(
        400,
        "ValidationError",
        "Cannot create a usable QR code - the link is too long",
        extra={"data": data, "num_bytes": num_bytes, "max_bytes": max_bytes},
    )


def auth_error(message: str, status_code: int = 403) -> ApiError:
    return ApiError(status_code, "AuthError", message)


def not_found() -> ApiError:
    return ApiError(404, "NoResultFound", "No result found")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "BadRequestError", message)


def rate_limited(key_type: str, rate_limit: int, retry_after: int) -> ApiError:
    shown = "LIVE" if key_type == "normal" else key_type.upper()
    return ApiError(
        429,
        "RateLimitError",
        f"Exceeded rate limit for key type {shown} of {rate_limit} requests per 60 seconds",
        headers={"Retry-After": str(retry_after)},
    )


def over_daily_limit(limit_name: str, limit: int, retry_after: int) -> ApiError:
    return ApiError(
        429,
        "TooManyRequestsError",
        f"Exceeded send limits ({limit_name}: {limit}) for today",
        headers={"Retry-After": str(retry_after)},
    )


def register_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            err = ApiError(404, "ResourceNotFound", "Resource not found")
        elif exc.status_code == 405:
            err = ApiError(405, "MethodNotAllowed", "Method not allowed")
        else:
            err = ApiError(exc.status_code, "HTTPError", str(exc.detail))
        return JSONResponse(err.body(), status_code=err.status_code)

    async def on_request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        messages = [f"{'.'.join(str(p) for p in e['loc'][1:])} {e['msg']}".strip() for e in exc.errors()]
        err = validation_error(messages or ["Invalid request"])
        return JSONResponse(err.body(), status_code=400)

    async def on_data_error(_: Request, exc: Exception) -> JSONResponse:
        # The database refused a value the request carried (the public API refuses NUL characters
        # before this; the admin API and any path without that check land here): the client's 400.
        log.warning("value refused by the database", extra={"error": type(exc).__name__})
        if "NUL" in str(exc):
            err = validation_error(NUL_REFUSED)
        else:
            err = validation_error("A value in the request cannot be stored")
        return JSONResponse(err.body(), status_code=400)

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", extra={"error": type(exc).__name__}, exc_info=exc)
        err = ApiError(500, type(exc).__name__, "Internal server error")
        return JSONResponse(err.body(), status_code=500)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(DataError, on_data_error)
    app.add_exception_handler(Exception, on_unexpected)
