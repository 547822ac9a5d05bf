"""Settings of the callbacks service (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import Field

from notify_common.settings import CommonSettings


class CallbacksSettings(CommonSettings):
    http_port: int = 6025
    # Notify: 5 attempts, a 5 s timeout; retried on timeouts, connection errors, 5xx and 429.
    callback_max_attempts: int = Field(default=5, ge=1)
    callback_timeout_seconds: float = Field(default=5.0, gt=0)
    # Backoff between attempts: base * 2^(n-1), capped (through the group's retry topic).
    callback_retry_base_seconds: float = Field(default=30.0, ge=0)
    callback_retry_max_seconds: float = Field(default=300.0, ge=0)
    # How often the callback configuration of every service is reloaded: a new, changed or removed
    # callback takes effect within this many seconds.
    callback_config_refresh_seconds: float = Field(default=2.0, ge=0)
    # Callbacks in flight at once, and at most to one receiving host: a receiver answering in
    # 100 ms still takes 1,000 callbacks a second, and a slow one holds at most half the slots.
    callback_concurrency: int = Field(default=200, ge=1)
    callback_concurrency_per_receiver: int = Field(default=100, ge=1)
