"""Reports of sent messages built in the background (docs/reports.md): a request is a row of
``report_requests``; a worker (``ReportBuilder``, run by every admin-api replica's background loop)
claims one, pages through the service's messages newest first by keyset on (``created_at``, ``id``),
``PAGE_ROWS`` at a time, writes the CSV (the streamed report's columns and rows, exactly) into an S3
multipart upload encrypted at rest (SSE-S3), records its progress after every page, and marks it
``stored`` with the time its download expires. Memory stays bounded: one page of rows and one part
of CSV (``PART_BYTES``) at a time, whatever the report's size.

Claims: a request is taken with ``SELECT … FOR UPDATE SKIP LOCKED``, so one replica builds it. The
claim is renewed (``claimed_at``) after every page; a request whose claim is older than
``stale_after`` (its builder died: a restart, a crash) is taken again and built from the start. Every
write of a builder names the claim it holds, so a builder that lost its claim stops.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.report_csv import COLUMNS, count_query, report_query, report_row
from notify_admin_api.store import AdminError
from notify_common.errors import RetryableError
from notify_common.jobs.files import JobFiles

log = logging.getLogger(__name__)
PAGE_ROWS = 5000
PART_BYTES = 8 * 1024 * 1024  # S3 parts are at least 5 MiB, but the last
LAST_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
EXPIRED = "This report is no longer available"

CREATE = text("""
INSERT INTO report_requests (id, service_id, user_id, filters, status)
VALUES (:id, :service_id, :user_id, CAST(:filters AS jsonb), 'pending')
""")
# Notify answers a request with the one already being built for the same filters.
OPEN_SAME = text("""
SELECT id FROM report_requests
WHERE service_id = :service_id AND filters = CAST(:filters AS jsonb) AND status IN ('pending', 'in progress')
ORDER BY created_at LIMIT 1
""")
READ = text("""
SELECT id, service_id, user_id, filters, status, row_count, rows_done, bucket, object_key, created_at,
       finished_at, expires_at
