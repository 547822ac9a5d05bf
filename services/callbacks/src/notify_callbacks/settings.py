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
    # How long to wait for the projector to show a notification before retrying later.
    callback_projection_wait_seconds: float = Field(default=3.0, ge=0)
