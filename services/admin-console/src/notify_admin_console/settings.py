"""Settings of the admin console (environment, prefix NOTIFY_)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr

from notify_common.settings import CommonSettings, check_secret


class ConsoleSettings(CommonSettings):
    http_port: int = 6027
    # The admin-api (everything the console shows and manages) and its token; the public API the
    # console sends through (sign-in codes, invitations, one-off messages) is at ``api_base_url``.
    admin_api_url: str = "http://127.0.0.1:6028"
    admin_api_token: SecretStr | None = None
    # Signs the session cookie. No default: make up generates one, a deployment sets its own.
    console_secret_key: SecretStr = SecretStr("")
    # Where people reach the console (links in invitation emails).
    console_url: str = "http://127.0.0.1:6027"
    console_secure_cookies: bool = False
    # The origin browsers report for the console, which security keys are bound to (its host name
    # is the WebAuthn relying party id): https, or http on localhost, never an IP address. Unset:
    # the origin of ``console_url``.
    console_webauthn_origin: str | None = None
    # A session ends 20 hours after sign-in (as in Notify) or after this long without a request.
    console_session_hours: float = Field(default=20.0, gt=0)
    console_idle_minutes: float = Field(default=120.0, gt=0)
    console_api_timeout_seconds: float = Field(default=15.0, gt=0)
    # The platform health page reads the platform's series from this Prometheus (its HTTP API).
    prometheus_url: str = "http://127.0.0.1:19090"
    prometheus_timeout_seconds: float = Field(default=5.0, gt=0)
    # The public performance page reads the analytics service's JSON views from here.
    analytics_url: str = "http://127.0.0.1:6030"
    analytics_timeout_seconds: float = Field(default=5.0, gt=0)

    @property
    def webauthn_origin(self) -> str:
        parts = urlsplit(self.console_webauthn_origin or self.console_url)
        return f"{parts.scheme}://{parts.netloc}"

    def check_production_ready(self) -> None:
        super().check_production_ready()
        check_secret("NOTIFY_CONSOLE_SECRET_KEY", self.console_secret_key, self.environment)
        if self.environment != "development" and not self.console_secure_cookies:
            raise ValueError("NOTIFY_CONSOLE_SECURE_COOKIES must be true outside development")
