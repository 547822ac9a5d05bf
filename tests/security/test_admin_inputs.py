"""The admin API checks what it stores like the public API does: no control characters in names,
template text (newlines and tabs excepted where text runs over lines) or sender values, and inbound
numbers that are numbers. Each refusal is a 400 in Notify's error envelope."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin_url_of


def admin_call(url: str, method: str, path: str, body: Any) -> httpx.Response:
    return httpx.request(
        method,
        f"{admin_url_of(url)}/admin{path}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status_code"] == 400
    assert body["errors"][0]["error"] in ("AdminError", "ValidationError")
    assert "control characters" in body["errors"][0]["message"] or "digits" in body["errors"][0]["message"]


@pytest.mark.parametrize("bad", ["Tax\x1b[31m office", "Line\x00", "Bell\x07", "Split\rname", "DEL\x7f"])
def test_a_service_name_with_control_characters_is_refused(api_url: str, bad: str) -> None:
    body = {"name": f"{bad} {uuid.uuid4().hex[:6]}", "email_from": "svc.ctrl"}
    assert_refused(admin_call(api_url, "POST", "/services", body))


def test_template_fields_with_control_characters_are_refused(sandbox: Sandbox) -> None:
    path = f"/services/{sandbox.service_id}/templates"
    email = {"name": "e", "template_type": "email", "subject": "Hi", "content": "Dear ((name))"}
    assert_refused(admin_call(sandbox.url, "POST", path, {**email, "name": "bad\x08name"}))
    assert_refused(admin_call(sandbox.url, "POST", path, {**email, "subject": "Hi\nBcc: x@example.com"}))
    assert_refused(admin_call(sandbox.url, "POST", path, {**email, "content": "Dear\x1b ((name))"}))
    ok = admin_call(sandbox.url, "POST", path, {**email, "content": "Dear ((name)),\n\n\tThanks\r\n"})
    assert ok.status_code == 201, ok.text


def test_sender_values_with_control_characters_are_refused(sandbox: Sandbox) -> None:
    senders = f"/services/{sandbox.service_id}/senders"
    assert_refused(admin_call(sandbox.url, "POST", f"{senders}/sms-senders", {"value": "GOV\x0bUK"}))
    reply_to = {"value": "help@example.gov.uk\r\nBcc: x@example.com"}
    assert_refused(admin_call(sandbox.url, "POST", f"{senders}/email-reply-to", reply_to))
    contact = admin_call(sandbox.url, "POST", f"{senders}/letter-contacts", {"value": "Tax office\nLondon"})
    assert contact.status_code == 201, contact.text


@pytest.mark.parametrize("number", ["0770 0900 123", "07700900abc", "+44-7700900123", "++447700900123", ""])
def test_an_inbound_number_must_be_digits(api_url: str, number: str) -> None:
    response = admin_call(api_url, "POST", "/inbound-numbers", {"number": number, "provider": "mmg"})
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 400


def test_an_inbound_number_of_digits_with_a_leading_plus_is_accepted(api_url: str) -> None:
    number = f"+44770{uuid.uuid4().int % 10**7:07d}"
    response = admin_call(api_url, "POST", "/inbound-numbers", {"number": number, "provider": "mmg"})
    assert response.status_code == 201, response.text
