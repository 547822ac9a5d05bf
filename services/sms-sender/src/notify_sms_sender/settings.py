"""Settings of the sms-sender (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from notify_common.settings import CommonSettings
from notify_common.urls import with_token


class SmsSenderSettings(CommonSettings):
    http_port: int = 6021

    # Resting share of traffic per provider (Notify: mmg 51, firetext 49). A provider with weight 0
    # is configured but gets traffic only if an operator moves weight to it. Names: mmg, firetext, sns.
    sms_provider_weights: str = "mmg:51,firetext:49"

    # Unset: the provider simulator at ``simulator_url`` and our receipts service at ``receipts_url``.
    mmg_url: str | None = None
    mmg_username: str = "notify"
    mmg_password: SecretStr = SecretStr("local-simulator")
    mmg_receipt_url: str | None = None
    firetext_url: str | None = None
    firetext_api_key: SecretStr = SecretStr("local-simulator")
    firetext_international_api_key: SecretStr = SecretStr("local-simulator-international")
    firetext_receipt_url: str | None = None
    # Each provider's credential for posting receipts to the receipts service, added to the
    # receipt URL given to the provider as ``?token=`` (the receipts service reads the same settings).
    mmg_receipt_token: SecretStr | None = None
    firetext_receipt_token: SecretStr | None = None

    provider_timeout_seconds: float = 10.0
    # Provider calls in flight at once, per instance: priority lane, and bulk lane on top.
    sms_concurrency: int = Field(default=200, ge=1)
    sms_bulk_concurrency: int = Field(default=100, ge=1)
    # Records per batch read, and records read but not yet finished, per lane.
    sms_batch_size: int = Field(default=500, ge=1)
    sms_max_in_flight: int = Field(default=1_000, ge=1)
    # The priority lane's fetch waits for this many bytes of requests (about 160), or 100 ms. Each
    # batch costs a fetch, a claim statement, a settle or two and a produce whatever its size, so
    # between a few hundred texts a second and the sender's own limit larger batches are fewer
    # round trips per text; no request waits longer than it did at low rates.
    sms_fetch_min_bytes: int = Field(default=64 * 1024, ge=1)
    # How long an outcome waits for others to share its write to the claims table.
    sms_settle_linger_seconds: float = Field(default=0.01, ge=0)
    # How long a claim protects a send in progress; longer than any provider call can take.
    sms_claim_lease_seconds: float = 30.0
    # How long an in-doubt claim (its earlier call's outcome unknown) waits for a receipt before
    # it is sent again, when its provider has no status lookup; at most a third of the lease.
    sms_recovery_window_seconds: float = Field(default=10.0, ge=0)
    # Retry budget: attempts in all, and the backoff between them; then technical-failure. 57
    # attempts, 1 s doubling to 300 s: the last retry comes about 4 hours after the first failure,
    # as GOV.UK Notify retries a failed provider call (48 times, 5 minutes apart).
    sms_max_attempts: int = Field(default=57, ge=1)
    sms_retry_base_delay_seconds: float = 1.0
    sms_retry_max_delay_seconds: float = 300.0
    sms_throttle_delay_seconds: float = 1.0
    # Watch receipts on the status topic to move traffic off a provider that delivers slowly.
    sms_watch_receipts: bool = True
    sms_slow_delivery_seconds: float = 300.0

    def mmg_endpoint(self) -> str:
        return self.mmg_url or f"{self.simulator_url}/mmg"

    def mmg_receipt_endpoint(self) -> str:
        return with_token(
            self.mmg_receipt_url or f"{self.receipts_url}/notifications/sms/mmg", self.mmg_receipt_token
        )

    def firetext_endpoint(self) -> str:
        return self.firetext_url or f"{self.simulator_url}/firetext"

    def firetext_receipt_endpoint(self) -> str:
        return with_token(
            self.firetext_receipt_url or f"{self.receipts_url}/notifications/sms/firetext",
            self.firetext_receipt_token,
        )
