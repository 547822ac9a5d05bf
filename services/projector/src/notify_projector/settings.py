"""Settings of the projector (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import Field

from notify_common.settings import CommonSettings


class ProjectorSettings(CommonSettings):
    http_port: int = 6024
    # Periodic lifecycle tasks (run by whichever projector replica holds their advisory lock).
    timeout_interval_seconds: float = Field(default=300.0, gt=0)
    timeout_after_hours: float = Field(default=72.0, gt=0)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    retention_default_days: int = Field(default=7, ge=3, le=90)
    retention_batch_size: int = Field(default=50_000, gt=0)
    # Processes replaying the topics during a rebuild (decoding is CPU-bound; about one per core).
    rebuild_workers: int = Field(default=2, ge=1)