FROM report_requests WHERE id = :id AND service_id = :service_id
""")
CLAIM = text("""
UPDATE report_requests SET status = 'in progress', claimed_at = clock_timestamp(), rows_done = 0
WHERE id = (
    SELECT id FROM report_requests
    WHERE status = 'pending' OR (status = 'in progress' AND claimed_at < clock_timestamp() - :stale)
    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING id, service_id, filters, created_at, claimed_at
""")
PROGRESS = text("""
UPDATE report_requests SET rows_done = :rows_done, row_count = coalesce(:row_count, row_count),
    claimed_at = clock_timestamp()
WHERE id = :id AND claimed_at = :claim AND status = 'in progress'
RETURNING claimed_at
""")
STORED = text("""
UPDATE report_requests SET status = 'stored', rows_done = :rows_done, bucket = :bucket,
    object_key = :object_key, finished_at = now(), expires_at = now() + :keep
WHERE id = :id AND claimed_at = :claim AND status = 'in progress'
RETURNING id
""")
SETTLE = text("""
UPDATE report_requests SET status = CAST(:status AS varchar), failure = :failure,
    finished_at = CASE WHEN CAST(:status AS varchar) = 'failed' THEN now() END
WHERE id = :id AND claimed_at = :claim AND status = 'in progress'
""")
EXPIRING = text("""
SELECT id, bucket, object_key FROM report_requests
WHERE status = 'stored' AND object_key IS NOT NULL AND expires_at <= :now
ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED
""")
FORGET = text("UPDATE report_requests SET object_key = NULL WHERE id = ANY(CAST(:ids AS uuid[]))")


def report_key(service_id: str, report_id: str) -> str:
    return f"reports/{service_id}/{report_id}.csv"


def _public(row: Any) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    expired = row.expires_at is not None and row.expires_at <= datetime.now(UTC)
    return {
        "id": str(row.id),
        "service_id": str(row.service_id),
        "filters": row.filters,
        "status": row.status,
        "row_count": row.row_count,
        "rows_done": row.rows_done,
        "created_at": iso(row.created_at),
        "finished_at": iso(row.finished_at),
        "expires_at": iso(row.expires_at),
        "expired": expired,
    }


class ReportFiles(JobFiles):
    """The bucket reports are written to, in parts, encrypted at rest (SSE-S3)."""

    def start(self, key: str) -> str:
        upload: dict[str, Any] = self._client.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType="text/csv", ServerSideEncryption="AES256"
        )
        return str(upload["UploadId"])

    def part(self, key: str, upload_id: str, number: int, data: bytes) -> dict[str, Any]:
        answer = self._client.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def complete(self, key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
        self._client.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    def abort(self, key: str, upload_id: str) -> None:
        self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)


@dataclass
class Claim:
    """A request a builder holds; ``token`` is its latest ``claimed_at``, renewed with every page,
    which every write of the builder names."""

    id: str
    service_id: str
    filters: dict[str, Any]
    as_of: datetime
    token: datetime


class LostClaim(Exception):
    """Another builder took the request over (this one was too slow to show it was alive)."""


class Stopping(Exception):
    """The admin-api is stopping: the request goes back to waiting, for another replica."""


class ReportRequests:
    """Asking for reports, reading how they are going, and downloading them (the API's side)."""

    def __init__(self, engine: AsyncEngine, files: ReportFiles) -> None:
        self.engine = engine
        self.files = files

    async def create(self, service_id: str, filters: dict[str, Any], user_id: str | None) -> dict[str, Any]:
        params = {"service_id": service_id, "filters": _json(filters)}
        async with self.engine.begin() as conn:
            if await conn.scalar(text("SELECT 1 FROM services WHERE id = :id"), {"id": service_id}) is None:
                raise AdminError("Service not found", 404)
            same = await conn.scalar(OPEN_SAME, params)
            report_id = str(same) if same is not None else str(uuid.uuid4())
            if same is None:
                await conn.execute(CREATE, {**params, "id": report_id, "user_id": user_id})
                log.info("report requested", extra={"service_id": service_id, "report_request_id": report_id})
        return await self.get(service_id, report_id)

    async def get(self, service_id: str, report_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = (await conn.execute(READ, {"id": report_id, "service_id": service_id})).first()
        if row is None:
            raise AdminError("Report not found", 404)
        return _public(row)

    async def open(self, service_id: str, report_id: str) -> BinaryIO:
        """The stored report, to stream; 410 once it has expired, 400 before it is ready."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(READ, {"id": report_id, "service_id": service_id})).first()
        if row is None:
            raise AdminError("Report not found", 404)
        if row.status != "stored":
            raise AdminError("This report is not ready yet")
        if row.object_key is None or row.expires_at <= datetime.now(UTC):
            raise AdminError(EXPIRED, 410)
        return await self.files.open_stream(row.object_key, row.bucket)


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)


class ReportBuilder:
    """Builds one claimed report at a time (``build_next``) and removes expired ones (``expire``)."""

    def __init__(
        self, engine: AsyncEngine, files: ReportFiles, *, keep: timedelta, stale_after: timedelta
    ) -> None:
        self.engine = engine
        self.files = files
        self.keep = keep
        self.stale_after = stale_after
        # Set when the process stops: the report being built is put back between two pages.
        self.stopping = asyncio.Event()

    async def claim(self) -> Claim | None:
        async with self.engine.begin() as conn:
            row = (await conn.execute(CLAIM, {"stale": self.stale_after})).first()
        if row is None:
            return None
        return Claim(str(row.id), str(row.service_id), dict(row.filters), row.created_at, row.claimed_at)

    async def build_next(self) -> str | None:
        """Claim a request and build it; its id, or None when none was waiting."""
        claim = await self.claim()
        if claim is None:
            return None
        await self.run(claim)
        return claim.id

    async def run(self, claim: Claim) -> None:
        """Build a claimed request, and settle it however that ends."""
        extra = {"service_id": claim.service_id, "report_request_id": claim.id}
        log.info("building report", extra=extra)
        try:
            await self.build(claim)
        except LostClaim:
            log.warning("report taken over by another builder", extra=extra)
        except Stopping:
            log.info("report put back: stopping", extra=extra)
            await self._settle(claim, "pending", None)
        except RetryableError as exc:
            # S3 or the database faltered: leave it for the next claim, from the start.
            log.warning("report paused", extra={**extra, "reason": str(exc)})
            await self._settle(claim, "pending", None)
        except Exception as exc:
            log.exception("report failed", extra=extra)
            await self._settle(claim, "failed", type(exc).__name__)

    async def _settle(self, claim: Claim, status: str, failure: str | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                SETTLE, {"id": claim.id, "claim": claim.token, "status": status, "failure": failure}
            )

    async def build(self, claim: Claim) -> None:
        status, template_type = claim.filters.get("status", "all"), claim.filters.get("template_type")
        query, params = report_query(status, template_type, page=True)
        params = {**params, "service_id": claim.service_id, "as_of": claim.as_of, "limit": PAGE_ROWS}
        row_count = await self._count(claim, status, template_type)
        await self._progress(claim, 0, row_count)
        await self.files.ensure_bucket()
        key = report_key(claim.service_id, claim.id)
        upload_id = await asyncio.to_thread(self.files.start, key)
        try:
            done = await self._write(claim, key, upload_id, query, params)
        except BaseException:
            await asyncio.to_thread(self.files.abort, key, upload_id)
            raise
        async with self.engine.begin() as conn:
            stored = await conn.execute(
                STORED,
                {
                    "id": claim.id,
                    "claim": claim.token,
                    "rows_done": done,
                    "bucket": self.files.bucket,
                    "object_key": key,
                    "keep": self.keep,
                },
            )
            if stored.first() is None:
                raise LostClaim
        log.info(
            "report stored",
            extra={"service_id": claim.service_id, "report_request_id": claim.id, "rows": done},
        )

    async def _write(self, claim: Claim, key: str, upload_id: str, query: Any, params: dict[str, Any]) -> int:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        parts: list[dict[str, Any]] = []
        pending = bytearray()
        after: tuple[datetime, str] = (claim.as_of + timedelta(seconds=1), LAST_ID)
        done = 0
        while True:
            async with self.engine.connect() as conn:
                rows = (
                    await conn.execute(query, {**params, "after_created": after[0], "after_id": after[1]})
                ).all()
            writer.writerows(report_row(r) for r in rows)
            pending += buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            if len(pending) >= PART_BYTES:
                part = await asyncio.to_thread(
                    self.files.part, key, upload_id, len(parts) + 1, bytes(pending)
                )
                parts.append(part)
                pending.clear()
            done += len(rows)
            if len(rows) < PAGE_ROWS:
                break
            after = (rows[-1].created_at, str(rows[-1].id))
            await self._progress(claim, done, None)
            if self.stopping.is_set():
                raise Stopping
        parts.append(await asyncio.to_thread(self.files.part, key, upload_id, len(parts) + 1, bytes(pending)))
        await asyncio.to_thread(self.files.complete, key, upload_id, parts)
        return done

    async def _count(self, claim: Claim, status: str, template_type: str | None) -> int:
        query, params = count_query(status, template_type, as_of=True)
        async with self.engine.connect() as conn:
            found = await conn.scalar(query, {**params, "service_id": claim.service_id, "as_of": claim.as_of})
        return int(found or 0)

    async def _progress(self, claim: Claim, done: int, row_count: int | None) -> None:
        """Record how far the report has got, renewing the claim (``LostClaim`` if it was lost)."""
        async with self.engine.begin() as conn:
            renewed = (
                await conn.execute(
                    PROGRESS,
                    {"id": claim.id, "claim": claim.token, "rows_done": done, "row_count": row_count},
                )
            ).scalar()
        if renewed is None:
            raise LostClaim
        assert isinstance(renewed, datetime)
        claim.token = renewed

    async def expire(self, now: datetime | None = None) -> int:
        """Delete the files of reports whose download time has passed; how many."""
        async with self.engine.begin() as conn:
            rows = (await conn.execute(EXPIRING, {"now": now or datetime.now(UTC)})).all()
            for row in rows:
                await self.files.delete(row.object_key, row.bucket)
            if rows:
                await conn.execute(FORGET, {"ids": "{" + ",".join(str(r.id) for r in rows) + "}"})
        return len(rows)
