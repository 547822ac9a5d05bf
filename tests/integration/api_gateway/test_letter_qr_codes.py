"""Letters with QR codes over HTTP: Notify's 400 with the data, its size and the limit, for a send
and for a preview; a code that fits is accepted."""

from __future__ import annotations

from typing import Any

from tests.integration.api_gateway.harness import Sandbox, admin

ADDRESS = {"address_line_1": "Ada Lovelace", "address_line_2": "1 Example Street", "postcode": "SW1A 1AA"}


def qr_template(sandbox: Sandbox) -> str:
    template: dict[str, Any] = admin(
        sandbox.url,
        "POST",
        f"/services/{sandbox.service_id}/templates",
        {
            "name": "qr letter",
            "template_type": "letter",
            "subject": "Your appointment",
            "content": "Dear ((name)),\n\nScan the code to confirm:\n\nqr: ((link))",
        },
    )
    return str(template["id"])


def test_a_letter_whose_qr_code_is_too_long_is_refused_with_its_size(sandbox: Sandbox) -> None:
    template_id = qr_template(sandbox)
    link = "https://www.example.gov.uk/confirm?ref=" + "x" * 500
    personalisation = {**ADDRESS, "name": "Ada", "link": link}
    refused = sandbox.post(
        "/v2/notifications/letter", {"template_id": template_id, "personalisation": personalisation}
    )
    expected = {
        "status_code": 400,
        "errors": [
            {
                "error": "ValidationError",
                "message": "Cannot create a usable QR code - the link is too long",
                "data": link,
                "num_bytes": len(link),
                "max_bytes": 504,
            }
        ],
    }
    assert refused.status_code == 400
    assert refused.json() == expected
    preview = sandbox.post(f"/v2/template/{template_id}/preview", {"personalisation": personalisation})
    assert (preview.status_code, preview.json()) == (400, expected)


def test_a_letter_whose_qr_code_fits_is_accepted(sandbox: Sandbox) -> None:
    template_id = qr_template(sandbox)
    link = "https://www.example.gov.uk/confirm?ref=" + "x" * (504 - 39)
    assert len(link.encode()) == 504
    sent = sandbox.post(
        "/v2/notifications/letter",
        {"template_id": template_id, "personalisation": {**ADDRESS, "name": "Ada", "link": link}},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["content"]["body"].endswith(f"qr: {link}")
