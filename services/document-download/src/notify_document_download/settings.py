"""Settings of document-download (environment, prefix NOTIFY_)."""

from __future__ import annotations

from notify_common.settings import CommonSettings


class DocumentDownloadSettings(CommonSettings):
    http_port: int = 6029
    # The S3 bucket the api-gateway writes files sent by email to (notify_common.documents).
    documents_bucket: str = "notify-documents"

    def check_production_ready(self) -> None:
        """Nothing to check: this service signs and encrypts nothing with a platform secret (each
        file's key is in its link), so it needs no NOTIFY_SECRET_KEY."""
