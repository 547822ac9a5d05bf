"""``notify-admin send-csv`` run as a real command against the running platform: a good file is
sent, watched until every row is delivered, and summed up by status; a bad file is refused with
its row errors and nothing is sent."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

from tests.e2e.jobs.conftest import Jobs, sms_rows
from tests.support import env

JOB_TITLE = re.compile(r"Job ([0-9a-f-]{36}): (\w[\w ]*)")


def notify_admin(jobs: Jobs, *args: str) -> subprocess.CompletedProcess[str]:
    # The command ships with the admin-api and runs with its environment, as an operator's would.
    service = jobs.platform.services["admin-api"]
    return subprocess.run(
        [str(env.ROOT / ".venv/bin/notify-admin"), *args],
        env={**service.env, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_a_file_sent_with_notify_admin_is_delivered_and_summed_up_by_status(
    jobs: Jobs, tmp_path: Path
) -> None:
    csv = tmp_path / "reminders.csv"
    csv.write_bytes(sms_rows(30, start=60_000))
    template = jobs.platform.credentials["NOTIFY_SMS_TEMPLATE_ID"]
    args = ["send-csv", str(csv), "--template", template, "--service", jobs.service_id]
    done = await asyncio.to_thread(notify_admin, jobs, *args, "--timeout", "240", "--poll-interval", "0.5")

    assert done.returncode == 0, done.stdout + done.stderr
    for bar in ("Uploading", "Validating", "Splitting", "Delivering"):
        assert bar in done.stdout
    title = JOB_TITLE.search(done.stdout)
    assert title is not None, done.stdout
    job_id, status = title.groups()
    assert status.strip() == "finished"
    assert re.search(r"delivered\s*│\s*30\b", done.stdout), done.stdout
    received = await jobs.received(job_id, 30)
    assert len(received) == 30
    assert all(m["duplicates"] == 0 for m in received)
    stored = await jobs.stored(job_id)
    assert stored is not None
    assert (stored.status, stored.next_row, stored.created_by) == ("finished", 30, "notify-admin")


async def test_a_bad_file_sent_with_notify_admin_is_refused_with_its_row_errors(
    jobs: Jobs, tmp_path: Path
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_bytes(b"phone number,name\n07400100001,Ada\n0740,Bo\n07400100003,\n")
    template = jobs.platform.credentials["NOTIFY_SMS_TEMPLATE_ID"]
    done = await asyncio.to_thread(
        notify_admin, jobs, "send-csv", str(csv), "--template", template, "--service", jobs.service_id
    )

    assert done.returncode == 1
    assert "nothing was sent" in done.stdout
    assert "Row 3: Mobile number is too short" in done.stdout
    assert "Row 4: Missing name" in done.stdout
    assert JOB_TITLE.search(done.stdout) is None


async def test_notify_admin_refuses_a_template_id_that_is_not_a_uuid(jobs: Jobs, tmp_path: Path) -> None:
    csv = tmp_path / "one.csv"
    csv.write_bytes(sms_rows(1, start=61_000))
    done = await asyncio.to_thread(
        notify_admin, jobs, "send-csv", str(csv), "--template", "nope", "--service", jobs.service_id
    )
    assert done.returncode == 1
    assert "template_id is not a valid UUID" in done.stdout
