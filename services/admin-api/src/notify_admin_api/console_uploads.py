"""CSV uploads from the admin web console: check a file against a template (``validate_csv``, the
same rules as every other way in), keep the report, store a valid file in S3, and later start it
as a job (``submit_job``, optionally scheduled) or let it lapse. A saved contact list is sent the
same way: its file is checked here for the chosen template, and the job records the list.

The upload id becomes the job id, so pressing "Send" twice starts one job, not two.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, cast, insert, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.store import AdminError
from notify_admin_api.tables.console import console_uploads
from notify_common.jobs import CsvFormatError, CsvLimits, RecipientsCsv, validate_csv
from notify_common.jobs.config import load_current_template, load_service
from notify_common.jobs.files import JobFiles
from notify_common.jobs.store import get_job
from notify_common.jobs.submit import JobRejected, submit_job
from notify_common.kafka import EventProducer

PREVIEW_ROWS = 5


def upload_key(service_id: str, upload_id: str) -> str:
    return f"console-uploads/{service_id}/{upload_id}.csv"


def _preview(data: bytes, limit: int = PREVIEW_ROWS) -> list[dict[str, str]]:
    """The first rows of a file, as the check page shows them."""
    csv = RecipientsCsv.from_binary(io.BytesIO(data))
    try:
        rows: list[dict[str, str]] = []
        for row in csv.rows():
            rows.append({"row": str(row.line), **{h: v or "" for h, v in row.cells.items()}})
            if len(rows) >= limit:
                break
        return rows
    finally:
        csv.release()


class ConsoleUploads:
    def __init__(self, engine: AsyncEngine, files: JobFiles, limits: CsvLimits) -> None:
        self.engine = engine
        self.files = files
        self.limits = limits

    async def check(
        self,
        service_id: str,
        template_id: str,
        file_name: str,
        data: bytes,
        created_by: str | None,
        contact_list_id: str | None = None,
    ) -> dict[str, Any]:
        """Check a file for a template and keep the outcome (and a valid file); ``contact_list_id``
        when the file is a saved contact list's, so the job started from it records the list."""
        async with self.engine.connect() as conn:
            service = await load_service(conn, service_id)
            template = await load_current_template(conn, service_id, template_id)
        if service is None:
            raise AdminError("Service not found", 404)
        if template is None or template.archived:
            raise AdminError("Template not found", 404)
        report = await asyncio.to_thread(
            validate_csv,
            io.BytesIO(data),
            service=service,
            template=template,
            key_type="normal",
            limits=self.limits,
            size_bytes=len(data),
        )
        upload_id = str(uuid.uuid4())
        stored: dict[str, Any] = {
            "row_count": report.row_count,
            "file_errors": list(report.file_errors),
            "row_errors": [{"row": e.row, "messages": list(e.messages)} for e in report.row_errors],
            "invalid_rows": report.invalid_rows,
            "headings": list(report.headings),
            "template_version": template.version,
            "preview": [],
            "contact_list_id": contact_list_id,
        }
        key = None
        if not report.file_errors:
            try:
                stored["preview"] = await asyncio.to_thread(_preview, data)
            except CsvFormatError:  # a preview is a nicety; the report says what is wrong
                stored["preview"] = []
        if report.valid:
            key = upload_key(service_id, upload_id)
            await self.files.upload(
                key, io.BytesIO(data), {"service_id": service_id, "original_file_name": file_name}
            )
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(console_uploads).values(
                    id=upload_id,
                    service_id=service_id,
                    template_id=template_id,
                    original_file_name=file_name,
                    created_by=created_by,
                    row_count=report.row_count,
                    valid=report.valid,
                    report=stored,
                    bucket=self.files.bucket if key else None,
                    object_key=key,
                )
            )
        return await self.upload(service_id, upload_id)

    async def upload(self, service_id: str, upload_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(console_uploads).where(
                        and_(console_uploads.c.id == upload_id, console_uploads.c.service_id == service_id)
                    )
                )
            ).first()
            job = await get_job(conn, upload_id) if row is not None else None
        if row is None:
            raise AdminError("Upload not found", 404)
        return {
            "id": str(row.id),
            "template_id": str(row.template_id),
            "original_file_name": row.original_file_name,
            "row_count": row.row_count,
            "valid": row.valid,
            "report": row.report,
            "created_at": row.created_at.isoformat(),
            "job_id": job.job_id if job is not None else None,
        }

    async def start(
        self,
        service_id: str,
        upload_id: str,
        *,
        producer: EventProducer,
        scheduled_for: datetime | None,
        created_by: str | None,
    ) -> dict[str, Any]:
        upload = await self.upload(service_id, upload_id)
        if upload["job_id"] is not None:
            return {"job_id": upload["job_id"]}
        if not upload["valid"]:
            raise AdminError("This file has errors: fix them and upload it again")
        stream = await self.files.open_stream(upload_key(service_id, upload_id))
        try:
            job = await submit_job(
                engine=self.engine,
                producer=producer,
                files=self.files,
                service_id=service_id,
                template_id=upload["template_id"],
                csv=stream,
                original_file_name=upload["original_file_name"],
                key_type="normal",
                scheduled_for=scheduled_for,
                created_by=created_by,
                limits=self.limits,
                job_id=upload_id,
                contact_list_id=upload["report"].get("contact_list_id"),
            )
        except JobRejected as exc:
            raise AdminError("; ".join(exc.messages), exc.status_code) from None
        finally:
            stream.close()
        # The job-splitter records the job a moment later; until then its page shows it pending.
        async with self.engine.begin() as conn:
            await conn.execute(
                update(console_uploads)
                .where(console_uploads.c.id == upload_id)
                .values(report=console_uploads.c.report.op("||")(cast({"started": True}, JSONB)))
            )
        return {"job_id": job.job_id, "status": job.status, "scheduled_for": scheduled_for}
