"""Settings of the api-gateway (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import Field

from notify_common.jobs.settings import JobsSettings

MIB = 1024 * 1024


class ApiSettings(JobsSettings):
    http_port: int = 6011
    # Processes serving the same port (SO_REUSEPORT); each has its own producer and pools.
    http_workers: int = Field(default=1, ge=1, le=64)
    # Where links in responses (notification and template URIs) start; defaults to
    # NOTIFY_API_BASE_URL. Never taken from a request's Host header; outside development one of the
    # two must be set explicitly. Links to files sent by email start with document_download_url.
    public_url_root: str | None = None
    email_domain: str = "notifications.service.gov.uk"
    # S3 bucket holding letter PDFs (precompiled letters as received); created if missing.
    letters_bucket: str = "notify-letters"
    # S3 bucket holding files sent by email, encrypted, until they expire; created if missing.
    # document-download serves them, at its public URL: where the links in emails start.
    documents_bucket: str = "notify-documents"
    # How long configuration (services, keys, templates) is cached in each process.
    config_cache_seconds: float = Field(default=5.0, ge=0)
    # While PostgreSQL cannot be reached, configuration loaded up to this long ago keeps serving
    # sends (docs/reliability.md); older or never loaded, the request is answered 503.
    config_stale_seconds: float = Field(default=600.0, ge=0)
    # Bounded waits (seconds) on the dependencies of a request; past one the answer is a 503 with
    # Retry-After (docs/reliability.md). Kafka's is for the acknowledgement of a send.
    kafka_ack_timeout_seconds: float = Field(default=5.0, gt=0)
    database_timeout_seconds: float = Field(default=2.5, gt=0)
    redis_timeout_seconds: float = Field(default=0.5, gt=0)
    # How long a send's admission waits for others to share its Redis round trip (docs/limits.md).
    limits_window_ms: float = Field(default=5.0, ge=0, le=50)
    # How long an accepted notification is served from Redis while the projection catches up.
    recent_notification_seconds: int = Field(default=600, ge=1)
    idempotency_seconds: int = Field(default=86_400, ge=60)
    # Days a notification stays listable when the service sets no retention of its own.
    default_retention_days: int = Field(default=7, ge=1)
    db_pool_size: int = Field(default=10, ge=1)
    # Requests one process works on at once; past it a request is answered 503 with Retry-After at
    # once (load shedding, docs/reliability.md) instead of queueing behind the others.
    max_requests_in_flight: int = Field(default=128, ge=1)
    bulk_max_rows: int = Field(default=50_000, ge=1)
    # Pounds per letter by postage (JSON, e.g. {"second": 0.6, "first": 0.8}), reported as a
    # letter's cost; letters are not priced until set. The management plane bills with the same.
    billing_letter_prices: dict[str, float] = Field(default_factory=dict)
    # Request bounds (docs/security.md): all request headers together, the Authorization header,
    # and the body by route. Over a limit: 400 (headers) or 413 (body), before anything is parsed.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    max_authorization_bytes: int = Field(default=2048, ge=256)
    max_body_bytes: int = Field(default=MIB, ge=1024)
    # One file at Notify's 2 MB limit is 2.8 MB once base64-encoded, plus the rest of the message.
    max_email_body_bytes: int = Field(default=3 * MIB, ge=1024)
    # A precompiled letter's PDF may be 2 MB (2.8 MB in base64).
    max_letter_body_bytes: int = Field(default=3 * MIB, ge=1024)
    max_bulk_body_bytes: int = Field(default=10 * MIB, ge=1024)

    def links_root(self) -> str:
        return (self.public_url_root or self.api_base_url).rstrip("/")

    def check_production_ready(self) -> None:
        super().check_production_ready()
        explicit = {"public_url_root", "api_base_url"} & self.model_fields_set
        if self.environment != "development" and not explicit:
            raise ValueError(
                "NOTIFY_PUBLIC_URL_ROOT or NOTIFY_API_BASE_URL must be set: links in emails and "
                "responses are built from it, never from a request's Host header"
            )
