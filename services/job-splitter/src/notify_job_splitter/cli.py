"""``notify-send-csv FILE --template ID``: send a CSV job through the API and watch it to the end.

Shows progress bars for the upload, the validation, the splitting (rows handed to the bulk lane)
and the delivery (rows that reached a final status), then a summary of statuses (the flow is
``notify_common.jobs.sendfile``, shared with ``notify-admin send-csv``). Talks to the API
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

from notify_common.jobs.sendfile import EXIT_FAILED, EXIT_OK, EXIT_TIMEOUT, SendOptions, Uploaded, send_file

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_TIMEOUT", "Api", "main"]


class Api:
    """The job endpoints of the API (``/v2/jobs``), as a ``JobBackend``."""

    def __init__(
        self, base_url: str, service_id: str, secret: str, client: httpx.Client | None = None
    ) -> None:
        self._service_id, self._secret = service_id, secret
        self._client = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=300)

    def headers(self) -> dict[str, str]:
        token = jwt.encode({"iss": self._service_id, "iat": int(time.time())}, self._secret, "HS256")
        return {"Authorization": f"Bearer {token}", "User-Agent": "notify-send-csv"}

    def upload(self, chunks: Iterator[bytes], size: int, params: dict[str, str]) -> Uploaded:
        headers = {**self.headers(), "Content-Type": "text/csv"}
        response = self._client.post("/v2/jobs", params=params, content=chunks, headers=headers)
        if response.status_code != 201:
            return Uploaded(None, tuple(errors_of(response)), response.status_code)
        data: dict[str, Any] = response.json()["data"]
        return Uploaded(data)

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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="notify-send-csv", description=(__doc__ or "").split("\n")[0])
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
    options = SendOptions(
        file=Path(args.file),
        template=args.template,
        scheduled_for=args.scheduled_for,
        wait_scheduled=args.wait_scheduled,
        no_wait=args.no_wait,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
    )
    try:
        return send_file(Api(args.base_url, service_id, secret, client), options, console)
    except httpx.HTTPError as exc:
        console.print(f"[red]The API could not be reached or failed: {type(exc).__name__}[/red]")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
