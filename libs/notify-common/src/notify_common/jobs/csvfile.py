"""Reading a recipients CSV as a stream: its headings, and its rows one at a time.

The same reader serves the validation at upload and the job-splitter, so both number rows the same
way. Headings are matched as Notify matches them: ignoring case, spaces, ``_`` and ``-``. Rows whose
cells are all blank are skipped and not counted (spreadsheets leave them behind). Each row has two
numbers: ``index``, 0-based among the rows that are sent (Notify's ``job_row_number``), and
``line``, the row as a spreadsheet shows it (the heading row is row 1), for error messages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from notify_common.events import Channel
from notify_common.templates import normalise_placeholder

# Cells can hold whole letters; the csv module's default limit (128 KiB) is below a 2 MB email.
csv.field_size_limit(4 * 1024 * 1024)

PHONE_COLUMN = "phone number"
EMAIL_COLUMN = "email address"
REFERENCE_COLUMN = "reference"
# Which of the template's languages a row is sent in (blank: the template's default).
LANGUAGE_COLUMN = "language"
ADDRESS_COLUMNS = (*(f"address line {n}" for n in range(1, 8)), "postcode")

RECIPIENT_COLUMNS: dict[Channel, tuple[str, ...]] = {
    Channel.SMS: (PHONE_COLUMN,),
    Channel.EMAIL: (EMAIL_COLUMN,),
    Channel.LETTER: ADDRESS_COLUMNS,
}


def heading_key(heading: str) -> str:
    """The form headings are compared in (``Phone_Number`` and ``phone number`` are one column)."""
    return normalise_placeholder(heading.strip())


class CsvFormatError(ValueError):
    """A file that cannot be read as CSV at all; ``message`` says why, for people."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class CsvRow:
    index: int  # 0-based among the rows sent: the notification's job_row_number
    line: int  # as a spreadsheet numbers it, headings being row 1
    cells: Mapping[str, str | None]  # heading as written -> value; blank cells are None


class RecipientsCsv:
    """A CSV opened for reading: ``headings`` at once, then ``rows()`` streamed, once."""

    def __init__(self, text: Iterator[str], wrapper: io.TextIOWrapper | None = None) -> None:
        self._wrapper = wrapper
        self._reader = csv.reader(_refusing_nul(text), strict=False)
        self._record = 0
        try:
            first = next(self._reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _format_error(exc) from None
        self._record = 1
        if first is None or not any(cell.strip() for cell in first):
            raise CsvFormatError("Your file is empty")
        self.headings: tuple[str, ...] = tuple(cell.strip() for cell in first)
        self.keys: dict[str, list[str]] = {}
        for heading in self.headings:
            if heading:
                self.keys.setdefault(heading_key(heading), []).append(heading)

    @classmethod
    def from_binary(cls, stream: BinaryIO) -> RecipientsCsv:
        """Read UTF-8 bytes (a byte-order mark, as Excel writes, is dropped)."""
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", errors="strict")
        try:
            return cls(iter(text), text)
        except CsvFormatError:
            text.detach()
            raise

    def release(self) -> None:
        """Let go of the binary stream without closing it (a text wrapper would close it)."""
        if self._wrapper is not None:
            self._wrapper.detach()
            self._wrapper = None

    @classmethod
    def from_text(cls, text: str) -> RecipientsCsv:
        return cls(iter(io.StringIO(text, newline="")))

    def has(self, key: str) -> bool:
        return key in self.keys

    def heading_for(self, key: str) -> str | None:
        """The heading (as written) of the first column whose ``heading_key`` is ``key``."""
        found = self.keys.get(key)
        return found[0] if found else None

    def rows(self) -> Iterator[CsvRow]:
        index = 0
        try:
            for record in self._reader:
                self._record += 1
                if not any(cell.strip() for cell in record):
                    continue
                cells: dict[str, str | None] = {}
                for position, heading in enumerate(self.headings):
                    if not heading:
                        continue
                    value = record[position].strip() if position < len(record) else ""
                    cells[heading] = value or None
                yield CsvRow(index=index, line=self._record, cells=cells)
                index += 1
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _format_error(exc) from None


NUL_IN_FILE = "Your file contains NUL characters: save it again as a CSV in UTF-8 encoding"


def _refusing_nul(lines: Iterator[str]) -> Iterator[str]:
    """The lines, refusing the file at a NUL: no stored text can hold one (PostgreSQL's cannot)."""
    for line in lines:
        if "\x00" in line:
            raise CsvFormatError(NUL_IN_FILE)
        yield line


def _format_error(exc: Exception) -> CsvFormatError:
    if isinstance(exc, UnicodeDecodeError):
        return CsvFormatError("Your file must be saved as a CSV in UTF-8 encoding")
    return CsvFormatError("Your file could not be read as a CSV: check it is saved as comma-separated values")
