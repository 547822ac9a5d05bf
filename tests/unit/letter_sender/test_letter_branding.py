"""A letter's branding logo is printed top left of its first page, checked by drawing the PDF's
pages to images (pdfium): the logo's colours fill its box on page 1, its proportions kept, and
nothing is there without a logo or on the pages after. Page 1 is kept in docs/images."""

from __future__ import annotations

from datetime import date

import pypdfium2  # type: ignore[import-untyped]
import pytest
from PIL import Image

from notify_letter_sender.pdf import LOGO_BOX_MM, LetterContent, render_letter
from tests.support import env
from tests.support.logos import SVG_LOGO, image_logo

SCALE = 2.0  # pdfium draws 72 points per inch at 1.0
MM = 72 / 25.4 * SCALE  # pixels per millimetre
RED = (212, 53, 28)
NAVY = (11, 61, 145)  # the SVG logo's background


def letter(logo: bytes | None, body: str = "Your appointment is on Monday.") -> bytes:
    content = LetterContent(
        address_lines=("Ada Lovelace", "1 Example Street", "London", "SW1A 1AA"),
        heading="Your appointment",
        body=body,
        contact_block="Department of Examples\n1 Example Road",
        letter_date=date(2026, 12, 5),
        logo=logo,
    )
    return render_letter(content).data


def pages(pdf: bytes) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=SCALE).to_pil().convert("RGB") for page in document]
    finally:
        document.close()


def logo_box(page: Image.Image) -> Image.Image:
    left, top, width, height = LOGO_BOX_MM
    return page.crop((int(left * MM), int(top * MM), int((left + width) * MM), int((top + height) * MM)))


def share_of(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 12) -> float:
    pixels: list[tuple[int, int, int]] = list(image.convert("RGB").get_flattened_data())  # type: ignore[arg-type]
    near = [p for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True))]
    return len(near) / len(pixels)


def test_a_png_logo_is_drawn_in_the_box_top_left_of_page_1_with_its_proportions_kept() -> None:
    logo = image_logo("#d4351c", (300, 60))  # 5:1, so as wide as the box (70 mm) and 14 mm high

    [page] = pages(letter(logo))

    box = logo_box(page)
    assert share_of(box, RED) > 0.45  # the logo less its white middle, and the strip below it
    left, top, width, _ = LOGO_BOX_MM
    assert page.getpixel((int((left + 2) * MM), int((top + 2) * MM))) == pytest.approx(RED, abs=12)
    assert page.getpixel((int((left + width - 2) * MM), int((top + 2) * MM))) == pytest.approx(RED, abs=12)
    below_logo = (int((left + 2) * MM), int((top + 15) * MM))  # 14 mm high: below it is paper
    assert page.getpixel(below_logo) == (255, 255, 255)
    page.save(env.ROOT / "docs" / "images" / "letter-branding.png")


def test_an_svg_logo_is_drawn_as_high_as_the_box_from_its_top_left_corner() -> None:
    [page] = pages(letter(SVG_LOGO))  # 5:2, so 18 mm high and 45 mm wide

    box = logo_box(page)
    assert share_of(box, NAVY) > 0.4
    left, top, _, _ = LOGO_BOX_MM
    assert page.getpixel((int((left + 1) * MM), int((top + 1) * MM))) == pytest.approx(NAVY, abs=12)
    assert page.getpixel((int((left + 50) * MM), int((top + 9) * MM))) == (255, 255, 255)


def test_without_a_logo_the_box_is_blank_paper() -> None:
    [page] = pages(letter(None))

    assert share_of(logo_box(page), (255, 255, 255), tolerance=0) == 1.0


def test_the_logo_is_on_the_first_page_only() -> None:
    long_body = "\n\n".join(f"Paragraph {n} of a long letter." for n in range(80))

    first, *others = pages(letter(image_logo("#d4351c", (300, 60)), long_body))

    assert others
    assert share_of(logo_box(first), RED) > 0.45
    assert all(share_of(logo_box(p), RED) == 0 for p in others)
