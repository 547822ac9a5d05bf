"""Send a file by email over HTTP, against the real broker and moto's S3: the api-gateway stores the
file and the link in the event points at document-download, which serves exactly the bytes sent
(after the recipient confirms their address when asked); the file is encrypted at rest, expired
files are gone, and every refusal is Notify's 400."""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from notifications_python_client.notifications import NotificationsAPIClient
from notifications_python_client.utils import prepare_upload

from notify_api_gateway.settings import ApiSettings
from notify_common import topics
from notify_common.documents import document_key
from notify_common.events import EmailRequested
from tests.integration.api_gateway.harness import (
    Sandbox,
    admin,
    api_settings,
    events_on,
    make_sandbox,
    running_api,
)
from tests.integration.document_download.harness import expire, ids_of, running_document_download, s3
from tests.support import env

RECIPIENT = "Ada.Lovelace@Example.com"
CSV_BYTES = b"name,amount\nAda,12.50\n"
CSV = base64.b64encode(CSV_BYTES).decode()
LINK = re.compile(r"(https?://[^\s)]+/d/[0-9a-f-]{36}/[0-9a-f-]{36}\?key=[A-Za-z0-9_-]+)")


@pytest.fixture(scope="module")
def download_url(database: str, kafka_topics: str) -> Iterator[str]:
    with running_document_download(f"documents-{env.RUN_ID}") as url:
        yield url


@pytest.fixture(scope="module")
def documents_settings(download_url: str) -> ApiSettings:
    return api_settings(documents_bucket=f"documents-{env.RUN_ID}", document_download_url=download_url)


@pytest.fixture(scope="module")
def documents_api(documents_settings: ApiSettings) -> Iterator[str]:
    with running_api(documents_settings) as url:
        yield url


@pytest.fixture
def uploader(documents_api: str) -> Sandbox:
    sandbox = make_sandbox(
        documents_api,
        permissions=["sms", "email", "letter", "upload_document"],
        contact_link="https://www.example.gov.uk/contact",
    )
    sandbox.templates["file"] = admin(
        documents_api,
        "POST",
        f"/services/{sandbox.service_id}/templates",
        {
            "name": "file",
            "template_type": "email",
            "subject": "Your statement",
            "content": "Dear ((name)),\n\nDownload your statement: ((link_to_file))",
        },
    )["id"]
    return sandbox


def send(sandbox: Sandbox, file: dict[str, Any], **overrides: Any) -> httpx.Response:
    body = {
        "email_address": RECIPIENT,
        "template_id": sandbox.templates["file"],
        "personalisation": {"name": "Ada", "link_to_file": file},
        **overrides,
    }
    return sandbox.post("/v2/notifications/email", body)


def link_in(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match[1]


def test_an_emailed_file_downloads_from_document_download_once_the_recipient_confirms_their_address(
    uploader: Sandbox, documents_settings: ApiSettings, download_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = send(uploader, {"file": CSV, "filename": "statement.csv"})
    assert response.status_code == 201, response.text
    sent = response.json()
    link = link_in(sent["content"]["body"])
    assert link.startswith(f"{download_url}/d/{uploader.service_id}/")
    assert download_url != uploader.url
    [event] = events_on(documents_settings, topics.EMAIL_REQUESTED, {sent["id"]})
    assert isinstance(event, EmailRequested)
    assert link_in(event.body) == link

    page = httpx.get(link)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'name="email_address"' in page.text
    assert CSV_BYTES not in page.content
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"

    wrong = httpx.post(link, data={"email_address": "someone.else@example.com"})
    assert wrong.status_code == 400
    assert "This is not the email address the file was sent to" in wrong.text
    assert "lovelace" not in wrong.text.lower()
    assert CSV_BYTES not in wrong.content
    not_an_address = httpx.post(link, data={"email_address": "not an address"})
    assert not_an_address.status_code == 400
    assert "not the email address" in not_an_address.text
    empty = httpx.post(link, content=b"")
    assert empty.status_code == 400

    # the address as the recipient might type it: case and surrounding spaces do not matter
    right = httpx.post(link, data={"email_address": "  ada.lovelace@EXAMPLE.com "})
    assert right.status_code == 200
    assert right.content == CSV_BYTES
    assert right.headers["content-type"].startswith("text/csv")
    assert right.headers["content-disposition"] == (
        "attachment; filename=\"statement.csv\"; filename*=UTF-8''statement.csv"
    )
    assert right.headers["x-content-type-options"] == "nosniff"

    # What the platform logs (its own loggers; uvicorn's access log is off in every service):
    # ids, never the recipient, the file or the link's key.
    key = link.rsplit("key=", 1)[1]
    ours = [r for r in caplog.records if r.name.startswith(("notify", "uvicorn.error"))]
    assert {"document stored", "document address refused", "document downloaded"} <= {
        r.getMessage() for r in ours
    }
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in ours).lower()
    assert "lovelace" not in logged
    assert key.lower() not in logged
    assert "ada,12.50" not in logged
    assert link.split("/")[-1].split("?")[0] in logged  # the document id is there to trace it


def test_a_file_without_confirmation_downloads_straight_from_the_link(uploader: Sandbox) -> None:
    pdf = b"%PDF-1.4\n" + os.urandom(3000)
    response = send(
        uploader,
        {
            "file": base64.b64encode(pdf).decode(),
            "filename": "Déclaration 2026.pdf",
            "confirm_email_before_download": False,
        },
    )
    assert response.status_code == 201, response.text
    download = httpx.get(link_in(response.json()["content"]["body"]))
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"D_claration 2026.pdf\"; filename*=UTF-8''D%C3%A9claration%202026.pdf"
    )


