"""Send a file by email needs the service's contact details, as in Notify: a contact link (a URL,
email address or phone number) set through the admin API or ``notify-admin``, shown on the download
page. And the confirm page allows 10 wrong email addresses per document an hour, then answers 429."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from notify_admin_api.cli import main
from notify_api_gateway.settings import ApiSettings
from notify_document_download.attempts import MAX_WRONG_ADDRESSES, WINDOW_SECONDS, AddressAttempts
from tests.integration.api_gateway.harness import (
    ADMIN_TOKEN,
    Sandbox,
    admin,
    admin_url_of,
    api_settings,
    make_sandbox,
    running_api,
)
from tests.integration.document_download.harness import expire, ids_of, running_document_download
from tests.support import env

RECIPIENT = "ada.lovelace@example.com"
CSV_BYTES = b"name,amount\nAda,12.50\n"
CSV = base64.b64encode(CSV_BYTES).decode()
LINK = re.compile(r"(https?://[^\s)]+/d/[0-9a-f-]{36}/[0-9a-f-]{36}\?key=[A-Za-z0-9_-]+)")
CONTACT = "https://www.example.gov.uk/contact-us"
NOT_SET_UP = "Send files by email has not been set up - add contact details for your service"


@pytest.fixture(scope="module")
def download_url(database: str, kafka_topics: str) -> Iterator[str]:
    with running_document_download(f"documents-contact-{env.RUN_ID}") as url:
        yield url


@pytest.fixture(scope="module")
def contact_settings(download_url: str) -> ApiSettings:
    return api_settings(
        documents_bucket=f"documents-contact-{env.RUN_ID}", document_download_url=download_url
    )


@pytest.fixture(scope="module")
def api(contact_settings: ApiSettings) -> Iterator[str]:
    with running_api(contact_settings) as url:
        yield url


def uploader(api: str, **service: Any) -> Sandbox:
    sandbox = make_sandbox(api, permissions=["sms", "email", "letter", "upload_document"], **service)
    sandbox.templates["file"] = admin(
        api,
        "POST",
        f"/services/{sandbox.service_id}/templates",
        {
            "name": "file",
            "template_type": "email",
            "subject": "Your statement",
            "content": "Dear Ada,\n\nDownload your statement: ((link_to_file))",
        },
    )["id"]
    return sandbox


def send(sandbox: Sandbox, file: dict[str, Any] | None = None) -> httpx.Response:
    body = {
        "email_address": RECIPIENT,
        "template_id": sandbox.templates["file"],
        "personalisation": {"link_to_file": file or {"file": CSV, "filename": "statement.csv"}},
    }
    return sandbox.post("/v2/notifications/email", body)


def link_of(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    match = LINK.search(response.json()["content"]["body"])
    assert match
    return match[1]


def patch_service(api: str, service_id: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.patch(
        f"{admin_url_of(api)}/admin/services/{service_id}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )


def service_name(api: str, service_id: str) -> str:
    return str(admin(api, "GET", f"/services/{service_id}")["name"])


# ---- the contact link ---------------------------------------------------------------------------


def test_a_service_without_contact_details_cannot_send_files_until_it_has_them(api: str) -> None:
    sandbox = uploader(api)
    assert admin(api, "GET", f"/services/{sandbox.service_id}")["contact_link"] is None
    refused = send(sandbox)
    assert refused.status_code == 400
    assert refused.json() == {
        "status_code": 400,
        "errors": [{"error": "BadRequestError", "message": NOT_SET_UP}],
    }
    # an email without a file needs no contact details
    plain = sandbox.post(
        "/v2/notifications/email",
        {
            "email_address": RECIPIENT,
            "template_id": sandbox.templates["file"],
            "personalisation": {"link_to_file": "x"},
        },
    )
    assert plain.status_code == 201, plain.text

    changed = patch_service(api, sandbox.service_id, {"contact_link": CONTACT})
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["contact_link"] == CONTACT
    link_of(send(sandbox))


def test_the_contact_link_is_a_url_an_email_address_or_a_phone_number(api: str) -> None:
    sandbox = make_sandbox(api)
    for value in (CONTACT, "Help.Desk@example.gov.uk", "0800 123 4567", "+44 (0)20 7946 0000"):
        changed = patch_service(api, sandbox.service_id, {"contact_link": f"  {value} "})
        assert changed.status_code == 200, changed.text
        assert changed.json()["data"]["contact_link"] == value
    for value in ("javascript:alert(1)", "www.example.gov.uk", "http://localhost", "call us", "12", "a@b"):
        refused = patch_service(api, sandbox.service_id, {"contact_link": value})
        assert refused.status_code == 400, value
        assert refused.json()["errors"] == [
            {
                "error": "AdminError",
                "message": "contact_link must be a URL starting with http:// or https://, "
                "an email address or a phone number",
            }
        ]
    assert admin(api, "GET", f"/services/{sandbox.service_id}")["contact_link"] == "+44 (0)20 7946 0000"
    # other changes leave it alone; null clears it
    assert patch_service(api, sandbox.service_id, {"rate_limit": 100}).json()["data"]["contact_link"]
    assert (
        patch_service(api, sandbox.service_id, {"contact_link": None}).json()["data"]["contact_link"] is None
    )


def test_a_service_can_be_created_with_its_contact_link(api: str) -> None:
    sandbox = uploader(api, contact_link="help@example.gov.uk")
    assert admin(api, "GET", f"/services/{sandbox.service_id}")["contact_link"] == "help@example.gov.uk"
    link_of(send(sandbox))


def test_notify_admin_sets_and_clears_the_contact_link(
    api: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFY_DATABASE_URL", env.DATABASE_URL)
    sandbox = uploader(api)
    assert main(["set-contact-link", "--service-id", sandbox.service_id, "--link", "0300 123 4567"]) == 0
    assert '"contact_link": "0300 123 4567"' in capsys.readouterr().out
    link_of(send(sandbox))
    assert main(["set-contact-link", "--service-id", sandbox.service_id, "--link", "not a link"]) == 1
    assert "contact_link must be a URL" in capsys.readouterr().err
    assert main(["set-contact-link", "--service-id", sandbox.service_id, "--clear"]) == 0
    capsys.readouterr()
    assert send(sandbox).json()["errors"][0]["message"] == NOT_SET_UP


@pytest.mark.parametrize(
    ("contact", "anchor"),
    [
        (CONTACT, f'<a href="{CONTACT}" rel="noreferrer noopener">{CONTACT}</a>'),
        (
            "help@example.gov.uk",
            '<a href="mailto:help@example.gov.uk" rel="noreferrer noopener">help@example.gov.uk</a>',
        ),
        (
            "+44 (0)20 7946 0000",
            '<a href="tel:+4402079460000" rel="noreferrer noopener">+44 (0)20 7946 0000</a>',
        ),
    ],
)
def test_the_download_page_says_how_to_contact_the_service(api: str, contact: str, anchor: str) -> None:
    sandbox = uploader(api, contact_link=contact)
    link = link_of(send(sandbox))
    name = service_name(api, sandbox.service_id)
    page = httpx.get(link)
    assert page.status_code == 200
    assert f"If you have any questions, contact {name}: {anchor}" in page.text
    wrong = httpx.post(link, data={"email_address": "someone.else@example.com"})
    assert wrong.status_code == 400
    assert anchor in wrong.text


def test_the_page_of_an_expired_file_says_how_to_contact_the_service(
    api: str, contact_settings: ApiSettings
) -> None:
    sandbox = uploader(api, contact_link=CONTACT)
    link = link_of(send(sandbox))
    expire(contact_settings.documents_bucket, link)
    page = httpx.get(link)
    assert page.status_code == 410
    assert f'contact {service_name(api, sandbox.service_id)}: <a href="{CONTACT}"' in page.text
    # without the link's key, not even the contact details of the service that sent it
    other = link_of(send(sandbox))
    expire(contact_settings.documents_bucket, other)
    wrong_key = base64.urlsafe_b64encode(b"k" * 32).rstrip(b"=").decode()
    keyless = httpx.get(f"{other.split('?key=')[0]}?key={wrong_key}")
    assert keyless.status_code == 410
    assert CONTACT not in keyless.text


def test_an_unknown_document_does_not_show_the_services_contact_link(api: str) -> None:
    sandbox = uploader(api, contact_link=CONTACT)
    link = link_of(send(sandbox))
    base, key = link.split("?key=")
    page = httpx.get(f"{base[:-36]}{'0' * 8}-0000-4000-8000-{'0' * 12}?key={key}")
    assert page.status_code == 404
    assert CONTACT not in page.text


# ---- wrong addresses on the confirm page --------------------------------------------------------


def attempts_key(link: str) -> str:
    return AddressAttempts.key(*ids_of(link))


def test_after_10_wrong_addresses_in_an_hour_even_the_right_one_is_refused_with_429(api: str) -> None:
    sandbox = uploader(api, contact_link=CONTACT)
    link = link_of(send(sandbox))
    other = link_of(send(sandbox))
    assert MAX_WRONG_ADDRESSES == 10
    for n in range(MAX_WRONG_ADDRESSES):
        wrong = httpx.post(link, data={"email_address": f"guess{n}@example.com"})
        assert wrong.status_code == 400, n
        assert "This is not the email address the file was sent to" in wrong.text
    for given in ("guess10@example.com", RECIPIENT):
        locked = httpx.post(link, data={"email_address": given})
        assert locked.status_code == 429
        assert CSV_BYTES not in locked.content
        assert "<h1>Too many attempts</h1>" in locked.text
        assert "The wrong email address was entered too many times" in locked.text
        assert "Try again in 60 minutes" in locked.text or "Try again in 59 minutes" in locked.text
        assert 0 < int(locked.headers["retry-after"]) <= WINDOW_SECONDS
        assert locked.headers["cache-control"] == "no-store"
        assert CONTACT in locked.text
    # the count is per document, and it expires with its window
    assert httpx.post(other, data={"email_address": RECIPIENT}).content == CSV_BYTES
    client = redis.Redis.from_url(env.REDIS_URL)
    try:
        assert 0 < client.ttl(attempts_key(link)) <= WINDOW_SECONDS
        client.delete(attempts_key(link))
    finally:
        client.close()
    assert httpx.post(link, data={"email_address": RECIPIENT}).content == CSV_BYTES


def test_the_right_address_does_not_use_up_an_attempt(api: str) -> None:
    sandbox = uploader(api, contact_link=CONTACT)
    link = link_of(send(sandbox))
    for n in range(MAX_WRONG_ADDRESSES - 1):
        assert httpx.post(link, data={"email_address": f"guess{n}@example.com"}).status_code == 400
    for _ in range(3):  # the recipient downloads it again and again
        assert httpx.post(link, data={"email_address": RECIPIENT}).content == CSV_BYTES
    assert httpx.post(link, data={"email_address": "guess9@example.com"}).status_code == 400
    assert httpx.post(link, data={"email_address": RECIPIENT}).status_code == 429


def test_a_file_that_needs_no_confirmation_counts_no_attempts(api: str) -> None:
    sandbox = uploader(api, contact_link=CONTACT)
    link = link_of(send(sandbox, {"file": CSV, "confirm_email_before_download": False}))
    for _ in range(MAX_WRONG_ADDRESSES + 2):
        assert httpx.post(link, data={"email_address": "anyone@example.com"}).content == CSV_BYTES
    client = redis.Redis.from_url(env.REDIS_URL)
    try:
        assert client.exists(attempts_key(link)) == 0
    finally:
        client.close()
