"""Checks a recipients CSV before anything is sent, streaming, in constant memory.

File-level problems (size, encoding, the recipient column for the channel, a column for every
placeholder (of every language the template has, when the file has a ``language`` column),
duplicated headings, too many or no rows, the remaining daily allowance) stop the file;
otherwise every row is rendered exactly as the job-splitter will render it and the first 20 rows
that cannot be sent are reported by their spreadsheet row number, with the number of bad rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from notify_common.events import Channel
from notify_common.jobs.csvfile import (
    ADDRESS_COLUMNS,
    LANGUAGE_COLUMN,
    RECIPIENT_COLUMNS,
    REFERENCE_COLUMN,
    CsvFormatError,
    RecipientsCsv,
    heading_key,
)
from notify_common.jobs.model import (
    CHANNEL_WORDS,
    MAX_ERRORS_REPORTED,
    CsvLimits,
    JobTemplate,
    SendingService,
)
from notify_common.jobs.rows import RowInvalid, RowRenderer
from notify_common.templates import placeholders
from notify_common.templates.languages import LanguageVariant

MIN_ADDRESS_COLUMNS = 3
VALIDATION_JOB_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class RowError:
    """Why one row cannot be sent; ``row`` is the spreadsheet row number (headings are row 1)."""

    row: int
    messages: tuple[str, ...]


@dataclass(frozen=True)
class CsvReport:
    """The outcome of checking a file. ``valid`` means every row can be sent."""

    row_count: int = 0
    file_errors: tuple[str, ...] = ()
    row_errors: tuple[RowError, ...] = ()  # the first 20
    invalid_rows: int = 0
    international_sms_count: int = 0
    size_bytes: int = 0
    headings: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not self.file_errors and self.invalid_rows == 0

    def messages(self) -> list[str]:
        """Every problem as one line each, file problems first, then rows as "Row 3: ..."."""
        rows = [f"Row {e.row}: {'; '.join(e.messages)}" for e in self.row_errors]
        more = self.invalid_rows - len(self.row_errors)
        tail = [f"and {more:,} more rows with errors"] if more > 0 else []
        return [*self.file_errors, *rows, *tail]


def _quoted(names: list[str]) -> str:
    quoted = [f"‘{name}’" for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def too_big_message(limits: CsvLimits) -> str:
    mib = 1024 * 1024
    size = limits.max_bytes
    words = f"{size / mib:g} MB" if size >= mib else f"{size:,} bytes"
    return f"Your file is too big. Files must be smaller than {words}"


def column_errors(csv: RecipientsCsv, template: JobTemplate, service: SendingService) -> list[str]:
    """Problems with the headings, in the order people should fix them."""
    errors: list[str] = []
    channel = template.channel
    if channel == Channel.LETTER:
        present = [c for c in ADDRESS_COLUMNS if csv.has(heading_key(c))]
        if len(present) < MIN_ADDRESS_COLUMNS:
            errors.append(
                "Your file needs at least 3 address columns, for example ‘address line 1’, "
                "‘address line 2’ and ‘address line 3’"
            )
    else:
        column = RECIPIENT_COLUMNS[channel][0]
        if not csv.has(heading_key(column)):
            errors.append(f"Your file needs a column called ‘{column}’")
    names = [name for text in template.texts for name in placeholders(text)]
    if csv.has(heading_key(LANGUAGE_COLUMN)):
        # Rows may be in any of the template's languages: the file needs a column for what every
        # language asks for; a row missing what its own language asks for is a row error.
        others = [_keys(template, variant) for variant in template.languages.variants.values()]
        names = [name for name in names if all(heading_key(name) in keys for keys in others)]
    missing: list[str] = []
    for name in names:
        if not csv.has(heading_key(name)) and name not in missing:
            missing.append(name)
    if missing:
        noun = "a column called" if len(missing) == 1 else "columns called"
        errors.append(f"Your file is missing {noun} {_quoted(missing)}")
    used = {heading_key(c) for c in (*RECIPIENT_COLUMNS[channel], REFERENCE_COLUMN, LANGUAGE_COLUMN, *names)}
    duplicated = [headings[0] for key, headings in csv.keys.items() if key in used and len(headings) > 1]
    if duplicated:
        errors.append(f"Your file has more than one column called {_quoted(duplicated)}")
    if channel == Channel.LETTER and service.restricted:
        errors.append("Cannot send letters when service is in trial mode")
    return errors


def _keys(template: JobTemplate, variant: LanguageVariant) -> set[str]:
    return {heading_key(name) for text in template.texts_of(variant) for name in placeholders(text)}


def validate_csv(
    stream: BinaryIO,
    *,
    service: SendingService,
    template: JobTemplate,
    key_type: str = "normal",
    limits: CsvLimits | None = None,
    size_bytes: int | None = None,
    remaining_daily_allowance: int | None = None,
) -> CsvReport:
    """Check a file (UTF-8 CSV bytes) for ``template`` sent by ``service`` with ``key_type``.

    ``size_bytes`` is the size of the upload when known (a larger file is refused unread);
    ``remaining_daily_allowance`` is how many more messages of the channel the service may send
    today (None: not checked here; the job-splitter checks it again when the job starts).
    """
    limits = limits or CsvLimits()
    size = size_bytes or 0
    if size > limits.max_bytes:
        return CsvReport(file_errors=(too_big_message(limits),), size_bytes=size)
    try:
        csv = RecipientsCsv.from_binary(stream)
    except CsvFormatError as exc:
        return CsvReport(file_errors=(exc.message,), size_bytes=size)
    try:
        return _check(csv, service, template, key_type, limits, size, remaining_daily_allowance)
    finally:
        csv.release()


def _check(
    csv: RecipientsCsv,
    service: SendingService,
    template: JobTemplate,
    key_type: str,
    limits: CsvLimits,
    size: int,
    remaining_daily_allowance: int | None,
) -> CsvReport:
    problems = column_errors(csv, template, service)
    if problems:
        return CsvReport(file_errors=tuple(problems), size_bytes=size, headings=csv.headings)

    renderer = RowRenderer(service, template, key_type, csv)
    created = datetime.now(UTC)
    row_errors: list[RowError] = []
    invalid = international = count = 0
    try:
        for row in csv.rows():
            count += 1
            if count > limits.max_rows:
                return CsvReport(
                    file_errors=(
                        f"Your file has too many rows. You can send up to {limits.max_rows:,} "
                        f"{CHANNEL_WORDS[template.channel]} at once",
                    ),
                    size_bytes=size,
                    headings=csv.headings,
                )
            try:
                if renderer.check(row, job_id=VALIDATION_JOB_ID, created_at=created):
                    international += 1
            except RowInvalid as exc:
                invalid += 1
                if len(row_errors) < MAX_ERRORS_REPORTED:
                    row_errors.append(RowError(row.line, tuple(exc.messages)))
    except CsvFormatError as exc:
        return CsvReport(file_errors=(exc.message,), size_bytes=size, headings=csv.headings)

    file_errors: list[str] = []
    if count == 0:
        file_errors.append("Your file needs at least one row of data")
    elif remaining_daily_allowance is not None and count > remaining_daily_allowance:
        file_errors.append(
            f"You can only send {max(remaining_daily_allowance, 0):,} more "
            f"{CHANNEL_WORDS[template.channel]} today; your file has {count:,} rows"
        )
    return CsvReport(
        row_count=count,
        file_errors=tuple(file_errors),
        row_errors=tuple(row_errors),
        invalid_rows=invalid,
        international_sms_count=international,
        size_bytes=size,
        headings=csv.headings,
    )
