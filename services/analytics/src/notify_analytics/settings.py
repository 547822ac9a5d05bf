"""Settings of the analytics workers (``NOTIFY_`` environment variables)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import Field

from notify_common.settings import CommonSettings


class AnalyticsSettings(CommonSettings):
    http_port: int = 6030
    # The most events handled as one batch (of those fetched together): one changelog record per
    # partition and batch.
    analytics_batch_size: int = Field(default=1000, ge=1, le=5000)
    # A fetch is answered once the broker holds this many bytes for the worker, or after the wait:
    # several hundred events a batch under load rather than the one or two that land at once
    # (each batch costs a fetch, a changelog record per partition with every cell it changed, and
    # the hand-over's overhead), for statistics published every NOTIFY_ANALYTICS_PUBLISH_SECONDS
    # anyway. 256 KiB is about a quarter of a second of events at 1,000 notifications a second:
    # against 64 KiB, a fifth less changelog and CPU per event (docs/benchmarks-analytics.md).
    analytics_fetch_min_bytes: int = Field(default=256 * 1024, ge=1)
    analytics_fetch_max_wait_ms: int = Field(default=1000, ge=0, le=10_000)
    # How long the producer gathers changelog and results records before it sends them (faust's
    # default, 0, sends each batch's changelog records in requests of their own).
    analytics_producer_linger_seconds: float = Field(default=0.1, ge=0, le=1)
    # How often changed cells are published to notify.analytics.window-stats; and how often while
    # the worker is behind by more than a batch (catching up, most of its cells change between
    # two publishes, and each publish re-sends them all).
    analytics_publish_seconds: float = Field(default=10.0, gt=0)
    analytics_catch_up_publish_seconds: float = Field(default=60.0, gt=0)
    # Write the changelog's delta records in the shorter format (about a third fewer bytes a
    # notification: docs/analytics.md). Every worker from this version on reads both formats;
    # workers before it read only the longer one, so turn this on once no older worker can run
    # against the changelog (after the upgrade has rolled out, and with no rollback before it).
    analytics_short_changelog: bool = False
    # How often cell totals are checkpointed and expired delta records deleted.
    analytics_checkpoint_seconds: float = Field(default=30.0, gt=0)
    # Event ids are remembered this long after their event happened: a duplicate within it is
    # not counted again. It is also how long a worker remembers a notification's request, to time
    # its sending and delivery.
    analytics_dedupe_seconds: int = Field(default=86_400, ge=60)
    # How long the group waits for a silent worker before giving its partitions to another.
    analytics_session_timeout_seconds: float = Field(default=30.0, ge=6, le=300)
    # Workers that keep a warm copy of another worker's state, for a faster take-over.
    analytics_standby_replicas: int = Field(default=0, ge=0)
    # faust's data directory. With tables in memory nothing is kept in it, but faust makes it at
    # start: by default under the directory the worker was started from, which is the repository
    # locally and read-only in the Helm chart's containers.
    analytics_data_dir: Path = Path(tempfile.gettempdir()) / "notify-analytics"