def test_the_legacy_is_csv_file_without_a_filename_downloads_as_a_csv(uploader: Sandbox) -> None:
    response = send(uploader, {"file": CSV, "is_csv": True, "confirm_email_before_download": False})
    assert response.status_code == 201, response.text
    download = httpx.get(link_in(response.json()["content"]["body"]))
    assert download.content == CSV_BYTES
    assert download.headers["content-type"].startswith("text/csv")
    assert 'filename="file.csv"' in download.headers["content-disposition"]


def test_the_stored_file_is_encrypted_and_expires_after_its_retention_period(
    uploader: Sandbox, documents_settings: ApiSettings
) -> None:
    before = datetime.now(UTC)
    response = send(uploader, {"file": CSV, "filename": "statement.csv", "retention_period": "3 weeks"})
    assert response.status_code == 201, response.text
    link = link_in(response.json()["content"]["body"])
    _, document_id = ids_of(link)
    stored = s3().get_object(
        Bucket=documents_settings.documents_bucket, Key=document_key(uploader.service_id, document_id)
    )
    sealed = stored["Body"].read()
    assert CSV_BYTES not in sealed
    assert b"statement.csv" not in sealed
    assert b"lovelace" not in sealed.lower()
    expires_at = datetime.fromisoformat(stored["Metadata"]["expires-at"])
    assert before + timedelta(weeks=3) <= expires_at <= datetime.now(UTC) + timedelta(weeks=3)


def test_a_wrong_key_or_an_unknown_document_is_not_found(uploader: Sandbox, download_url: str) -> None:
    response = send(uploader, {"file": CSV, "confirm_email_before_download": False})
    link = link_in(response.json()["content"]["body"])
    base, key = link.split("?key=")
    other_key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    for url in (
        f"{base}?key={other_key}",
        base,
        f"{base}?key=short",
        f"{base.rsplit('/', 1)[0]}/{uuid.uuid4()}?key={key}",
        f"{download_url}/d/{uploader.service_id}/not-a-uuid?key={key}",
    ):
        refused = httpx.get(url)
        assert refused.status_code == 404, url
        assert CSV_BYTES not in refused.content
    assert httpx.post(f"{base}?key={other_key}", data={"email_address": RECIPIENT}).status_code == 404


def test_an_expired_file_is_gone(uploader: Sandbox, documents_settings: ApiSettings) -> None:
    response = send(uploader, {"file": CSV, "filename": "old.csv"})
    link = link_in(response.json()["content"]["body"])
    expire(documents_settings.documents_bucket, link)
    gone = httpx.get(link)
    assert gone.status_code == 410
    assert "no longer available" in gone.text
    assert CSV_BYTES not in gone.content
    # and it has been deleted
    assert httpx.get(link).status_code == 404


