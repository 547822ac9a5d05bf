"""A file sent by email through the real processes: the api-gateway stores it and answers with a
link to document-download, which serves it once the recipient confirms their address; the
api-gateway itself serves no download pages."""

from __future__ import annotations

import base64
import re
import uuid

import httpx
from notifications_python_client.notifications import NotificationsAPIClient

from tests.e2e.clients.conftest import Admin
from tests.e2e.conftest import Platform

CSV = b"name,amount\nAda,12.50\n"
CONTACT = "https://www.example.gov.uk/contact"
RECIPIENT = "ada.lovelace@example.com"


def test_a_file_sent_by_email_downloads_from_document_download(platform: Platform) -> None:
    admin = Admin(platform)
    run = uuid.uuid4().hex[:8]
    service_id = admin.service(
        f"Files {run}", f"files.{run}", permissions=["email", "upload_document"], contact_link=CONTACT
    )
    template_id = admin.call(
        "POST",
        f"/services/{service_id}/templates",
        {
            "name": "file",
            "template_type": "email",
            "subject": "Your statement",
            "content": "Download it here: ((link_to_file))",
        },
    )["id"]
    client = NotificationsAPIClient(admin.key(service_id), base_url=platform.api_url)
    sent = client.send_email_notification(
        email_address=RECIPIENT,
        template_id=template_id,
        personalisation={"link_to_file": {"file": base64.b64encode(CSV).decode(), "filename": "s.csv"}},
    )
    match = re.search(r"Download it here: (\S+)", sent["content"]["body"])
    assert match, sent["content"]["body"]
    link = match[1]
    assert link.startswith(f"{platform.document_download_url}/d/{service_id}/")

    page = httpx.get(link, timeout=30)
    assert page.status_code == 200
    assert f'<a href="{CONTACT}"' in page.text
    assert httpx.post(link, data={"email_address": RECIPIENT}, timeout=30).content == CSV
    elsewhere = link.replace(platform.document_download_url, platform.api_url)
    assert httpx.get(elsewhere, timeout=30).status_code == 404
