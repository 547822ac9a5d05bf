"""Refusals in GOV.UK Notify's error envelope, for every service that answers HTTP in it:
``{"status_code": N, "errors": [{"error": Name, "message": ...}]}``
(https://docs.notifications.service.gov.uk/rest-api.html#error-codes).

``ApiError`` carries the status code, the error's name and its messages; the constructors below
spell the refusals the public API, the management plane and the shared rules (files by email)
raise. Each service's HTTP layer turns an ``ApiError`` into its response. No web framework here:
a pure rule can refuse in the public shape without depending on one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Ours: PostgreSQL text cannot hold the NUL character, so no stored field may contain one.
NUL_REFUSED = "Text cannot contain the NUL character (\\u0000)"


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


def validation_error(messages: str | Sequence[str]) -> ApiError:
    return ApiError(400, "ValidationError", messages)


def auth_error(message: str, status_code: int = 403) -> ApiError:
    return ApiError(status_code, "AuthError", message)


def not_found() -> ApiError:
    return ApiError(404, "NoResultFound", "No result found")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "BadRequestError", message)
