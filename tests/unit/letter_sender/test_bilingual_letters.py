"""Welsh and bilingual letters as the letter-sender prints them: the Welsh part first with the date
and page labels in Welsh, then the English part from a new page with its own."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from notify_letter_sender.pdf import FONT_DIR, LetterContent, render_letter

ADDRESS = ("Ann Jones", "1 Heol y Frenhines", "Caerdydd", "CF10 1AA")
DAY = date(2026, 12, 5)


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def bilingual(
    welsh_body: str = "Annwyl Ann,\n\nDyma eich trwydded.", body: str = "Dear Ann"
) -> LetterContent:
    return LetterContent(
        ADDRESS,
        "Your licence",
        body,
        letter_date=DAY,
        welsh_heading="Eich trwydded",
        welsh_body=welsh_body,
    )


def test_the_welsh_part_comes_first_with_the_welsh_date_and_the_english_starts_a_new_page() -> None:
    rendered = render_letter(bilingual())
    welsh, english = pages_text(rendered.data)
    assert rendered.pages == 2
    assert "5 Rhagfyr 2026" in welsh
    assert "Eich trwydded" in welsh
    assert "Dyma eich trwydded." in welsh
    assert "Tudalen 1 o 1" in welsh
    assert "Dear Ann" not in welsh
    assert "5 December 2026" in english
    assert "Your licence" in english
    assert "Page 1 of 1" in english
    assert "Rhagfyr" not in english


def test_each_part_is_numbered_on_its_own() -> None:
    long_welsh = "\n\n".join(f"Paragraff {n} o'r llythyr." for n in range(80))
    rendered = render_letter(bilingual(welsh_body=long_welsh))
    texts = pages_text(rendered.data)
    welsh_pages = [t for t in texts if "Tudalen" in t]
    assert len(welsh_pages) >= 2
    assert f"Tudalen 1 o {len(welsh_pages)}" in texts[0]
    assert f"Tudalen {len(welsh_pages)} o {len(welsh_pages)}" in texts[len(welsh_pages) - 1]
    assert texts[len(welsh_pages) :] == [t for t in texts if "Page" in t]
    assert "Page 1 of 1" in texts[-1]
    assert rendered.pages == len(welsh_pages) + 1


def test_an_english_letter_is_unchanged_by_welsh_words() -> None:
    rendered = render_letter(LetterContent(ADDRESS, "Your licence", "Dear Ann", letter_date=DAY))
    [page] = pages_text(rendered.data)
    assert "5 December 2026" in page
    assert "Page 1 of 1" in page
    assert "Tudalen" not in page


def test_welsh_letters_are_printed_in_a_font_with_welsh_characters() -> None:
    assert (FONT_DIR / "DejaVuSans.ttf").exists()  # deploy/local/install.sh and the image install it
    rendered = render_letter(bilingual(welsh_body="Ŵyr ŷd â ŵy"))
    assert "Ŵyr ŷd â ŵy" in pages_text(rendered.data)[0]
