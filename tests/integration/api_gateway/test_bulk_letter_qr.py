"""POST /v2/notifications/bulk with a letter template holding a QR code: a row whose personalised
QR data is over 504 bytes refuses the job at upload with "Row N: …", as every other bad row does;
rows that fit become a job."""

from __future__ import annotations

from tests.integration.api_gateway.harness import Sandbox
from tests.integration.api_gateway.test_letter_qr_codes import qr_template

HEADINGS = ["address_line_1", "address_line_2", "postcode", "name", "link"]
ADDRESS = ["Ada Lovelace", "1 Example Street", "SW1A 1AA"]
START = "https://www.example.gov.uk/confirm?ref="


def test_a_letter_row_with_a_qr_code_over_504_bytes_refuses_the_bulk_job(sandbox: Sandbox) -> None:
    template_id = qr_template(sandbox)
    rows = [
        HEADINGS,
        [*ADDRESS, "Ada", START + "x" * (504 - len(START))],  # row 2: exactly 504 bytes
        [*ADDRESS, "Bo", START + "x" * 600],  # row 3
        [*ADDRESS, "Cy", START + "y"],  # row 4
        [*ADDRESS, "Di", START + "é" * 300],  # row 5: 300 characters, 600 bytes
    ]
    response = sandbox.post(
        "/v2/notifications/bulk", {"template_id": template_id, "name": "qr.csv", "rows": rows}
    )
    assert response.status_code == 400, response.text
    assert response.json() == {
        "status_code": 400,
        "errors": [
            {
                "error": "ValidationError",
                "message": "Row 3: Cannot create a usable QR code - the link is too long",
            },
            {
                "error": "ValidationError",
                "message": "Row 5: Cannot create a usable QR code - the link is too long",
            },
        ],
    }


def test_letter_rows_whose_qr_codes_fit_become_a_job(sandbox: Sandbox) -> None:
    template_id = qr_template(sandbox)
    rows = [HEADINGS, [*ADDRESS, "Ada", START + "x" * (504 - len(START))], [*ADDRESS, "Bo", START + "1"]]
    response = sandbox.post(
        "/v2/notifications/bulk", {"template_id": template_id, "name": "qr.csv", "rows": rows}
    )
    assert response.status_code == 201, response.text
    job = response.json()["data"]
    assert (job["notification_count"], job["template"]) == (2, template_id)
