"""The public API's errors in Notify's v2 envelope (``notify_common.api_errors.ApiError``): the
ones only this API raises (limits, a send not confirmed in time), and its handlers.

Every error the API returns goes through ``ApiError`` so the shape and status codes match GOV.UK
Notify exactly; a dependency that is unavailable (PostgreSQL, Kafka or Redis did not answer within
its bound, or could not be reached) becomes a 503 with Retry-After (``unavailable``); anything
else unexpected becomes a 500 in the same shape (and is logged without data).
"""

from __future__ import annotations

import logging

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from notify_common import metrics
from notify_common.annual_limits import over_annual_limit_message
from notify_common.api_errors import NUL_REFUSED, ApiError, validation_error
from notify_common.db.bounded import DatabaseUnavailable, is_unavailable
from notify_common.kafka import PublishTimeout
from notify_common.ratelimit import DailyLimit

log = logging.getLogger(__name__)


def qr_code_too_long(data: str, num_bytes: int, max_bytes: int) -> ApiError:
    """Notify's refusal of a letter whose QR code would hold too much to scan once printed."""
    return ApiError(
        400,
        "ValidationError",
        "Cannot create a usable QR code - the link is too long",
        extra={"data": data, "num_bytes": num_bytes, "max_bytes": max_bytes},
    )


def rate_limited(key_type: str, rate_limit: int, retry_after: int) -> ApiError:
    metrics.limit_refused("rate")
    shown = "LIVE" if key_type == "normal" else key_type.upper()
    return ApiError(
        429,
        "RateLimitError",
        f"Exceeded rate limit for key type {shown} of {rate_limit} requests per 60 seconds",
        headers={"Retry-After": str(retry_after)},
    )


def over_limit(exceeded: DailyLimit, retry_after: int) -> ApiError:
    """The 429 for a send past a daily limit or, with GC Notify's words, an annual one."""
    if not exceeded.annual:
        return over_daily_limit(exceeded.name, exceeded.limit, retry_after)
    metrics.limit_refused("annual")
    return ApiError(
        429,
        "TooManyRequestsError",
        over_annual_limit_message(exceeded.name, exceeded.limit),
        headers={"Retry-After": str(retry_after)},
    )


def over_daily_limit(limit_name: str, limit: int, retry_after: int) -> ApiError:
    metrics.limit_refused("daily")
    return ApiError(
        429,
        "TooManyRequestsError",
        f"Exceeded send limits ({limit_name}: {limit}) for today",
        headers={"Retry-After": str(retry_after)},
    )


class UnconfirmedSend(Exception):
    """A send answered 503 because Kafka did not acknowledge it in time (``timeout``), with the
    201 it would have had (``response``), for its Idempotency-Key to answer if it is written."""

    def __init__(self, timeout: PublishTimeout, response: JSONResponse) -> None:
        super().__init__("send not acknowledged in time")
        self.timeout = timeout
        self.response = response


# How long a client is told to wait (Retry-After) when a dependency is unavailable.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "ServiceUnavailableError"
DATABASE_UNAVAILABLE = "The database is unavailable right now. Try again later"
SEND_UNCONFIRMED = (
    "The notification could not be confirmed as accepted in time and may still be sent. "
    "Retry with the same Idempotency-Key to send it at most once"
)
UNCONFIRMED = (
    "The request could not be confirmed as accepted in time and may still take effect. "
    "Check before sending it again"
)
SEND_UNAVAILABLE = "Notifications cannot be accepted right now. Try again later"
REDIS_UNAVAILABLE = "A service the request needs is unavailable right now. Try again later"
DATABASE_ERRORS = (DatabaseUnavailable, OperationalError, InterfaceError, PoolTimeoutError)
# What each unavailable dependency is answered with (checked in this order), and which dependency
# it is (the label of notify_dependency_unavailable_total).
UNAVAILABLE_DEPENDENCIES: tuple[tuple[tuple[type[Exception], ...], str, str], ...] = (
    ((UnconfirmedSend,), SEND_UNCONFIRMED, "kafka"),
    ((PublishTimeout,), UNCONFIRMED, "kafka"),
    ((KafkaError,), SEND_UNAVAILABLE, "kafka"),
    (DATABASE_ERRORS, DATABASE_UNAVAILABLE, "postgres"),
    ((RedisError,), REDIS_UNAVAILABLE, "redis"),
)


def service_unavailable(message: str) -> ApiError:
    return ApiError(503, UNAVAILABLE, message, headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)})


def unavailable(exc: BaseException) -> ApiError | None:
    """The 503 for ``exc`` if it means a dependency is unavailable, else None."""
    for kinds, message, dependency in UNAVAILABLE_DEPENDENCIES:
        if isinstance(exc, kinds):
            if message is DATABASE_UNAVAILABLE and not is_unavailable(exc):
                return None
            metrics.dependency_unavailable(dependency)
            return service_unavailable(message)
    return None


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
        # before this; any path without that check lands here): the client's 400.
        log.warning("value refused by the database", extra={"error": type(exc).__name__})
        if "NUL" in str(exc):
            err = validation_error(NUL_REFUSED)
        else:
            err = validation_error("A value in the request cannot be stored")
        return JSONResponse(err.body(), status_code=400)

    async def on_unavailable(_: Request, exc: Exception) -> JSONResponse:
        err = unavailable(exc)
        if err is None:
            return await on_unexpected(_, exc)
        log.warning("dependency unavailable", extra={"error": type(exc).__name__})
        return JSONResponse(err.body(), status_code=err.status_code, headers=err.headers)

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", extra={"error": type(exc).__name__}, exc_info=exc)
        err = ApiError(500, type(exc).__name__, "Internal server error")
        return JSONResponse(err.body(), status_code=500)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(DataError, on_data_error)
    for kinds, _, _ in UNAVAILABLE_DEPENDENCIES:
        for kind in kinds:
            app.add_exception_handler(kind, on_unavailable)
    app.add_exception_handler(Exception, on_unexpected)
