"""Settings of document-download (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import Field

from notify_common.settings import CommonSettings


class DocumentDownloadSettings(CommonSettings):
    http_port: int = 6029
    # The S3 bucket the api-gateway writes files sent by email to (notify_common.documents).
    documents_bucket: str = "notify-documents"
    # Bounded waits (seconds) of an unsubscribe request on its dependencies; past one the answer is
    # a 503 with Retry-After. NOTIFY_SECRET_KEY is required: unsubscribe tokens are made with it.
    kafka_ack_timeout_seconds: float = Field(default=5.0, gt=0)
    database_timeout_seconds: float = Field(default=2.5, gt=0)
    db_pool_size: int = Field(default=2, ge=1)
