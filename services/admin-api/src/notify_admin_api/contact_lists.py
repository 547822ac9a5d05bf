"""Contact lists (docs/contact-lists.md): a recipients file uploaded once, checked, kept in S3 and sent
to again with any template of its channel until it expires or is deleted.

* **Upload.** The file needs one recipient column, ``email address`` or ``phone number`` (its
  channel); every row's recipient is checked as a CSV job's would be for this service. Other columns
  are kept: a template whose placeholders they fill can be sent to the list. Nothing is kept from a
  file with errors.
* **Send.** The list's file is checked again for the chosen template as a console upload
  (``ConsoleUploads.check``), which records the list; starting that upload starts a job that
  carries the list's id (``JobRequested.contact_list_id``), so the job-splitter stores it with the job.
* **Expire and delete.** A list lasts as long as the service keeps messages of its channel (its
  data retention, 7 days unless set). Deleting it, or ``expire`` once its time has come, removes
  its file from S3 and archives its row; the jobs sent from it keep its name.
"""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import and_, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.console_uploads import ConsoleUploads
from notify_admin_api.store import AdminError
from notify_admin_api.tables.lists_and_reports import contact_lists
from notify_common.api_errors import validation_error
from notify_common.events import Channel
from notify_common.jobs import CsvFormatError, CsvLimits, RecipientsCsv, validate_csv
from notify_common.jobs.config import load_service
from notify_common.jobs.csvfile import EMAIL_COLUMN, PHONE_COLUMN, heading_key
from notify_common.jobs.files import JobFiles
from notify_common.jobs.model import JobTemplate
from notify_common.jobs.validation import VALIDATION_JOB_ID

log = logging.getLogger(__name__)
DEFAULT_RETENTION_DAYS = 7
NEEDS_ONE_COLUMN = "Your file needs a column called ‘email address’ or ‘phone number’"
BOTH_COLUMNS = "Your file can have a column called ‘email address’ or ‘phone number’, not both"
RETENTION = text("""
SELECT days_of_retention FROM service_data_retention
WHERE service_id = :service_id AND notification_type = :channel
""")
JOBS_FROM = text("""
SELECT j.job_id, j.original_file_name, j.row_count, j.status, j.requested_at, j.created_by,
       t.name AS template_name
FROM splitter_jobs j LEFT JOIN templates t ON t.id = j.template_id
WHERE j.service_id = :service_id AND j.contact_list_id = :list_id
ORDER BY j.requested_at DESC
""")
USES = text("""
SELECT contact_list_id, count(*) FROM splitter_jobs
WHERE service_id = :service_id AND contact_list_id IS NOT NULL GROUP BY contact_list_id
""")


def list_key(service_id: str, list_id: str) -> str:
    return f"contact-lists/{service_id}/{list_id}.csv"


def _channel(data: bytes) -> Channel | str:
    """The list's channel from its headings, or why the file cannot be a contact list."""
    try:
        csv = RecipientsCsv.from_binary(io.BytesIO(data))
    except CsvFormatError as exc:
        return exc.message
    try:
        found = [
            c
            for c, h in ((Channel.EMAIL, EMAIL_COLUMN), (Channel.SMS, PHONE_COLUMN))
            if csv.has(heading_key(h))
        ]
    finally:
        csv.release()
    if not found:
        return NEEDS_ONE_COLUMN
    return found[0] if len(found) == 1 else BOTH_COLUMNS


def _listed(row: Any, uses: int = 0) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "original_file_name": row.original_file_name,
        "row_count": row.row_count,
        "template_type": row.template_type,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat(),
        "uses": uses,
    }