def test_the_gateway_no_longer_serves_download_pages(uploader: Sandbox, download_url: str) -> None:
    response = send(uploader, {"file": CSV, "confirm_email_before_download": False})
    link = link_in(response.json()["content"]["body"])
    assert httpx.get(link).content == CSV_BYTES
    assert httpx.get(link.replace(download_url, uploader.url)).status_code == 404


def test_a_smoke_test_recipient_gets_a_link_and_nothing_is_stored(uploader: Sandbox) -> None:
    response = send(uploader, {"file": CSV}, email_address="simulate-delivered@notifications.service.gov.uk")
    assert response.status_code == 201, response.text
    assert httpx.get(link_in(response.json()["content"]["body"])).status_code == 404


TYPES = "'.csv', '.doc', '.docx', '.jpeg', '.jpg', '.odt', '.pdf', '.png', '.rtf', '.txt', '.xlsx'"


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ({"file": "%%% not base64 %%%"}, "Cannot decode file content (invalid base64 encoding)"),
        (
            {"file": base64.b64encode(b"x" * (2 * 1024 * 1024 + 1)).decode(), "filename": "a.txt"},
            "File is larger than 2MB",
        ),
        (
            {"file": CSV, "retention_period": "79 weeks"},
            "Unsupported value for retention_period: 79 weeks. Supported periods are from 1 to 78 weeks.",
        ),
        (
            {"file": CSV, "filename": "statement"},
            "`filename` must end with a file extension. For example, filename.csv",
        ),
        ({"file": CSV, "filename": "x" * 101 + ".csv"}, "`filename` cannot be longer than 100 characters"),
        (
            {"file": CSV, "filename": "a.csv", "is_csv": True},
            "Do not set a value for `is_csv` if `filename` is set.",
        ),
        (
            {"file": CSV, "confirm_email_before_download": "yes"},
            "Unsupported value for confirm_email_before_download: yes. Use a boolean true or false value.",
        ),
        ({"file": CSV, "is_csv": 1}, "Unsupported value for is_csv: 1. Use a boolean true or false value."),
        (
            {"file": CSV, "filename": "run.exe"},
            f"Unsupported file type 'application/octet-stream'. Supported types are: {TYPES}",
        ),
        ({"file": CSV, "colour": "blue"}, "Additional properties are not allowed (colour was unexpected)"),
        ({"file": 12}, "Unsupported value for file: use a string of base64-encoded data"),
    ],
)
def test_a_bad_file_is_refused_with_notifys_400(
    uploader: Sandbox, file: dict[str, Any], message: str
) -> None:
    response = send(uploader, file)
    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "errors": [{"error": "BadRequestError", "message": message}],
    }


def test_a_service_without_the_upload_document_permission_cannot_send_files(documents_api: str) -> None:
    sandbox = make_sandbox(documents_api)
    body = {
        "email_address": RECIPIENT,
        "template_id": sandbox.templates["email"],
        "personalisation": {"name": "Ada", "items": {"file": CSV}},
    }
    response = sandbox.post("/v2/notifications/email", body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"error": "BadRequestError", "message": "Service is not allowed to send documents"}
    ]


def test_a_file_can_only_be_sent_by_email(uploader: Sandbox) -> None:
    body = {
        "phone_number": "07700 900123",
        "template_id": uploader.templates["sms"],
        "personalisation": {"name": "Ada", "code": {"file": CSV}},
    }
    response = uploader.post("/v2/notifications/sms", body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"error": "BadRequestError", "message": "Can only send a file by email"}
    ]


def test_the_official_clients_prepare_upload_sends_a_file_that_downloads(uploader: Sandbox) -> None:
    # the client sends null for every option it was not given; it is untyped, hence the ignores
    client = NotificationsAPIClient(uploader.keys["normal"], base_url=uploader.url)  # type: ignore[no-untyped-call]
    sent = client.send_email_notification(  # type: ignore[no-untyped-call]
        email_address=RECIPIENT,
        template_id=uploader.templates["file"],
        personalisation={
            "name": "Ada",
            "link_to_file": prepare_upload(io.BytesIO(CSV_BYTES), filename="statement.csv"),  # type: ignore[no-untyped-call]
        },
    )
    link = link_in(sent["content"]["body"])
    assert httpx.post(link, data={"email_address": RECIPIENT}).content == CSV_BYTES
