"""``notify-admin`` against the real database: a service set up from the command line can send."""

from __future__ import annotations

import pytest

from notify_admin_api.cli import main
from tests.integration.api_gateway.harness import Sandbox
from tests.support import env


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip()


def test_a_service_made_with_the_cli_sends_with_its_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], api_url: str
) -> None:
    monkeypatch.setenv("NOTIFY_DATABASE_URL", env.DATABASE_URL)
    service_id = run(capsys, "create-service", "--name", f"cli-{env.RUN_ID}", "--email-from", "cli")
    assert main(["create-api-key", "--service-id", service_id, "--name", "x", "--type", "normal"]) == 1
    assert "trial mode" in capsys.readouterr().err
    run(capsys, "set-live", "--service-id", service_id)
    key = run(capsys, "create-api-key", "--service-id", service_id, "--name", "cli key")
    assert key.startswith(f"cli_key-{service_id}-")
    template_id = run(
        capsys,
        "create-template",
        "--service-id",
        service_id,
        "--name",
        "t",
        "--type",
        "sms",
        "--content",
        "Hi ((name))",
    )
    assert (
        run(
            capsys,
            "update-template",
            "--service-id",
            service_id,
            "--template-id",
            template_id,
            "--content",
            "Yo ((name))",
        )
        == "2"
    )
    sandbox = Sandbox(
        url=api_url, service_id=service_id, keys={"normal": key}, templates={"sms": template_id}
    )
    sent = sandbox.post(
        "/v2/notifications/sms",
        {"phone_number": "07700900123", "template_id": template_id, "personalisation": {"name": "A"}},
    )
    assert sent.status_code == 201
    assert sent.json()["content"]["body"].endswith("Yo A")
    assert sent.json()["template"]["version"] == 2


def test_templates_made_with_the_cli_are_created_by_the_admin_email_or_the_one_given(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], api_url: str
) -> None:
    monkeypatch.setenv("NOTIFY_DATABASE_URL", env.DATABASE_URL)
    monkeypatch.setenv("NOTIFY_ADMIN_EMAIL", "platform-admin@example.gov.uk")
    service_id = run(capsys, "create-service", "--name", f"cli-by-{env.RUN_ID}", "--email-from", "cliby")
    run(capsys, "set-live", "--service-id", service_id)
    key = run(capsys, "create-api-key", "--service-id", service_id, "--name", "cli key")
    made = ["--service-id", service_id, "--name", "t", "--type", "sms", "--content", "Hi"]
    template_id = run(capsys, "create-template", *made)
    changed = ["--service-id", service_id, "--template-id", template_id, "--content", "Hello"]
    run(capsys, "update-template", *changed, "--created-by", "Ada@Example.gov.uk")
    sandbox = Sandbox(
        url=api_url, service_id=service_id, keys={"normal": key}, templates={"sms": template_id}
    )
    first = sandbox.get(f"/v2/template/{template_id}/version/1").json()
    assert first["created_by"] == "platform-admin@example.gov.uk"
    assert sandbox.get(f"/v2/template/{template_id}").json()["created_by"] == "Ada@Example.gov.uk"