class ContactLists:
    def __init__(
        self, engine: AsyncEngine, files: JobFiles, limits: CsvLimits, uploads: ConsoleUploads
    ) -> None:
        self.engine = engine
        self.files = files
        self.limits = limits
        self.uploads = uploads

    async def save(
        self, service_id: str, file_name: str, data: bytes, created_by: str | None
    ) -> dict[str, Any]:
        """Check a file and keep it as a contact list; a ``validation_error`` lists its problems."""
        async with self.engine.connect() as conn:
            service = await load_service(conn, service_id)
        if service is None:
            raise AdminError("Service not found", 404)
        channel = await asyncio.to_thread(_channel, data)
        if not isinstance(channel, Channel):
            raise validation_error(channel)
        # A template of the list's channel with nothing to fill: only the recipients are checked.
        template = JobTemplate(
            id=VALIDATION_JOB_ID, version=1, channel=channel, content="contact list", subject="-"
        )
        report = await asyncio.to_thread(
            validate_csv,
            io.BytesIO(data),
            service=service,
            template=template,
            key_type="normal",
            limits=self.limits,
            size_bytes=len(data),
        )
        if not report.valid:
            raise validation_error(report.messages())
        list_id = str(uuid.uuid4())
        key = list_key(service_id, list_id)
        await self.files.upload(
            key, io.BytesIO(data), {"service_id": service_id, "original_file_name": file_name}
        )
        async with self.engine.begin() as conn:
            days = await conn.scalar(RETENTION, {"service_id": service_id, "channel": str(channel)})
            await conn.execute(
                insert(contact_lists).values(
                    id=list_id,
                    service_id=service_id,
                    original_file_name=file_name,
                    row_count=report.row_count,
                    template_type=str(channel),
                    bucket=self.files.bucket,
                    object_key=key,
                    created_by=created_by,
                    expires_at=datetime.now(UTC) + timedelta(days=days or DEFAULT_RETENTION_DAYS),
                )
            )
        log.info("contact list saved", extra={"service_id": service_id, "contact_list_id": list_id})
        return await self.get(service_id, list_id)

    async def _row(self, service_id: str, list_id: str) -> Any:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(contact_lists).where(
                        and_(
                            contact_lists.c.id == list_id,
                            contact_lists.c.service_id == service_id,
                            contact_lists.c.archived_at.is_(None),
                            contact_lists.c.expires_at > datetime.now(UTC),
                        )
                    )
                )
            ).first()
        if row is None:
            raise AdminError("Contact list not found", 404)
        return row

    async def all(self, service_id: str) -> list[dict[str, Any]]:
        """The service's lists that can still be sent to, newest first, with how often each was."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(contact_lists)
                    .where(
                        and_(
                            contact_lists.c.service_id == service_id,
                            contact_lists.c.archived_at.is_(None),
                            contact_lists.c.expires_at > datetime.now(UTC),
                        )
                    )
                    .order_by(contact_lists.c.created_at.desc())
                )
            ).all()
            uses = {
                str(r[0]): int(r[1]) for r in (await conn.execute(USES, {"service_id": service_id})).all()
            }
        return [_listed(row, uses.get(str(row.id), 0)) for row in rows]

    async def get(self, service_id: str, list_id: str) -> dict[str, Any]:
        row = await self._row(service_id, list_id)
        async with self.engine.connect() as conn:
            jobs = (
                (await conn.execute(JOBS_FROM, {"service_id": service_id, "list_id": list_id}))
                .mappings()
                .all()
            )
        found = _listed(row, len(jobs))
        found["jobs"] = [
            {**dict(j), "job_id": str(j["job_id"]), "requested_at": j["requested_at"].isoformat()}
            for j in jobs
        ]
        return found

    async def open(self, service_id: str, list_id: str) -> BinaryIO:
        """The list's file as it was uploaded (as CSV), to stream; read it from a thread."""
        row = await self._row(service_id, list_id)
        return await self.files.open_stream(row.object_key, row.bucket)

    async def use(
        self, service_id: str, list_id: str, template_id: str, created_by: str | None
    ) -> dict[str, Any]:
        """The list checked for ``template_id`` as a console upload, ready to start as a job."""
        row = await self._row(service_id, list_id)
        stream = await self.files.open_stream(row.object_key, row.bucket)
        try:
            data = await asyncio.to_thread(stream.read)
        finally:
            stream.close()
        return await self.uploads.check(
            service_id, template_id, row.original_file_name, data, created_by, contact_list_id=list_id
        )

    async def delete(self, service_id: str, list_id: str) -> dict[str, Any]:
        row = await self._row(service_id, list_id)
        await self.files.delete(row.object_key, row.bucket)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(contact_lists)
                .where(contact_lists.c.id == list_id)
                .values(archived_at=datetime.now(UTC))
            )
        log.info("contact list deleted", extra={"service_id": service_id, "contact_list_id": list_id})
        return {"id": list_id, "deleted": True}

    async def expire(self, now: datetime | None = None) -> int:
        """Remove the files of lists whose retention has passed and archive them; how many."""
        at = now or datetime.now(UTC)
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(contact_lists.c.id, contact_lists.c.bucket, contact_lists.c.object_key)
                    .where(and_(contact_lists.c.archived_at.is_(None), contact_lists.c.expires_at <= at))
                    .limit(100)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                await self.files.delete(row.object_key, row.bucket)
            if rows:
                await conn.execute(
                    update(contact_lists)
                    .where(contact_lists.c.id.in_([r.id for r in rows]))
                    .values(archived_at=at)
                )
        if rows:
            log.info("contact lists expired", extra={"count": len(rows)})
        return len(rows)
