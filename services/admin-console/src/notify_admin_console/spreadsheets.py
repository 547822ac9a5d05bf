"""Spreadsheets people upload, as the CSV the admin API checks: Notify takes CSV, TSV, Excel
(``.xlsx``, ``.xlsm``, ``.xls``) and OpenDocument (``.ods``) files. Excel and OpenDocument files are
read with python-calamine (the first sheet); a TSV is re-written with commas; a CSV passes through
untouched. Whatever cannot be read becomes a ``SpreadsheetError`` with a message for people.

Cells become text the way a person reads them in the sheet: whole numbers without ``.0`` (a phone
number typed as a number keeps its digits), dates as ``YYYY-MM-DD``, empty cells empty.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from python_calamine import CalamineWorkbook, SheetVisibleEnum

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
ACCEPTED = (".csv", ".tsv", *SPREADSHEETS)
ACCEPT_ATTRIBUTE = ",".join(ACCEPTED) + ",text/csv,text/tab-separated-values"
MAX_COLUMNS = 1000


class SpreadsheetError(ValueError):
    """A file that is not a spreadsheet the console can read; the message is for people."""


def extension(file_name: str) -> str:
    return PurePath(file_name).suffix.lower()


def to_csv(file_name: str, content: bytes) -> bytes:
    """The file as CSV (UTF-8), ready for the admin API's checks."""
    kind = extension(file_name)
    if kind == ".csv":
        return content
    if kind not in ACCEPTED:
        raise SpreadsheetError(
            f"‘{file_name}’ is not a spreadsheet that Notify can read. "
            "Save it as a CSV, TSV, Excel (.xlsx, .xls) or OpenDocument (.ods) file and upload it again"
        )
    rows = _tsv_rows(file_name, content) if kind == ".tsv" else _workbook_rows(file_name, content)
    return _write(rows)


def _tsv_rows(file_name: str, content: bytes) -> list[list[str]]:
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpreadsheetError(f"‘{file_name}’ must be saved as UTF-8 text") from None
    return [row for row in csv.reader(io.StringIO(decoded, newline=""), delimiter="\t")]


def _workbook_rows(file_name: str, content: bytes) -> list[list[str]]:
    # python-calamine raises its own errors (CalamineError, ZipError, XmlError, PasswordError) and,
    # for some damaged files, plain ValueError or others: all mean the same thing to the person.
    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(content)) as workbook:
            names = [s.name for s in workbook.sheets_metadata if s.visible == SheetVisibleEnum.Visible]
            names = names or workbook.sheet_names
            values = workbook.get_sheet_by_name(names[0]).to_python(skip_empty_area=False) if names else []
    except Exception as exc:
        raise SpreadsheetError(
            f"Notify cannot read ‘{file_name}’. Check it opens in a spreadsheet program, "
            "is not protected by a password, and upload it again"
        ) from exc
    rows = [[cell_text(c) for c in row[:MAX_COLUMNS]] for row in values]
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _write(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()
