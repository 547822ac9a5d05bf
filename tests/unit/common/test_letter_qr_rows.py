"""A letter row whose personalised QR code holds more than 504 bytes is refused at upload, as a
single send of it is, and the job-splitter skips it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from notify_common.events import Channel, LetterRequested
from notify_common.jobs import CsvReport, JobTemplate, SendingService, validate_csv
from notify_common.jobs.csvfile import RecipientsCsv
from notify_common.jobs.rows import RowInvalid, RowRenderer
from notify_common.templates.qr import QR_CODE_MAX_BYTES, first_qr_code_too_long

SERVICE = SendingService(id="5a1e0a8e-0000-4000-8000-000000000002", name="Tax office")
QR_LETTER = JobTemplate(
    id="t-qr",
    version=2,
    channel=Channel.LETTER,
    subject="Your appointment",
    content="Dear ((name)),\n\nScan the code to confirm:\n\nQR: ((link))",
)
PLAIN_LETTER = JobTemplate(
    id="t-plain", version=1, channel=Channel.LETTER, subject="Hi", content="Dear ((name))\n\n((note))"
)
HEADINGS = ["address line 1", "address line 2", "postcode", "name", "link"]
ADDRESS = ["Ada Lovelace", "1 Example Street", "SW1A 1AA"]
TOO_LONG = "Cannot create a usable QR code - the link is too long"


def link_of(size: int, filler: str = "x") -> str:
    """A link of exactly ``size`` bytes of UTF-8 (``filler`` one or two bytes)."""
    start = "https://www.example.gov.uk/confirm?ref="
    width = len(filler.encode())
    assert (size - len(start)) % width == 0
    return start + filler * ((size - len(start)) // width)


def csv_bytes(rows: list[list[str]], headings: list[str] = HEADINGS) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([headings, *rows])
    return out.getvalue().encode()


def check(data: bytes, template: JobTemplate = QR_LETTER) -> CsvReport:
    return validate_csv(io.BytesIO(data), service=SERVICE, template=template, size_bytes=len(data))


def test_a_row_whose_qr_code_is_over_504_bytes_is_refused_with_notifys_words() -> None:
    report = check(
        csv_bytes(
            [
                [*ADDRESS, "Ada", link_of(QR_CODE_MAX_BYTES)],  # row 2: exactly the limit
                [*ADDRESS, "Bo", link_of(QR_CODE_MAX_BYTES + 1)],  # row 3: one byte over
                [*ADDRESS, "Cy", "https://www.example.gov.uk/short"],  # row 4
            ]
        )
    )
    assert not report.valid
    assert report.invalid_rows == 1
    assert [(e.row, e.messages) for e in report.row_errors] == [(3, (TOO_LONG,))]
    assert report.messages() == [f"Row 3: {TOO_LONG}"]


def test_bytes_not_characters_are_counted() -> None:
    fits = link_of(QR_CODE_MAX_BYTES)
    two_byte = link_of(QR_CODE_MAX_BYTES + 1, "é")  # fewer than 504 characters, over 504 bytes
    assert len(two_byte) < QR_CODE_MAX_BYTES < len(two_byte.encode())
    report = check(csv_bytes([[*ADDRESS, "Ada", fits], [*ADDRESS, "Bo", two_byte]]))
    assert [(e.row, e.messages) for e in report.row_errors] == [(3, (TOO_LONG,))]


def test_a_bad_address_and_a_long_qr_code_are_both_reported() -> None:
    report = check(csv_bytes([["Ada Lovelace", "1 Example Street", "NOT A POSTCODE", "Ada", link_of(600)]]))
    assert [(e.row, e.messages) for e in report.row_errors] == [(2, ("Must be a real UK postcode", TOO_LONG))]


def test_a_missing_link_is_reported_as_missing_not_measured() -> None:
    report = check(csv_bytes([[*ADDRESS, "Ada", ""]]))
    assert [(e.row, e.messages) for e in report.row_errors] == [(2, ("Missing link",))]


def test_a_qr_code_paragraph_written_in_a_cell_is_measured_too() -> None:
    # The letter-sender prints any "qr:" paragraph of the personalised body, wherever it came from.
    headings = ["address line 1", "address line 2", "postcode", "name", "note"]
    long_note = f"Or scan this:\n\nqr: {link_of(700)}"
    short_note = f"Or scan this:\n\nqr: {link_of(100)}"
    report = check(
        csv_bytes([[*ADDRESS, "Ada", short_note], [*ADDRESS, "Bo", long_note]], headings),
        template=PLAIN_LETTER,
    )
    assert [(e.row, e.messages) for e in report.row_errors] == [(3, (TOO_LONG,))]


def test_the_splitter_renders_a_fitting_row_and_refuses_a_long_one() -> None:
    data = csv_bytes([[*ADDRESS, "Ada", link_of(QR_CODE_MAX_BYTES)], [*ADDRESS, "Bo", link_of(505)]])
    table = RecipientsCsv.from_binary(io.BytesIO(data))
    try:
        renderer = RowRenderer(SERVICE, QR_LETTER, "normal", table)
        fitting, long = list(table.rows())
        event = renderer.event(fitting, job_id="job-1", created_at=datetime.now(UTC))
        assert isinstance(event, LetterRequested)
        assert event.body.endswith(f"QR: {link_of(QR_CODE_MAX_BYTES)}")
        with pytest.raises(RowInvalid) as refused:
            renderer.event(long, job_id="job-1", created_at=datetime.now(UTC))
        assert refused.value.messages == [TOO_LONG]
    finally:
        table.release()


@pytest.mark.parametrize(
    "body",
    [
        "Dear Ada",
        "Dear Ada\n\nSee qr: in the leaflet " + "x" * 600,  # "qr:" mid-paragraph is text
        "qr: " + "x" * 504,
    ],
)
def test_bodies_without_a_qr_code_over_the_limit_pass(body: str) -> None:
    assert first_qr_code_too_long(body) is None


@pytest.mark.parametrize(
    "body",
    [
        "qr: " + "x" * 505,
        "Dear Ada\n\n  Qr :\t" + "x" * 505,
        "Dear Ada\r\n\r\n\u00a0QR: " + "x" * 505 + "\n\nYours",
    ],
)
def test_every_way_of_writing_a_qr_paragraph_over_the_limit_is_caught(body: str) -> None:
    found = first_qr_code_too_long(body)
    assert found is not None
    assert (found.num_bytes, found.max_bytes) == (505, QR_CODE_MAX_BYTES)
