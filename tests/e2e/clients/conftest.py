"""What the official client programs under this folder are given: a fresh live service set up
through the admin API the way an operator would (templates of every kind, an SMS sender, an email
reply-to address, a contact link for files by email, an inbound number with received texts), and a
second service whose daily text message limit is 1, for the 429 answer. Each program gets these as
environment variables (``NOTIFY_*``) and the platform's API URL, and is run as a child process."""

from __future__ import annotations

import itertools
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ADMIN_API_TOKEN, Platform
from tests.support import env

HERE = Path(__file__).resolve().parent
RECEIVED_TEXTS = 3
# Inbound numbers are unique across services; the lifecycle tests use 07700900555.
_INBOUND_NUMBERS = (f"07700900{n:03d}" for n in itertools.count(700))

TEMPLATES = {
    "SMS": {"template_type": "sms", "content": "Hello ((name)), your code is ((code))."},
    "EMAIL": {
        "template_type": "email",
        "subject": "Hello ((name))",
        "content": "# Welcome\n\nDear ((name)).",
    },
    "FILE_EMAIL": {
        "template_type": "email",
        "subject": "Your file",
        "content": "Download it here: ((link_to_file))",
    },
    "LETTER": {
        "template_type": "letter",
        "subject": "Your letter, ((name))",
        "content": "Dear ((name)),\n\nThis is your letter.",
        "postage": "second",
    },
}


class Admin:
    """The admin-api of the platform under test, failing loudly on any refusal."""

    def __init__(self, platform: Platform) -> None:
        self.http = httpx.Client(
            base_url=platform.admin_api_url,
            headers={"Authorization": f"Bearer {ADMIN_API_TOKEN}"},
            timeout=30,
        )

    def call(self, method: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        response = self.http.request(method, f"/admin{path}", json=body)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        data = response.json()["data"]
        assert isinstance(data, dict)
        return data

    def service(self, name: str, email_from: str, **settings: object) -> str:
        created = self.call(
            "POST", "/services", {"name": name, "email_from": email_from, "live": True} | settings
        )
        return str(created["id"])

    def key(self, service_id: str, key_type: str = "normal") -> str:
        return str(
            self.call("POST", f"/services/{service_id}/api-keys", {"name": key_type, "key_type": key_type})[
                "key"
            ]
        )


def send_received_texts(platform: Platform, number: str, marker: str) -> None:
    """Texts sent by people to the service's inbound number, as Firetext hands them to receipts."""
    for i in range(RECEIVED_TEXTS):
        form = {"source": "447700900111", "destination": number, "message": f"{marker} reply {i}"}
        response = httpx.post(
            f"{platform.services['receipts'].url}/notifications/sms/receive/firetext",
            data=form,
            auth=env.inbound_auth("firetext"),
        )
        assert response.status_code == 200, response.text
        time.sleep(0.01)  # distinct arrival times, so the newest-first order is the sending order reversed


@pytest.fixture
def client_env(platform: Platform) -> Iterator[dict[str, str]]:
    admin = Admin(platform)
    run = uuid.uuid4().hex[:8]
    email_from = f"clients.{run}"
    name = f"Official clients {run}"
    service_id = admin.service(
        name,
        email_from,
        permissions=["sms", "email", "letter", "inbound_sms", "upload_document"],
        contact_link="https://www.example.gov.uk/contact",
    )
    env = {
        "NOTIFY_API_URL": platform.api_url,
        "NOTIFY_SERVICE_ID": service_id,
        "NOTIFY_SERVICE_NAME": name,
        "NOTIFY_EMAIL_FROM": email_from,
        "NOTIFY_API_KEY": admin.key(service_id),
        "NOTIFY_TEST_API_KEY": admin.key(service_id, "test"),
    }
    for name, template in TEMPLATES.items():
        created = admin.call("POST", f"/services/{service_id}/templates", {"name": name.lower(), **template})
        env[f"NOTIFY_{name}_TEMPLATE_ID"] = str(created["id"])
    env["NOTIFY_SMS_SENDER_ID"] = str(
        admin.call("POST", f"/services/{service_id}/senders/sms-senders", {"value": "Clients"})["id"]
    )
    env["NOTIFY_EMAIL_REPLY_TO_ID"] = str(
        admin.call(
            "POST", f"/services/{service_id}/senders/email-reply-to", {"value": "replies@example.gov.uk"}
        )["id"]
    )
    number = next(_INBOUND_NUMBERS)
    admin.call(
        "POST", "/inbound-numbers", {"number": number, "provider": "firetext", "service_id": service_id}
    )
    send_received_texts(platform, number, run)
    env |= {
        "NOTIFY_INBOUND_NUMBER": number,
        "NOTIFY_RECEIVED_TEXTS": str(RECEIVED_TEXTS),
        "NOTIFY_RECEIVED_TEXT_MARKER": run,
    }
    limited = admin.service(f"Official clients, one text a day {run}", f"limited.{run}", sms_message_limit=1)
    env["NOTIFY_LIMITED_API_KEY"] = admin.key(limited)
    env["NOTIFY_LIMITED_SMS_TEMPLATE_ID"] = str(
        admin.call("POST", f"/services/{limited}/templates", {"name": "sms", **TEMPLATES["SMS"]})["id"]
    )
    yield env
    admin.http.close()


def run_client_program(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> None:
    """Runs a client program; a failure shows everything it printed."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}"
