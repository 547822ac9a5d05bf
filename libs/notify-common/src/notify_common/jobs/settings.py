"""Settings of CSV jobs shared by whoever submits jobs (the api-gateway) and the job-splitter."""

from __future__ import annotations

from pydantic import Field

from notify_common.jobs.files import DEFAULT_BUCKET
from notify_common.jobs.model import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, CsvLimits
from notify_common.settings import CommonSettings


class JobsSettings(CommonSettings):
    # Where job CSVs are stored (NOTIFY_JOBS_BUCKET); created if missing.
    jobs_bucket: str = DEFAULT_BUCKET
    # Notify's limits by default (NOTIFY_JOBS_MAX_ROWS, NOTIFY_JOBS_MAX_BYTES); raise them if needed.
    jobs_max_rows: int = Field(default=DEFAULT_MAX_ROWS, ge=1)
    jobs_max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1)

    def csv_limits(self) -> CsvLimits:
        return CsvLimits(max_rows=self.jobs_max_rows, max_bytes=self.jobs_max_bytes)
