"""``notify-send-csv FILE --template ID``: send a CSV job through the API and watch it to the end.

Shows progress bars for the upload, the validation, the splitting (rows handed to the bulk lane)
and the delivery (rows that reached a final status), then a summary of statuses. Talks to the API
over HTTP with a service API key (``--api-key`` or ``NOTIFY_API_KEY``; the service id is read
from the key unless ``--service-id`` is given). Exit status: 0 sent, 1 refused or failed,
3 still going when ``--timeout`` ran out.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

CHUNK = 64 * 1024
FINAL_JOB_STATUSES = {"finished", "cancelled", "error", "sending limits exceeded"}
NOT_YET_FINAL = {"created", "sending", "pending", "accepted"}
EXIT_OK, EXIT_FAILED, EXIT_TIMEOUT = 0, 1, 3


class Api:
    def __init__(
        self, base_url: str, service_id: str, secret: str, client: httpx.Client | None = None
    ) -> None:
        self._service_id, self._secret = service_id, secret
        self._client = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=300)

    def headers(self) -> dict[str, str]:
        token = jwt.encode({"iss": self._service_id, "iat": int(time.time())}, self._secret, "HS256")
        return {"Authorization": f"Bearer {token}", "User-Agent": "notify-send-csv"}

    def upload(self, content: Iterator[bytes], params: dict[str, str]) -> httpx.Response:
        headers = {**self.headers(), "Content-Type": "text/csv"}
        return self._client.post("/v2/jobs", params=params, content=content, headers=headers)

    def job(self, job_id: str) -> dict[str, Any]:
        response = self._client.get(f"/v2/jobs/{job_id}", headers=self.headers())
        response.raise_for_status()
        data: dict[str, Any] = response.json()["data"]
        return data


def split_api_key(key: str, service_id: str | None) -> tuple[str, str]:
    """Notify keys read ``{name}-{service id}-{secret}``; both ids are UUIDs (36 characters)."""
    if len(key) < 73 and service_id is None:
        raise SystemExit("--service-id is needed with a bare secret (or pass the whole API key)")
    return (service_id or key[-73:-37]), key[-36:]


def errors_of(response: httpx.Response) -> list[str]:
    try:
        return [str(e.get("message")) for e in response.json().get("errors", [])]
    except ValueError:
        return [f"HTTP {response.status_code}"]


def summary(console: Console, job: dict[str, Any]) -> None:
    table = Table(title=f"Job {job['id']}: {job['job_status']}")
    table.add_column("status")
    table.add_column("notifications", justify="right")
    for item in job.get("statistics", []):
        table.add_row(str(item["status"]), f"{int(item['count']):,}")
    console.print(table)
    if job.get("reason"):
        console.print(f"[yellow]{job['reason']}[/yellow]")


def send_csv(args: argparse.Namespace, api: Api, console: Console) -> int:
    path = Path(args.file)
    size = path.stat().st_size
    params = {"template_id": args.template, "file_name": path.name}
    if args.scheduled_for:
        params["scheduled_for"] = args.scheduled_for
    columns = (TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        upload = progress.add_task("Uploading", total=size)
        checking = progress.add_task("Validating", total=1)

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as stream:
                while chunk := stream.read(CHUNK):
                    progress.advance(upload, len(chunk))
                    yield chunk

        response = api.upload(chunks(), params)
        progress.update(upload, completed=size)
        if response.status_code != 201:
            progress.stop()
            console.print(f"[red]The file was not accepted ({response.status_code}); nothing was sent:[/red]")
            for message in errors_of(response):
                console.print(f"  {message}")
            return EXIT_FAILED
        progress.update(checking, completed=1)
        created = response.json()["data"]
        job_id, rows = created["id"], int(created["notification_count"])
        if args.scheduled_for and not args.wait_scheduled:
            progress.stop()
            console.print(f"Job {job_id} ({rows:,} rows) is scheduled for {created['scheduled_for']}")
            return EXIT_OK
        if args.no_wait:
            progress.stop()
            console.print(f"Job {job_id} ({rows:,} rows) accepted")
            return EXIT_OK
        return watch(api, console, progress, job_id, rows, args)


def watch(
    api: Api, console: Console, progress: Progress, job_id: str, rows: int, args: argparse.Namespace
) -> int:
    splitting: TaskID = progress.add_task("Splitting", total=rows)
    delivering: TaskID = progress.add_task("Delivering", total=rows)
    deadline = time.monotonic() + args.timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = api.job(job_id)
        progress.update(splitting, completed=int(job["rows_emitted"]))
        done = sum(int(s["count"]) for s in job["statistics"] if s["status"] not in NOT_YET_FINAL)
        progress.update(delivering, completed=done)
        status = job["job_status"]
        if status in FINAL_JOB_STATUSES - {"finished"} or (status == "finished" and done >= rows):
            break
        time.sleep(args.poll_interval)
    else:
        progress.stop()
        summary(console, job)
        console.print(f"[yellow]Still going after {args.timeout:g} s; check again with the job id.[/yellow]")
        return EXIT_TIMEOUT
    progress.stop()
    summary(console, job)
    return EXIT_OK if job["job_status"] == "finished" else EXIT_FAILED


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="notify-send-csv", description=__doc__.split("\n")[0])
    p.add_argument("file", help="a UTF-8 CSV: a recipient column and one column per placeholder")
    p.add_argument("--template", required=True, help="template id")
    p.add_argument("--service-id", default=os.environ.get("NOTIFY_SERVICE_ID"))
    p.add_argument("--api-key", default=os.environ.get("NOTIFY_API_KEY"), help="or NOTIFY_API_KEY")
    p.add_argument("--base-url", default=os.environ.get("NOTIFY_API_URL", "http://127.0.0.1:6011"))
    p.add_argument("--scheduled-for", help="ISO 8601 with a timezone, up to 7 days ahead")
    p.add_argument("--wait-scheduled", action="store_true", help="watch a scheduled job until it is done")
    p.add_argument("--no-wait", action="store_true", help="stop once the file is accepted")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds to watch (default 900)")
    p.add_argument("--poll-interval", type=float, default=1.0)
    return p


def main(argv: list[str] | None = None, client: httpx.Client | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.api_key:
        parser().error("an API key is needed: --api-key or NOTIFY_API_KEY")
    service_id, secret = split_api_key(args.api_key, args.service_id)
    console = Console(stderr=False)
    try:
        return send_csv(args, Api(args.base_url, service_id, secret, client), console)
    except httpx.HTTPError as exc:
        console.print(f"[red]The API could not be reached or failed: {type(exc).__name__}[/red]")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
