"""The api-gateway's bounds on a request (``notify_common.request_limits`` applies them): bodies by
route, and the jobs upload, which streams its body to a file under a limit of its own."""

from __future__ import annotations

from notify_api_gateway.settings import ApiSettings
from notify_common.request_limits import Limits, RequestLimits

__all__ = ["Limits", "RequestLimits", "limits_for"]


def limits_for(settings: ApiSettings) -> Limits:
    return Limits(
        header_bytes=settings.max_header_bytes,
        authorization_bytes=settings.max_authorization_bytes,
        default_body=settings.max_body_bytes,
        by_path={
            "/v2/notifications/email": settings.max_email_body_bytes,
            "/v2/notifications/letter": settings.max_letter_body_bytes,
            "/v2/notifications/bulk": settings.max_bulk_body_bytes,
            "/v2/jobs": settings.jobs_max_bytes,
        },
        streamed=frozenset({"/v2/jobs"}),
    )
