"""Letters with QR codes: which paragraphs are QR codes, Notify's 504-byte limit, and the refusal."""

from __future__ import annotations

import pytest

from notify_api_gateway.sending import prepare_letter
from notify_common.api_errors import ApiError
from notify_common.templates import QR_CODE_MAX_BYTES, first_qr_code_too_long, qr_code_data
from tests.unit.api_gateway.test_sending_rules import caller, ctx, refusal, template

ADDRESS = {"address_line_1": "Ada Lovelace", "address_line_2": "1 Road", "postcode": "SW1A 1AA"}


@pytest.mark.parametrize(
    ("paragraph", "data"),
    [
        ("qr: https://example.org/a?b=c", "https://example.org/a?b=c"),
        ("QR:https://example.org", "https://example.org"),
        ("  qr :   some text with spaces  ", "some text with spaces"),
        ("Qr\t:\tx", "x"),
        ("qr:", None),
        ("qr: ", None),
        ("see qr: https://example.org", None),
        ("qr: line one\nline two", None),
        ("query: https://example.org", None),
    ],
)
def test_a_qr_code_is_a_paragraph_of_its_own_starting_qr_colon(paragraph: str, data: str | None) -> None:
    assert qr_code_data(paragraph) == data


def test_the_limit_is_504_bytes_of_utf8() -> None:
    assert QR_CODE_MAX_BYTES == 504
    assert first_qr_code_too_long("Dear Ada\n\nqr: " + "a" * 504) is None
    over = first_qr_code_too_long("Dear Ada\n\nqr: " + "a" * 505 + "\n\nBye")
    assert over is not None
    assert (over.num_bytes, over.max_bytes) == (505, 504)
    # counted in bytes: 252 two-byte characters are 504 bytes, one more is over
    assert first_qr_code_too_long("qr: " + "é" * 252) is None
    assert first_qr_code_too_long("qr: " + "é" * 253) is not None
    # a long line that is not a QR code is just text
    assert first_qr_code_too_long("the qr: " + "a" * 600) is None


def test_a_letter_whose_qr_code_is_too_long_once_personalised_is_refused_with_the_data() -> None:
    t = template("letter", content="Scan this\n\nqr: ((link))", subject="Hello")
    data = "too much data " * 50
    body = {"template_id": t.id, "personalisation": {**ADDRESS, "link": data}}
    with pytest.raises(ApiError) as caught:
        prepare_letter(caller(), t, body, ctx())
    assert caught.value.body() == {
        "status_code": 400,
        "errors": [
            {
                "error": "ValidationError",
                "message": "Cannot create a usable QR code - the link is too long",
                "data": data.strip(),
                "num_bytes": 699,
                "max_bytes": 504,
            }
        ],
    }


def test_a_letter_with_a_qr_code_that_fits_is_prepared_with_it_in_the_body() -> None:
    t = template("letter", content="Scan this\n\nqr: ((link))", subject="Hello")
    body = {"template_id": t.id, "personalisation": {**ADDRESS, "link": "https://example.org/x"}}
    send = prepare_letter(caller(), t, body, ctx())
    assert "qr: https://example.org/x" in send.response["content"]["body"]


def test_missing_personalisation_is_reported_before_the_qr_code_is_measured() -> None:
    t = template("letter", content="qr: ((link))((other))", subject="Hello")
    body = {"template_id": t.id, "personalisation": {**ADDRESS, "link": "x" * 600}}
    assert refusal(lambda: prepare_letter(caller(), t, body, ctx())) == (
        400,
        "BadRequestError",
        "Missing personalisation: other",
    )
