"""Sending a CSV file as a job and watching it to the end, with progress bars: what the
``notify-send-csv`` command (over the HTTP API, with a service API key) and ``notify-admin
send-csv`` (straight to the platform's database, Kafka and S3) both do.

Four bars: the upload (bytes), the validation, the splitting (rows handed to the bulk lane) and the
delivery (rows that reached a final status), then a table of notification statuses. Where the job
comes from is a ``JobBackend``; the job is read back in the API's shape (``GET /v2/jobs/{id}``).
Exit status: 0 sent (or accepted, when not watching), 1 refused or failed, 3 still going when the
timeout ran out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

CHUNK = 64 * 1024
FINAL_JOB_STATUSES = {"finished", "cancelled", "error", "sending limits exceeded"}
NOT_YET_FINAL = {"created", "sending", "pending", "accepted"}
EXIT_OK, EXIT_FAILED, EXIT_TIMEOUT = 0, 1, 3


@dataclass(frozen=True)
class Uploaded:
    """The outcome of an upload: the job as created (the API's ``data``), or why it was refused."""

    job: dict[str, Any] | None
    errors: tuple[str, ...] = ()
    status_code: int = 201


class JobBackend(Protocol):
    def upload(self, chunks: Iterator[bytes], size: int, params: dict[str, str]) -> Uploaded:
        """Submit the file; ``params``: template_id, file_name and maybe scheduled_for."""

    def job(self, job_id: str) -> dict[str, Any]:
        """The job as ``GET /v2/jobs/{id}`` shows it: job_status, rows_emitted, statistics, ..."""


@dataclass(frozen=True)
class SendOptions:
    file: Path
    template: str
    scheduled_for: str | None = None
    wait_scheduled: bool = False
    no_wait: bool = False
    timeout: float = 900.0
    poll_interval: float = 1.0


def summary(console: Console, job: dict[str, Any]) -> None:
    console.print(f"Job {job['id']}: {job['job_status']}", soft_wrap=True)
    table = Table()
    table.add_column("status")
    table.add_column("notifications", justify="right")
    for item in job.get("statistics", []):
        table.add_row(str(item["status"]), f"{int(item['count']):,}")
    console.print(table)
    if job.get("reason"):
        console.print(f"[yellow]{job['reason']}[/yellow]")


def file_chunks(path: Path, advance: Callable[[int], None]) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            advance(len(chunk))
            yield chunk


def send_file(backend: JobBackend, options: SendOptions, console: Console) -> int:
    """Upload ``options.file`` as a job for ``options.template`` and (unless told not to) watch it."""
    path = options.file
    size = path.stat().st_size
    params = {"template_id": options.template, "file_name": path.name}
    if options.scheduled_for:
        params["scheduled_for"] = options.scheduled_for
    columns = (TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        upload = progress.add_task("Uploading", total=size)
        checking = progress.add_task("Validating", total=1)
        uploaded = backend.upload(file_chunks(path, lambda n: progress.advance(upload, n)), size, params)
        progress.update(upload, completed=size)
        if uploaded.job is None:
            progress.stop()
            console.print(f"[red]The file was not accepted ({uploaded.status_code}); nothing was sent:[/red]")
            for message in uploaded.errors:
                console.print(f"  {message}")
            return EXIT_FAILED
        progress.update(checking, completed=1)
        created = uploaded.job
        job_id, rows = str(created["id"]), int(created["notification_count"])
        if options.scheduled_for and not options.wait_scheduled:
            progress.stop()
            console.print(f"Job {job_id} ({rows:,} rows) is scheduled for {created['scheduled_for']}")
            return EXIT_OK
        if options.no_wait:
            progress.stop()
            console.print(f"Job {job_id} ({rows:,} rows) accepted")
            return EXIT_OK
        return watch(backend, options, console, progress, job_id, rows)


def delivered(job: dict[str, Any]) -> int:
    """Notifications of the job that reached a final status."""
    return sum(int(s["count"]) for s in job.get("statistics", []) if s["status"] not in NOT_YET_FINAL)


def watch(
    backend: JobBackend, options: SendOptions, console: Console, progress: Progress, job_id: str, rows: int
) -> int:
    splitting: TaskID = progress.add_task("Splitting", total=rows)
    delivering: TaskID = progress.add_task("Delivering", total=rows)
    deadline = time.monotonic() + options.timeout
    job: dict[str, Any] = {"id": job_id, "job_status": "unknown"}
    while time.monotonic() < deadline:
        job = backend.job(job_id)
        done = delivered(job)
        progress.update(splitting, completed=int(job["rows_emitted"]))
        progress.update(delivering, completed=done)
        status = job["job_status"]
        if status in FINAL_JOB_STATUSES - {"finished"} or (status == "finished" and done >= rows):
            break
        time.sleep(options.poll_interval)
    else:
        progress.stop()
        summary(console, job)
        console.print(
            f"[yellow]Still going after {options.timeout:g} s; check again with the job id.[/yellow]"
        )
        return EXIT_TIMEOUT
    progress.stop()
    summary(console, job)
    return EXIT_OK if job["job_status"] == "finished" else EXIT_FAILED
