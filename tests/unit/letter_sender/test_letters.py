"""Letters as PDF: what the renderer lays out and the checks precompiled letters must pass."""

from __future__ import annotations

import io
from datetime import date

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from notify_letter_sender.pdf import FONT_DIR, LetterContent, render_letter
from notify_letter_sender.precompiled import InvalidLetterError, check_precompiled
from notify_letter_sender.responses import response_event

ADDRESS = ("Ada Lovelace", "1 Example Street", "London", "SW1A 1AA")


def text_of(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_a_letter_has_its_contact_block_address_date_heading_body_and_page_numbers() -> None:
    rendered = render_letter(
        LetterContent(
            address_lines=ADDRESS,
            heading="Your appointment",
            body="# What to bring\n\nDear Ada,\nPlease arrive early.\n\n* your letter\n* photo ID",
            contact_block="Example Service\n1 Road\nLondon",
            letter_date=date(2026, 11, 22),
        )
    )
    [page] = text_of(rendered.data)
    for expected in (
        "Example Service",
        "Ada Lovelace",
        "SW1A 1AA",
        "22 November 2026",
        "Your appointment",
        "What to bring",
        "photo ID",
        "Page 1 of 1",
    ):
        assert expected in page
    assert (rendered.pages, rendered.sheets) == (1, 1)


def test_a_long_letter_runs_over_pages_and_is_billed_by_sheets() -> None:
    body = "\n\n".join(["A paragraph that goes on for a while. " * 12] * 30)
    rendered = render_letter(LetterContent(ADDRESS, "Long", body))
    pages = text_of(rendered.data)
    assert rendered.pages == len(pages) >= 3
    assert f"Page 3 of {rendered.pages}" in pages[2]
    assert rendered.sheets == (rendered.pages + 1) // 2


def test_welsh_text_survives_rendering_with_dejavu_installed_and_is_marked_without_it() -> None:
    rendered = render_letter(LetterContent(ADDRESS, "Eich apwyntiad", "Diolch yn fawr, ŵyr a ŷd."))
    dejavu = (FONT_DIR / "DejaVuSans.ttf").exists()
    assert ("ŵyr" if dejavu else "?yr") in text_of(rendered.data)[0]


def pdf(pages: int, page_format: str = "A4") -> bytes:
    document = FPDF(format=page_format)
    for _ in range(pages):
        document.add_page()
    return bytes(document.output())


def test_a_precompiled_a4_letter_of_up_to_ten_pages_passes() -> None:
    assert check_precompiled(pdf(10)).pages == 10
    assert check_precompiled(pdf(3)).sheets == 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GIF89a not a pdf", "not-a-pdf"),
        (b"%PDF-1.7\nnothing else", "not-a-pdf"),
        (pdf(11), "letter-too-long"),
        (pdf(1, "Letter"), "not-a4-size-paper"),
        (b"%PDF-" + b" " * (2 * 1024 * 1024), "letter-too-big"),
    ],
)
def test_a_precompiled_letter_that_cannot_be_printed_is_refused_with_notifys_reason(
    data: bytes, reason: str
) -> None:
    with pytest.raises(InvalidLetterError, match=reason):
        check_precompiled(data)


def test_the_printers_answers_map_to_delivered_and_technical_failure() -> None:
    despatched = response_event({"notification_id": "n-1", "status": "DESPATCHED"})
    rejected = response_event({"notification_id": "n-2", "status": "REJECTED"})
    assert type(despatched).__name__ == "NotificationDelivered"
    assert type(rejected).__name__ == "NotificationFailed"
    assert getattr(rejected, "failure_kind", None) == "technical_failure"
    assert response_event({"status": "DESPATCHED"}) is None
