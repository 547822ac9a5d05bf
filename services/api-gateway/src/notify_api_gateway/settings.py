"""Settings of the api-gateway (environment, prefix NOTIFY_)."""

from __future__ import annotations

from notify_common.settings import CommonSettings


class ApiSettings(CommonSettings):
    http_port: int = 6011
    # Where Notify's clients are told a notification lives; defaults to the base URL.
    public_url_root: str | None = None
    email_domain: str = "notifications.service.gov.uk"
