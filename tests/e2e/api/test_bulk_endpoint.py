"""POST /v2/notifications/bulk through the whole platform, with the official client's generic
``post``: the rows become a job, visible at /v2/jobs/{id}, which the job-splitter sends through the
bulk lane until every row is delivered."""

from __future__ import annotations

import time
from typing import Any

from notifications_python_client.notifications import NotificationsAPIClient

from tests.e2e.conftest import Platform


def _job(client: NotificationsAPIClient, job_id: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/v2/jobs/{job_id}")["data"]
    return found


def test_bulk_rows_become_a_job_that_delivers_every_row(platform: Platform) -> None:
    client = NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_LIVE"], base_url=platform.api_url)
    rows = [["Phone Number", "name"]] + [[f"07700 900{n:03d}", f"Person {n}"] for n in range(10, 40)]
    created = client.post(
        "/v2/notifications/bulk",
        {"template_id": platform.credentials["NOTIFY_SMS_TEMPLATE_ID"], "name": "bulk.csv", "rows": rows},
    )["data"]
    assert created["job_status"] == "pending"
    assert created["notification_count"] == 30

    deadline = time.monotonic() + 120
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            job = _job(client, created["id"])
        except Exception:  # 404 until the job-splitter has recorded the job
            time.sleep(0.5)
            continue
        delivered = sum(s["count"] for s in job["statistics"] if s["status"] == "delivered")
        if job["job_status"] == "finished" and delivered == 30:
            break
        time.sleep(0.5)
    assert job.get("job_status") == "finished", job
    assert job["rows_emitted"] == 30
    assert job["statistics"] == [{"status": "delivered", "count": 30}]
