"""QR codes in letters: a paragraph of the form ``qr: <data>`` is printed as a QR
code of that data. Notify refuses data over 504 bytes of UTF-8: beyond that, at the medium error
correction level letters use, the modules get too small to scan reliably once printed. The API
refuses such a letter; the letter-sender draws the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QR_CODE_MAX_BYTES = 504
QR_CODE_ERROR_CORRECTION = "M"
# The whole paragraph, on one line: "qr:", "QR :" and so on, then the data.
_QR_PARAGRAPH = re.compile(r"qr[ \t]*:[ \t]*(\S.*)", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Where a QR code paragraph could start: a paragraph starts after the last newline of a break (or
# at the start), so at a line start after whitespace other than newlines (no backtracking across
# lines: linear). Every body with a QR code paragraph matches, so a body that does not (almost every
# letter) is passed with one scan in C.
_MAY_START_QR = re.compile(r"^[^\S\n]*qr[ \t]*:", re.IGNORECASE | re.MULTILINE)
QR_CODE_TOO_LONG_MESSAGE = "Cannot create a usable QR code - the link is too long"


@dataclass(frozen=True)
class QrCodeTooLong:
    data: str
    num_bytes: int
    max_bytes: int = QR_CODE_MAX_BYTES


def qr_code_data(paragraph: str) -> str | None:
    """The data of a QR code paragraph, or None when the paragraph is not one."""
    match = _QR_PARAGRAPH.fullmatch(paragraph.strip())
    return match[1].strip() if match else None


def letter_paragraphs(body: str) -> list[str]:
    return _PARAGRAPH_BREAK.split(body.strip())


def first_qr_code_too_long(body: str) -> QrCodeTooLong | None:
    """The first QR code of a personalised letter body whose data is over the limit, if any."""
    if _MAY_START_QR.search(body) is None:
        return None
    for paragraph in letter_paragraphs(body):
        data = qr_code_data(paragraph)
        if data is not None and (size := len(data.encode("utf-8"))) > QR_CODE_MAX_BYTES:
            return QrCodeTooLong(data=data, num_bytes=size)
    return None
