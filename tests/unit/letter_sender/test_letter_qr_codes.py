"""QR codes in rendered letters: a ``qr:`` paragraph becomes an image of exactly that code."""

from __future__ import annotations

import io
from typing import Any

import pytest
import segno
from pypdf import PdfReader

from notify_letter_sender.pdf import LetterContent, QrCodeTooLongError, render_letter

ADDRESS = ("Ada Lovelace", "1 Example Street", "London", "SW1A 1AA")
LINK = "https://www.example.gov.uk/appointments/confirm?ref=ABC123"


def images_of(data: bytes) -> list[list[Any]]:  # pypdf ImageFile objects
    return [list(page.images) for page in PdfReader(io.BytesIO(data)).pages]


def test_a_qr_paragraph_is_drawn_as_an_image_of_that_code_and_not_as_text() -> None:
    rendered = render_letter(
        LetterContent(ADDRESS, "Your appointment", f"Scan this:\n\nqr: {LINK}\n\nThanks")
    )
    page = PdfReader(io.BytesIO(rendered.data)).pages[0]
    [image] = page.images
    text = page.extract_text()
    assert "Scan this:" in text
    assert "Thanks" in text
    assert LINK not in text
    assert "qr:" not in text
    # the embedded pixels are the code's modules, quiet zone included, one pixel each
    expected = segno.make(LINK, error="m", micro=False)
    size = int(expected.symbol_size(scale=1, border=4)[0])
    assert image.image is not None
    pixels = image.image.convert("1")
    assert pixels.size == (size, size)
    drawn = [[pixels.getpixel((x, y)) == 0 for x in range(size)] for y in range(size)]
    modules = [[False] * size for _ in range(size)]
    for y, row in enumerate(expected.matrix):
        for x, dark in enumerate(row):
            modules[y + 4][x + 4] = bool(dark)
    assert drawn == modules


def test_a_letter_without_a_qr_paragraph_has_no_image() -> None:
    rendered = render_letter(LetterContent(ADDRESS, "Hello", f"Visit {LINK}\n\nthe qr: is not at the start"))
    assert images_of(rendered.data) == [[]]


def test_a_qr_code_that_does_not_fit_at_the_foot_of_a_page_starts_the_next() -> None:
    # 17 one-line paragraphs end about 25 mm above the footer: too little room for a code
    filler = "\n\n".join(f"Line {n} of text." for n in range(17))
    rendered = render_letter(LetterContent(ADDRESS, "Long", f"{filler}\n\nqr: {LINK}"))
    assert [len(images) for images in images_of(rendered.data)] == [0, 1]
    pages = PdfReader(io.BytesIO(rendered.data)).pages
    assert "Line 16 of text." in pages[0].extract_text()
    assert pages[1].extract_text().strip() == "Page 2 of 2"


def test_the_longest_code_the_api_allows_is_drawn() -> None:
    data = "https://example.org/?" + "x" * (504 - len("https://example.org/?"))
    rendered = render_letter(LetterContent(ADDRESS, "Hello", f"qr: {data}"))
    [[image]] = images_of(rendered.data)
    assert image.image is not None
    assert image.image.size == segno.make(data, error="m", micro=False).symbol_size(scale=1, border=4)


def test_a_code_over_the_apis_limit_is_refused_rather_than_printed_unreadable() -> None:
    with pytest.raises(QrCodeTooLongError, match="qr-code-too-long"):
        render_letter(LetterContent(ADDRESS, "Hello", "qr: " + "x" * 505))
