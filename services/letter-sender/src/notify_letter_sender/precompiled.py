"""Checks on precompiled letters before they are printed (pure). A letter that fails is
validation-failed with Notify's reason words; one that passes is printed as it is."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PdfReadError

MAX_BYTES = 2 * 1024 * 1024
MAX_PAGES = 10
A4_POINTS = (595.28, 841.89)
TOLERANCE_POINTS = 3.0


class InvalidLetterError(ValueError):
    """Why the letter cannot be printed, in Notify's words (e.g. ``letter-too-long``)."""


@dataclass(frozen=True)
class CheckedPdf:
    pages: int

    @property
    def sheets(self) -> int:
        return (self.pages + 1) // 2


def check_precompiled(data: bytes) -> CheckedPdf:
    if len(data) > MAX_BYTES:
        raise InvalidLetterError("letter-too-big")
    if not data.lstrip()[:5] == b"%PDF-":
        raise InvalidLetterError("not-a-pdf")
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = len(reader.pages)
        sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise InvalidLetterError("not-a-pdf") from exc
    if pages == 0:
        raise InvalidLetterError("not-a-pdf")
    if pages > MAX_PAGES:
        raise InvalidLetterError("letter-too-long")
    for width, height in sizes:
        if abs(width - A4_POINTS[0]) > TOLERANCE_POINTS or abs(height - A4_POINTS[1]) > TOLERANCE_POINTS:
            raise InvalidLetterError("not-a4-size-paper")
    return CheckedPdf(pages)
