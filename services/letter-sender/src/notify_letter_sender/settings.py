"""Settings of the letter-sender (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import Field

from notify_common.branding import DEFAULT_BUCKET as BRANDING_BUCKET
from notify_common.settings import CommonSettings


class LetterSenderSettings(CommonSettings):
    http_port: int = 6023
    # Where letters' PDFs live (the API serves letters/{id}.pdf from here) and the print drop.
    letters_bucket: str = "notify-letters"
    letters_print_bucket: str = "notify-letters-print"
    letters_create_buckets: bool | None = None  # None: in development
    letters_poll_responses_seconds: float = 5.0
    # Where the admin-api keeps branding logos (the letter logo a request names is read from here).
    branding_bucket: str = BRANDING_BUCKET

    letter_concurrency: int = Field(default=4, ge=1)
    letter_batch_size: int = Field(default=50, ge=1)
    letter_claim_lease_seconds: float = 120.0
    letter_max_attempts: int = Field(default=12, ge=1)
    letter_retry_base_delay_seconds: float = 2.0
    letter_retry_max_delay_seconds: float = 600.0

    def create_buckets(self) -> bool:
        if self.letters_create_buckets is not None:
            return self.letters_create_buckets
        return self.environment == "development"
