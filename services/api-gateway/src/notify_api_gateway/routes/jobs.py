"""CSV jobs over the API (beyond GOV.UK Notify's v2 API, which offers bulk sending only in its web
interface), authenticated with a service's API key:

* ``POST /v2/jobs?template_id=...[&scheduled_for=...][&file_name=...]`` with the CSV as the body
  (``Content-Type: text/csv``): checked, stored in S3 and handed to the job-splitter. 201 with the
  job; 400 with every file problem and the first 20 bad rows ("Row 3: ...") and nothing is sent.
* ``GET /v2/jobs/{job_id}``: its status, rows handed to the bulk lane, and notification statuses.
* ``POST /v2/jobs/{job_id}/cancel``: cancels a scheduled job; it then sends nothing.

The work is done by ``notify_common.jobs`` (``submit_job``, ``cancel_job``); this module only
speaks HTTP. The upload is spooled to a temporary file, so memory stays bounded.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from notify_api_gateway.dependencies import Caller, State
from notify_api_gateway.routes.reads import check_uuid
from notify_common.api_errors import ApiError, bad_request, not_found
from notify_common.errors import RetryableError
from notify_common.jobs.direct import job_statistics, parse_when
from notify_common.jobs.store import get_job, job_json
from notify_common.jobs.submit import JobNotCancellable, JobNotFound, JobRejected, cancel_job, submit_job
from notify_common.jobs.validation import too_big_message

router = APIRouter(tags=["Jobs"])

SPOOL_IN_MEMORY_BYTES = 4 * 1024 * 1024


def parse_scheduled_for(value: str | None) -> datetime | None:
    try:
        return parse_when(value)
    except ValueError as exc:
        raise bad_request(str(exc)) from None


@router.post("/v2/jobs", status_code=201)
async def create_job(
    request: Request,
    state: State,
    caller: Caller,
    template_id: Annotated[str, Query()],
    file_name: Annotated[str, Query(max_length=255)] = "upload.csv",
    scheduled_for: Annotated[str | None, Query()] = None,
) -> JSONResponse:
    check_uuid(template_id, "template_id")
    limits = state.settings.csv_limits()
    when = parse_scheduled_for(scheduled_for)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spooled:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limits.max_bytes:
                raise ApiError(413, "BadRequestError", too_big_message(limits))
            spooled.write(chunk)
        spooled.seek(0)
        try:
            job = await submit_job(
                engine=state.repository.engine,
                producer=state.producer,
                files=state.job_files,
                service_id=caller.service.id,
                template_id=template_id,
                csv=spooled,  # type: ignore[arg-type]
                original_file_name=file_name,
                key_type=caller.api_key.key_type,
                scheduled_for=when,
                created_by=f"api key {caller.api_key.id}",
                limits=limits,
                correlation_id=request.headers.get("x-request-id"),
                ack_within=state.settings.kafka_ack_timeout_seconds,
            )
        except JobRejected as exc:
            raise ApiError(exc.status_code, "BadRequestError", exc.messages) from None
        except RetryableError as exc:  # S3 or Kafka unreachable: the client may try again
            raise ApiError(503, "ServiceUnavailable", "The file could not be stored, try again") from exc
    return JSONResponse(
        status_code=201,
        content={
            "data": {
                "id": job.job_id,
                "template": job.template_id,
                "template_version": job.template_version,
                "template_type": job.channel,
                "original_file_name": job.original_file_name,
                "notification_count": job.row_count,
                "job_status": job.status,
                "scheduled_for": job.scheduled_for.isoformat() if job.scheduled_for else None,
            }
        },
    )


@router.get("/v2/jobs/{job_id}")
async def read_job(job_id: str, state: State, caller: Caller) -> JSONResponse:
    check_uuid(job_id, "job_id")
    async with state.repository.engine.connect() as conn:
        job = await get_job(conn, job_id)
        # A job is visible only to the key type that made it (a test key never sees live jobs).
        if job is None or job.service_id != caller.service.id or job.key_type != caller.api_key.key_type:
            raise not_found()
        statistics = await job_statistics(conn, job.service_id, job_id)
    return JSONResponse({"data": job_json(job, statistics)})


@router.post("/v2/jobs/{job_id}/cancel")
async def cancel(job_id: str, request: Request, state: State, caller: Caller) -> JSONResponse:
    check_uuid(job_id, "job_id")
    try:
        job = await cancel_job(
            engine=state.repository.engine,
            producer=state.producer,
            service_id=caller.service.id,
            job_id=job_id,
            correlation_id=request.headers.get("x-request-id"),
            key_type=caller.api_key.key_type,
        )
    except JobNotFound:
        raise not_found() from None
    except JobNotCancellable as exc:
        raise bad_request(str(exc)) from None
    return JSONResponse({"data": job_json(job)})
