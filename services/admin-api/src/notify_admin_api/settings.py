"""Settings of the admin-api (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from notify_common.branding import DEFAULT_BUCKET as BRANDING_BUCKET
from notify_common.jobs.settings import JobsSettings

MIB = 1024 * 1024


class AdminApiSettings(JobsSettings):
    http_port: int = 6028
    # The platform token; more tokens with narrower scopes as name:scope:token (access.py). No
    # token: every request is refused.
    admin_api_token: SecretStr | None = None
    admin_api_scoped_tokens: SecretStr = SecretStr("")
    # Failed authentications allowed per client address in the window, then 429.
    admin_auth_failures_allowed: int = Field(default=10, ge=1)
    admin_auth_window_seconds: float = Field(default=60.0, gt=0)
    # Recorded as a template version's ``created_by`` (an email address, as in Notify) when the
    # admin API is called with its token alone or through ``notify-admin``; a console user's own
    # address is recorded instead when the request names one. Unset: ``notify-admin@<email_domain>``.
    admin_email: str | None = None
    email_domain: str = "notifications.service.gov.uk"

    @property
    def acting_admin_email(self) -> str:
        return self.admin_email or f"notify-admin@{self.email_domain}"

    db_pool_size: int = Field(default=5, ge=1)
    database_timeout_seconds: float = Field(default=5.0, gt=0)
    # Announcing a configuration change waits no longer than this for Redis (then it is skipped:
    # the api-gateway reloads within its own cache time anyway).
    redis_timeout_seconds: float = Field(default=0.5, gt=0)
    # Usage and billing (admin console): free SMS fragments per service and financial year (GOV.UK
    # Notify gives 5,000 to 20,000 by kind of organisation; none by default here), and pounds per
    # letter by postage (JSON, e.g. {"second": 0.6, "first": 0.8}); letters are counted but not
    # priced until set. The SMS rate is the one the public API reports (notify_common.pricing).
    billing_free_sms_fragments: int = Field(default=0, ge=0)
    billing_letter_prices: dict[str, float] = Field(default_factory=dict)
    # Request bounds (docs/security.md): all request headers together, the Authorization header and
    # the body (an email template's content may be up to Notify's 2,000,000-byte email limit).
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    max_authorization_bytes: int = Field(default=2048, ge=256)
    max_admin_body_bytes: int = Field(default=3 * MIB, ge=1024)
    # Branding logos (docs/branding.md): the bucket they are kept in (created if missing), which
    # the email-sender's NOTIFY_BRANDING_LOGO_URL serves, and the largest logo file taken.
    branding_bucket: str = BRANDING_BUCKET
    branding_logo_max_bytes: int = Field(default=2 * MIB, ge=1024)
    # Background work (background.py): how often each replica looks for reports to build and for
    # contact lists and reports that have expired.
    background_interval_seconds: float = Field(default=1.0, gt=0)
    # Reports of sent messages (docs/reports.md): above this many rows the console has the report
    # built in the background; a download of one is offered for this long after it is built; a
    # report whose builder has not shown it is alive for this long is built again by another.
    report_stream_max_rows: int = Field(default=20_000, ge=0)
    report_keep_hours: float = Field(default=24.0, gt=0)
    report_stale_seconds: float = Field(default=60.0, gt=0)
    # Where reports are written (created if missing).
    reports_bucket: str = "notify-reports"
