"""Settings of the provider simulator (environment, prefix NOTIFY_; its own settings start SIMULATOR_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SimulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = 6013
    log_level: str = "INFO"
    simulator_receipt_delay_ms_min: int = 100
    simulator_receipt_delay_ms_max: int = 1000
    simulator_timeout_seconds: float = 30.0
    simulator_slow_seconds: float = 3.0
    # Off only for benchmarks that measure the hand-over alone.
    simulator_send_receipts: bool = True
    # A receipt the receipts service does not take (5xx, no answer) is posted again with backoff
    # (doubling from half a second up to the maximum) for this long, as real providers keep trying
    # for hours; then it is given up and counted in /api/stats as ``receipts_dropped``.
    simulator_receipt_retry_seconds: float = 4 * 3600.0
    simulator_receipt_max_backoff_seconds: float = 60.0
    # Receipts are posted by this many posters at once (one pooled connection each), however many
    # are owed; each post is given this long to connect and this long for the answer (waiting for a
    # turn is not timed).
    simulator_receipt_posters: int = Field(default=32, ge=1)
    simulator_receipt_connect_timeout_seconds: float = 5.0
    simulator_receipt_read_timeout_seconds: float = 10.0
    # Where the simulator keeps its messages, counters and undelivered receipts across a restart
    # (``make up`` sets it under .local/); unset, each start begins empty.
    simulator_state_file: str | None = None
    # The print provider's drop (the letter-sender's NOTIFY_LETTERS_PRINT_BUCKET), read through S3.
    simulator_printer: bool = True
    simulator_print_poll_seconds: float = 2.0
    letters_print_bucket: str = "notify-letters-print"
    aws_region: str = "eu-west-2"
    aws_endpoint_url: str | None = None
    # Where receipts go when a send names no receipt URL of its own, with each provider's token.
    receipts_url: str = "http://127.0.0.1:6012"
    mmg_receipt_token: SecretStr | None = None
    firetext_receipt_token: SecretStr | None = None
