"""CSV jobs through the whole platform (issue 6, "Done when"): a bad file sends nothing; every row
of a valid 10,000-row job reaches the provider simulator exactly once; so does every row of a job
whose job-splitter is killed with SIGKILL mid-job and restarted; a scheduled job starts at its
time; a cancelled scheduled job sends nothing."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from notify_common.jobs import notification_id_for
from notify_common.jobs.submit import JobRejected, cancel_job
from tests.e2e.jobs.conftest import Jobs, sms_rows
from tests.support.processes import ServiceProcess


def assert_exactly_once(received: list[dict[str, object]], job_id: str, rows: int) -> None:
    references = [m["reference"] for m in received]
    assert len(references) == rows
    assert set(references) == {notification_id_for(job_id, n) for n in range(rows)}
    assert all(m["duplicates"] == 0 for m in received)


async def test_a_file_with_invalid_rows_is_rejected_with_row_errors_and_nothing_is_sent(jobs: Jobs) -> None:
    csv = sms_rows(50).replace(b"07400 100007,", b"0740,").replace(b",Person 9\n", b",\n")
    job_id = str(uuid.uuid4())
    with pytest.raises(JobRejected) as rejected:
        await jobs.submit(csv, job_id=job_id)
    assert rejected.value.messages == ["Row 9: Mobile number is too short", "Row 11: Missing name"]
    await asyncio.sleep(2)
    assert await jobs.stored(job_id) is None
    assert await jobs.received(job_id, 50) == []


# The sms-sender sets the pace here (about 20 a second on a busy 2-core machine at the time of
# writing), hence the long timeout; the job-splitter itself splits 10,000 rows in seconds.
@pytest.mark.timeout(1000)
async def test_every_row_of_a_10000_row_job_reaches_the_provider_exactly_once(jobs: Jobs) -> None:
    job = await jobs.submit(sms_rows(10_000))
    received = await jobs.wait_received(job.job_id, 10_000, timeout=900)
    assert_exactly_once(received, job.job_id, 10_000)
    first = next(m for m in received if m["reference"] == notification_id_for(job.job_id, 0))
    assert first["recipient"] == "447400100000"
    assert first["content"] == "Demo service: Hello Person 0, this is your first message from the platform."
    assert (await jobs.wait_status(job.job_id, "finished")).next_row == 10_000


async def test_a_job_splitter_killed_mid_job_and_restarted_still_sends_every_row_exactly_once(
    jobs: Jobs,
) -> None:
    original = jobs.platform.services["job-splitter"]
    original.kill()  # SIGKILL: the platform's splitter is replaced by a slowed-down one
    slow = ServiceProcess(
        "job-splitter",
        original.port,
        {**original.env, "NOTIFY_SPLIT_ROWS_PER_SECOND": "400", "NOTIFY_SPLIT_BATCH_SIZE": "50"},
        original.log_dir,
    )
    slow.start()
    try:
        slow.wait_ready()
        job = await jobs.submit(sms_rows(2_000, start=20_000))
        deadline = time.monotonic() + 30
        stored = await jobs.wait_stored(job.job_id)
        while stored.next_row < 600 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            stored = await jobs.wait_stored(job.job_id)
        slow.kill()
        stored = await jobs.wait_stored(job.job_id)
        assert stored.status == "in_progress"
        assert 600 <= stored.next_row < 2_000, "killed mid-job"
    finally:
        slow.kill()
        original.start()
        original.wait_ready()
    received = await jobs.wait_received(job.job_id, 2_000, timeout=300)
    assert_exactly_once(received, job.job_id, 2_000)
    assert (await jobs.wait_status(job.job_id, "finished")).next_row == 2_000


async def test_a_scheduled_job_starts_at_its_time_and_a_cancelled_one_sends_nothing(jobs: Jobs) -> None:
    # Cancelling waits for the job-splitter's decision, so the job to cancel is scheduled first, with
    # room to spare, and the one to watch only once the cancel has been answered.
    cancelled_at = datetime.now(UTC) + timedelta(seconds=20)
    cancelled = await jobs.submit(sms_rows(20, start=41_000), scheduled_for=cancelled_at)
    await jobs.wait_stored(cancelled.job_id)
    answered = await cancel_job(
        engine=jobs.engine, producer=jobs.producer, service_id=jobs.service_id, job_id=cancelled.job_id
    )
    assert answered.status == "cancelled"
    at = datetime.now(UTC) + timedelta(seconds=8)
    scheduled = await jobs.submit(sms_rows(20, start=40_000), scheduled_for=at)
    assert (await jobs.wait_stored(scheduled.job_id)).status == "scheduled"

    await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds() - 1.5))
    assert await jobs.received(scheduled.job_id, 20) == [], "nothing before its time"
    assert (await jobs.stored(scheduled.job_id)).status == "scheduled"  # type: ignore[union-attr]

    received = await jobs.wait_received(scheduled.job_id, 20, timeout=30)
    assert_exactly_once(received, scheduled.job_id, 20)
    started = (await jobs.wait_status(scheduled.job_id, "finished")).started_at
    assert started is not None
    assert timedelta(0) <= started - at < timedelta(seconds=3)
    assert min(datetime.fromisoformat(str(m["received_at"])) for m in received) >= at

    await asyncio.sleep(max(0.0, (cancelled_at - datetime.now(UTC)).total_seconds()) + 2)
    assert (await jobs.stored(cancelled.job_id)).status == "cancelled"  # type: ignore[union-attr]
    assert await jobs.received(cancelled.job_id, 20) == []
