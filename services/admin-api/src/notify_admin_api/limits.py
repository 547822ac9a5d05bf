"""The admin-api's bounds on a request (``notify_common.request_limits`` applies them): one body
bound for every route."""

from __future__ import annotations

from notify_admin_api.settings import AdminApiSettings
from notify_common.request_limits import Limits, RequestLimits

__all__ = ["Limits", "RequestLimits", "limits_for"]


def limits_for(settings: AdminApiSettings) -> Limits:
    return Limits(
        header_bytes=settings.max_header_bytes,
        authorization_bytes=settings.max_authorization_bytes,
        default_body=settings.max_admin_body_bytes,
    )
