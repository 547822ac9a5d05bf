"""Settings of the email-sender (environment, prefix NOTIFY_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from notify_common.branding import DEFAULT_BUCKET as BRANDING_BUCKET
from notify_common.settings import CommonSettings


class EmailSenderSettings(CommonSettings):
    http_port: int = 6022

    email_provider: Literal["ses", "smtp"] = "ses"
    # From is "<service name>" <services.email_from>@<email_domain>; the same setting as the API's.
    email_domain: str = "notifications.service.gov.uk"
    # Development against moto: verify the sending domain at start, as SES requires.
    email_verify_domain: bool | None = None  # None: when in development with an AWS endpoint override
    # Announce deliveries for live emails too (no provider reports them locally). None: as above,
    # or always for SMTP in development.
    email_simulate_delivery: bool | None = None

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_use_tls: bool = False
    smtp_start_tls: bool | None = None  # None: if the server offers it

    provider_timeout_seconds: float = 30.0
    email_concurrency: int = Field(default=50, ge=1)
    email_batch_size: int = Field(default=200, ge=1)
    email_claim_lease_seconds: float = 60.0
    # 57 attempts, 1 s doubling to 300 s: retried for about 4 hours, as the sms-sender.
    email_max_attempts: int = Field(default=57, ge=1)
    email_retry_base_delay_seconds: float = 1.0
    email_retry_max_delay_seconds: float = 300.0
    email_throttle_delay_seconds: float = 1.0

    # Where recipients' email clients load branding logos from: the public address of the branding
    # bucket the admin-api keeps them in (or a CDN in front of it). None: the bucket itself, on the
    # AWS endpoint override in development, else at its public S3 address.
    branding_logo_url: str | None = None
    branding_bucket: str = BRANDING_BUCKET

    def logo_base_url(self) -> str:
        if self.branding_logo_url:
            return self.branding_logo_url
        if self.aws_endpoint_url:
            return f"{self.aws_endpoint_url.rstrip('/')}/{self.branding_bucket}"
        return f"https://{self.branding_bucket}.s3.{self.aws_region}.amazonaws.com"

    def against_emulator(self) -> bool:
        return self.environment == "development" and self.aws_endpoint_url is not None

    def verify_domain(self) -> bool:
        return self.against_emulator() if self.email_verify_domain is None else self.email_verify_domain

    def simulate_delivery(self) -> bool:
        if self.email_simulate_delivery is not None:
            return self.email_simulate_delivery
        if self.email_provider == "smtp":
            return self.environment == "development"
        return self.against_emulator()
