"""Settings of the provider simulator (environment, prefix NOTIFY_; its own settings start SIMULATOR_)."""

from __future__ import annotations

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
    # Where receipts go when a send names no receipt URL of its own.
    receipts_url: str = "http://127.0.0.1:6012"
