"""Languages through the whole platform: a template with a Welsh variant made through the admin
API; a CSV job with a language column reaches the provider simulator with each row in its language,
and each notification reads back the language it was sent in; a single send in a language the
template lacks is a 400 in Notify's error shape."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from notify_common.jobs import notification_id_for
from notify_common.jobs.submit import submit_job
from tests.e2e.conftest import ADMIN_API_TOKEN
from tests.e2e.jobs.conftest import Jobs


def welsh_template(jobs: Jobs) -> str:
    response = httpx.post(
        f"{jobs.platform.admin_api_url}/admin/services/{jobs.service_id}/templates",
        json={
            "name": "Bilingual reminder",
            "template_type": "sms",
            "content": "Hello ((name))",
            "variants": {"cy": {"content": "Helo ((name))"}},
        },
        headers={"Authorization": f"Bearer {ADMIN_API_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def test_a_csv_job_sends_each_row_in_its_language_and_each_reads_back_its_language(jobs: Jobs) -> None:
    template_id = welsh_template(jobs)
    csv = b"phone number,name,language\n07400 300001,Ann,cy\n07400 300002,Bob,\n07400 300003,Cai,en\n"
    job = await submit_job(
        engine=jobs.engine,
        producer=jobs.producer,
        files=jobs.files,
        service_id=jobs.service_id,
        template_id=template_id,
        csv=csv,
        original_file_name="languages.csv",
    )
    received = await jobs.wait_received(job.job_id, 3, timeout=120)
    content = {m["reference"]: m["content"] for m in received}
    assert [content[notification_id_for(job.job_id, n)] for n in range(3)] == [
        "Demo service: Helo Ann",
        "Demo service: Hello Bob",
        "Demo service: Hello Cai",
    ]

    client = NotificationsAPIClient(
        jobs.platform.credentials["NOTIFY_API_KEY_LIVE"], base_url=jobs.platform.api_url
    )
    deadline = time.monotonic() + 60
    languages: list[str | None] = []
    while time.monotonic() < deadline:
        try:
            shown = [client.get_notification_by_id(notification_id_for(job.job_id, n)) for n in range(3)]
        except HTTPError:  # not projected yet
            shown = []
        languages = [n["language"] for n in shown]
        if languages == ["cy", "en", "en"]:
            break
        await asyncio.sleep(0.5)
    assert languages == ["cy", "en", "en"]

    body = {"phone_number": "07400 300004", "template_id": template_id, "personalisation": {"name": "Dai"}}
    with pytest.raises(HTTPError) as refused:
        client.post("/v2/notifications/sms", {**body, "language": "fr"})
    assert refused.value.status_code == 400
    assert refused.value.message == [
        {"error": "BadRequestError", "message": "language fr is not available for this template"}
    ]
