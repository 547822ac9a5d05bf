"""Templated letters rendered to A4 PDF with fpdf2 (pure: text in, bytes out).

Layout, after the window-envelope letters Notify prints: the contact block top right, the address
block where the envelope window is (24 mm from the left, 50 mm from the top), the date, the heading,
then the body, with "Page n of m" on every page. The body is the letter Markdown subset: "#"
headings, "*"/"-"/"•" bullets, "---" rules and paragraphs; each newline is a line break. A paragraph
``qr: <data>`` is a QR code of the data (segno, error correction M as Notify prints them), embedded
as a one-pixel-per-module image scaled up without interpolation, so its modules print sharp. Data
over the API's limit (504 bytes) is refused here too (``QrCodeTooLongError``), for letters that did
not come through the API's checks.

The service's letter branding logo (``logo``: PNG, JPEG or SVG bytes) is printed top left of the
first page, as large as fits a 70 by 18 mm box, where Notify prints it.

A bilingual letter (a template in ``welsh_then_english``) prints its Welsh part first, as Notify
does: the same first-page layout with the date in Welsh ("5 Rhagfyr 2026") and "Tudalen n o m" at
the foot of its pages, then the English part from a new page, with its own first page and "Page n of
m". Each part is numbered on its own, as if it were a letter by itself.

DejaVu Sans is used when installed (it covers Welsh and other non-Latin-1 text); otherwise the
built-in Helvetica, with characters it cannot show replaced by "?".
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.image_parsing import preload_image

from notify_common.templates.languages import english_date, page_label, welsh_date
from notify_common.templates.qr import QR_CODE_ERROR_CORRECTION, QR_CODE_MAX_BYTES, qr_code_data

MAX_PAGES = 10
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_BULLET = re.compile(r"^\s*[*\-•]\s+")
QR_QUIET_ZONE = 4  # modules of white round the code, as the standard asks
QR_MODULE_MM = 0.5
QR_MIN_MM, QR_MAX_MM = 30.0, 60.0
LOGO_BOX_MM = (15.0, 10.0, 70.0, 18.0)  # left, top, width, height


class QrCodeTooLongError(ValueError):
    """A QR code paragraph whose data is over the limit: the code would not scan once printed."""


@dataclass(frozen=True)
class LetterContent:
    address_lines: tuple[str, ...]
    heading: str
    body: str
    contact_block: str | None = None
    letter_date: date | None = None
    logo: bytes | None = None
    # A bilingual letter's Welsh part, printed first; None for a letter in English only.
    welsh_heading: str | None = None
    welsh_body: str | None = None


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int

    @property
    def sheets(self) -> int:
        """Printed double-sided: what a letter is billed by."""
        return (self.pages + 1) // 2


@dataclass(frozen=True)
class _Part:
    """Pages ``first`` to ``first + pages - 1`` of a bilingual letter, numbered on their own."""

    first: int
    pages: int
    welsh: bool


class _Letter(FPDF):
    font_name = "Helvetica"
    parts: tuple[_Part, ...] = ()  # set for a bilingual letter

    def block(self, width: float, height: float, text: str, align: str = "L") -> None:
        """A paragraph; the next one starts at the left margin below it."""
        self.multi_cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.font_name, size=9)
        page = self.page_no()
        part = next((p for p in self.parts if p.first <= page < p.first + p.pages), None)
        if part is None:
            self.cell(0, 10, f"Page {page} of {{nb}}", align="C")
        else:
            self.cell(0, 10, page_label(page - part.first + 1, part.pages, welsh=part.welsh), align="C")


def _document() -> _Letter:
    pdf = _Letter(format="A4", unit="mm")
    if (FONT_DIR / "DejaVuSans.ttf").exists():
        pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdf.font_name = "DejaVu"
    pdf.set_margins(left=24, top=20, right=20)
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.alias_nb_pages()
    pdf.set_title("Letter")
    pdf.set_creator("notify letter-sender")
    return pdf


def _text(pdf: _Letter, value: str) -> str:
    if pdf.font_name == "Helvetica":
        return value.encode("latin-1", "replace").decode("latin-1")
    return value


def render_letter(content: LetterContent) -> RenderedPdf:
    if content.welsh_body is None:
        pdf = _document()
        _part(pdf, content, content.heading, content.body, welsh=False)
        return RenderedPdf(bytes(pdf.output()), pdf.page_no())
    # Each part's page count is needed on its first page's foot: each is laid out once alone.
    welsh_heading = content.welsh_heading or ""
    welsh_pages = _pages_of(content, welsh_heading, content.welsh_body, welsh=True)
    english_pages = _pages_of(content, content.heading, content.body, welsh=False)
    pdf = _document()
    pdf.parts = (_Part(1, welsh_pages, True), _Part(welsh_pages + 1, english_pages, False))
    _part(pdf, content, welsh_heading, content.welsh_body, welsh=True)
    _part(pdf, content, content.heading, content.body, welsh=False)
    return RenderedPdf(bytes(pdf.output()), pdf.page_no())


def _pages_of(content: LetterContent, heading: str, body: str, *, welsh: bool) -> int:
    pdf = _document()
    _part(pdf, content, heading, body, welsh=welsh)
    return pdf.page_no()


def _part(pdf: _Letter, content: LetterContent, heading: str, body: str, *, welsh: bool) -> None:
    """One letter from a new page: contact block, address, date, heading and body."""
    pdf.add_page()
    font = pdf.font_name
    if content.logo:
        _logo(pdf, content.logo)
    if content.contact_block:
        pdf.set_font(font, size=10)
        pdf.set_xy(125, 20)
        pdf.block(65, 5, _text(pdf, content.contact_block.strip()), align="R")
    pdf.set_font(font, size=11)
    pdf.set_xy(24, 50)
    pdf.block(90, 5, _text(pdf, "\n".join(content.address_lines)))
    pdf.set_xy(125, 90)
    when = content.letter_date or date.today()
    pdf.cell(65, 5, welsh_date(when) if welsh else english_date(when), align="R")
    pdf.set_xy(24, 105)
    pdf.set_font(font, "B", size=14)
    pdf.block(0, 7, _text(pdf, heading))
    pdf.ln(4)
    _body(pdf, body)


def _body(pdf: _Letter, body: str) -> None:
    font = pdf.font_name
    for block in re.split(r"\n\s*\n", body.strip()):
        data = qr_code_data(block)
        if data is not None:
            _qr_code(pdf, data)
            continue
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("#"):
            pdf.set_font(font, "B", size=12)
            pdf.block(0, 6, _text(pdf, lines[0].lstrip("#").strip()))
            lines = lines[1:]
        pdf.set_font(font, size=11)
        for line in lines:
            if re.fullmatch(r"-{3,}", line.strip()):
                y = pdf.get_y() + 2
                pdf.line(24, y, 190, y)
                pdf.ln(4)
            elif _BULLET.match(line):
                pdf.set_x(28)
                pdf.block(
                    0,
                    5.5,
                    _text(pdf, "•  " if font != "Helvetica" else "-  ") + _text(pdf, _BULLET.sub("", line)),
                )
            else:
                pdf.block(0, 5.5, _text(pdf, line))
        pdf.ln(3)


def _qr_code(pdf: _Letter, data: str) -> None:
    if len(data.encode("utf-8")) > QR_CODE_MAX_BYTES:
        raise QrCodeTooLongError("qr-code-too-long")
    code = segno.make(data, error=QR_CODE_ERROR_CORRECTION.lower(), micro=False)
    image = io.BytesIO()
    code.save(image, kind="png", scale=1, border=QR_QUIET_ZONE)
    modules, _ = code.symbol_size(scale=1, border=QR_QUIET_ZONE)
    size = min(max(modules * QR_MODULE_MM, QR_MIN_MM), QR_MAX_MM)
    if pdf.get_y() + size > pdf.page_break_trigger:
        pdf.add_page()
    y = pdf.get_y()
    pdf.image(image, x=pdf.l_margin, y=y, w=size, h=size)
    pdf.set_y(y + size)
    pdf.ln(3)


def _logo(pdf: _Letter, logo: bytes) -> None:
    """The logo, its proportions kept, as large as fits the box, at the box's top left."""
    left, top, width, height = LOGO_BOX_MM
    _, _, info = preload_image(pdf.image_cache, io.BytesIO(logo))
    scale = min(width / float(info.width), height / float(info.height))
    pdf.image(io.BytesIO(logo), x=left, y=top, w=float(info.width) * scale, h=float(info.height) * scale)
