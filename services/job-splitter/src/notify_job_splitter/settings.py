"""Settings of the job-splitter (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import Field

from notify_common.jobs.settings import JobsSettings


class JobSplitterSettings(JobsSettings):
    http_port: int = 6026
    # Rows published (and acknowledged) per checkpoint: at most this many are published twice
    # after a crash (the senders drop them as duplicates by notification id).
    split_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Jobs split at once by one splitter; more replicas split more jobs.
    split_max_concurrent_jobs: int = Field(default=4, ge=1, le=64)
    # 0: as fast as Kafka takes them. A ceiling per job, for deployments whose providers are slow.
    split_rows_per_second: float = Field(default=0.0, ge=0)
    # How often due jobs (new, scheduled, or abandoned by a splitter that died), and held single
    # sends that have come due, are looked for.
    scheduler_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    # Backoff before retrying a job that failed for a reason that may pass (Kafka, S3, database).
    split_retry_seconds: float = Field(default=5.0, gt=0)
