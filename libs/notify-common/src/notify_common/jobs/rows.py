"""One CSV row → one notification-requested event, or the reasons the row cannot be sent.

The validation at upload and the job-splitter both go through ``RowRenderer``, so a file that
validated renders the same way when it is split. Notification ids are derived from the job id and
the row's index (``notification_id_for``): splitting a row twice gives the same notification, which
the senders' claims and the projector's upserts already treat as one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from notify_common.events import (
    Channel,
    EmailRequested,
    LetterRequested,
    NotificationRequested,
    SmsRequested,
)
from notify_common.jobs.compiled import Columns, CompiledSms, missing_in
from notify_common.jobs.csvfile import (
    EMAIL_COLUMN,
    LANGUAGE_COLUMN,
    PHONE_COLUMN,
    REFERENCE_COLUMN,
    CsvRow,
    RecipientsCsv,
    heading_key,
)
from notify_common.jobs.model import REFERENCE_MAX_LENGTH, JobTemplate, SendingService
from notify_common.recipients import (
    InvalidPhoneError,
    InvalidRecipientError,
    PhoneNumber,
    address_lines_from_personalisation,
    validate_email_address,
    validate_postal_address,
)
from notify_common.recipients.phone_fast import FastPhoneValidator
from notify_common.templates import MessageEmptyError, MessageTooLongError, render_email, render_letter
from notify_common.templates.languages import InvalidLanguageTag, LanguageVariant, UnknownLanguage
from notify_common.templates.qr import QR_CODE_TOO_LONG_MESSAGE, first_qr_code_too_long

# Fixed forever: changing it would give every job row a new notification id.
JOB_ROW_NAMESPACE = uuid.UUID("6a0b3c9e-3f4d-5b8e-9c1a-2d7e4f6a8b10")

TRIAL_MODE = "Can’t send to this recipient when service is in trial mode"
TEAM_KEY = "Can’t send to this recipient using a team-only API key"


def notification_id_for(job_id: str, index: int) -> str:
    """The notification id of a job's row: the same every time the row is split."""
    return str(uuid.uuid5(JOB_ROW_NAMESPACE, f"{job_id}/{index}"))


class EventIds:
    """Random (UUID4) event ids, drawn 1,024 at a time: one ``os.urandom`` call, which releases
    the GIL, per 1,024 rows instead of per row (the splitter renders in a thread)."""

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0

    def next(self) -> str:
        if self._at >= len(self._pool):
            self._pool, self._at = os.urandom(16 * 1024), 0
        raw = self._pool[self._at : self._at + 16]
        self._at += 16
        return str(uuid.UUID(bytes=raw, version=4))  # exactly what uuid.uuid4() builds


class _Common(TypedDict):
    event_id: str
    notification_id: str
    service_id: str
    occurred_at: datetime
    correlation_id: str | None
    template_id: str
    template_version: int
    key_type: str
    job_id: str
    job_row_number: int
    client_reference: str | None
    created_at: datetime


class RowInvalid(ValueError):
    """A row that cannot be sent; ``messages`` says why, in the words the error report uses."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass(frozen=True)
class _InLanguage:
    """The template in one of its languages, compiled for the file's columns."""

    variant: LanguageVariant
    required: list[tuple[str, str | None]]
    sms: CompiledSms


class RowRenderer:
    """Renders the rows of one file for one service, template version and key type.

    The template is compiled for the file's columns once (``jobs.compiled``) and phone numbers go
    through ``FastPhoneValidator``: both give exactly what the general functions give.
    """

    def __init__(
        self, service: SendingService, template: JobTemplate, key_type: str, csv: RecipientsCsv
    ) -> None:
        self.service = service
        self.template = template
        self.key_type = key_type
        self._reference_heading = csv.heading_for(heading_key(REFERENCE_COLUMN))
        self._phone_heading = csv.heading_for(heading_key(PHONE_COLUMN))
        self._email_heading = csv.heading_for(heading_key(EMAIL_COLUMN))
        self._language_heading = csv.heading_for(heading_key(LANGUAGE_COLUMN))
        self._checks_allowed = key_type == "team" or (key_type != "test" and service.restricted)
        self._event_ids = EventIds()
        self._columns = Columns(csv.headings)
        self._prefix = service.name if service.prefix_sms else None
        self._default = self._compile(template.default_variant)
        # By the language cell as written: the template compiled in it, or why it is refused.
        self._languages: dict[str, _InLanguage | str] = {}
        self._phones = FastPhoneValidator(
            allow_international=service.may("international_sms"),
            allow_landline=service.may("sms_to_uk_landlines"),
        )

    def _compile(self, variant: LanguageVariant) -> _InLanguage:
        required = self._columns.required(self.template.texts_of(variant))
        return _InLanguage(variant, required, CompiledSms(variant.content, self._columns, self._prefix))

    def _language(self, row: CsvRow, problems: list[str]) -> _InLanguage | None:
        """The template in the row's language (its default when the cell is blank or there is no
        language column); None, with the problem added, for a language it does not have."""
        asked = row.cells.get(self._language_heading) if self._language_heading else None
        if asked is None or not asked.strip():
            return self._default
        found = self._languages.get(asked)
        if found is None:
            template = self.template
            try:
                variant = template.languages.choose(asked.strip(), template.content, template.subject)
                found = (
                    self._default
                    if variant.language == self._default.variant.language
                    else self._compile(variant)
                )
            except UnknownLanguage as exc:
                found = exc.message
            except InvalidLanguageTag as exc:
                found = f"language {exc.message}"
            self._languages[asked] = found
        if isinstance(found, str):
            problems.append(found)
            return None
        return found

    def check(self, row: CsvRow, *, job_id: str, created_at: datetime) -> bool:
        """What ``event`` decides for ``row``, for checking a whole file: ``RowInvalid`` with the
        same problems, else whether the row is an international text message. A text message row
        is checked without building its event (ids, body and fragments are not needed)."""
        if self.template.channel != Channel.SMS:
            self.event(row, job_id=job_id, created_at=created_at)
            return False
        problems, _, _, language = self._cell_problems(row)
        phone = self._phone(row, problems)
        if problems or phone is None or language is None:
            raise RowInvalid(problems)
        try:
            language.sms.check(row.cells)
        except (MessageTooLongError, MessageEmptyError) as exc:
            raise RowInvalid([exc.message]) from None
        return phone.international

    def _cell_problems(self, row: CsvRow) -> tuple[list[str], list[str], str | None, _InLanguage | None]:
        """Problems with the language, placeholders and the reference; the missing names; the
        reference; the template in the row's language (None when it has not that language)."""
        problems: list[str] = []
        language = self._language(row, problems)
        missing = missing_in(language.required, row.cells) if language is not None else []
        if missing:
            problems.extend(f"Missing {name}" for name in missing)
        reference = row.cells.get(self._reference_heading) if self._reference_heading else None
        if reference is not None and len(reference) > REFERENCE_MAX_LENGTH:
            problems.append(f"Reference must be {REFERENCE_MAX_LENGTH:,} characters or fewer")
        return problems, missing, reference, language

    def event(
        self, row: CsvRow, *, job_id: str, created_at: datetime, correlation_id: str | None = None
    ) -> NotificationRequested:
        """The requested event for ``row``, or ``RowInvalid`` with every problem found in it."""
        personalisation: Mapping[str, object] = row.cells
        problems, missing, reference, language = self._cell_problems(row)
        common = _Common(
            event_id=self._event_ids.next(),
            notification_id=notification_id_for(job_id, row.index),
            service_id=self.service.id,
            occurred_at=created_at,
            correlation_id=correlation_id,
            template_id=self.template.id,
            template_version=self.template.version,
            key_type=self.key_type,
            job_id=job_id,
            job_row_number=row.index,
            client_reference=reference,
            created_at=created_at,
        )
        channel = self.template.channel
        try:
            if channel == Channel.SMS:
                return self._sms_event(row, problems, common, language)
            if channel == Channel.EMAIL:
                return self._email(row, personalisation, problems, common, language)
            return self._letter(personalisation, problems, common, language, filled=not missing)
        except (MessageTooLongError, MessageEmptyError) as exc:
            problems.append(exc.message)
            raise RowInvalid(problems) from None

    def _allowed(self, normalised: str, problems: list[str]) -> None:
        if self._checks_allowed and normalised not in self.service.allowed_recipients:
            problems.append(TEAM_KEY if self.key_type == "team" else TRIAL_MODE)

    def _phone(self, row: CsvRow, problems: list[str]) -> PhoneNumber | None:
        raw = row.cells.get(self._phone_heading) if self._phone_heading else None
        if raw is None:
            problems.append("Missing phone number")
            return None
        try:
            phone = self._phones.validate(raw)
        except InvalidPhoneError as exc:
            problems.append(exc.ui_message)
            return None
        self._allowed(phone.normalised, problems)
        return phone

    def _sms_event(
        self, row: CsvRow, problems: list[str], common: _Common, language: _InLanguage | None
    ) -> SmsRequested:
        phone = self._phone(row, problems)
        if problems or phone is None or language is None:
            raise RowInvalid(problems)
        body, fragments = language.sms.render(row.cells)
        return SmsRequested(
            **common,
            phone_number=phone.normalised,
            international=phone.international,
            sender=self.service.sms_sender,
            body=body,
            fragment_count=fragments,
            rate_multiplier=phone.rate_multiplier,
            phone_number_as_sent=row.cells.get(self._phone_heading) if self._phone_heading else None,
            language=language.variant.language,
        )

    def _email(
        self,
        row: CsvRow,
        values: Mapping[str, object],
        problems: list[str],
        common: _Common,
        language: _InLanguage | None,
    ) -> EmailRequested:
        raw = row.cells.get(self._email_heading) if self._email_heading else None
        address = None
        if raw is None:
            problems.append("Missing email address")
        else:
            try:
                address = validate_email_address(raw)
                self._allowed(address, problems)
            except InvalidRecipientError as exc:
                problems.append(exc.message)
        if problems or address is None or language is None:
            raise RowInvalid(problems)
        variant = language.variant
        rendered = render_email(variant.subject or "", variant.content, values)
        return EmailRequested(
            **common,
            email_address=address,
            subject=rendered.subject,
            body=rendered.body,
            from_name=self.service.name,
            reply_to=self.service.reply_to,
            email_address_as_sent=raw,
            email_from=self.service.email_from,
            has_unsubscribe_link=self.template.has_unsubscribe_link,
            **self.service.branding.email_fields(),
            language=variant.language,
        )

    def _letter(
        self,
        values: Mapping[str, object],
        problems: list[str],
        common: _Common,
        language: _InLanguage | None,
        *,
        filled: bool,
    ) -> LetterRequested:
        lines = address_lines_from_personalisation(values)
        address = None
        try:
            address = validate_postal_address(
                lines, allow_international=self.service.may("international_letters")
            )
        except InvalidRecipientError as exc:
            problems.append(exc.message)
        rendered = welsh = None
        # As the API: a QR code is measured once every placeholder has its value (a missing one is
        # reported instead). Its data may come from any cell, so every letter row is measured; the
        # measure is one regular expression scan unless the letter has a "qr:" paragraph.
        if filled and language is not None:
            variant = language.variant
            rendered = render_letter(variant.subject or "", variant.content, values)
            welsh = render_letter(*self.template.welsh, values) if self.template.welsh else None
            if any(first_qr_code_too_long(r.body) is not None for r in (rendered, welsh) if r is not None):
                problems.append(QR_CODE_TOO_LONG_MESSAGE)
        if problems or address is None or rendered is None or language is None:
            raise RowInvalid(problems)
        postage = address.postage_zone if address.international else (self.template.postage or "second")
        return LetterRequested(
            **common,
            address_lines=address.lines,
            postage=str(postage),
            subject=rendered.subject,
            body=rendered.body,
            contact_block=self.template.letter_contact_block or "",
            **self.service.branding.letter_fields(),
            language=language.variant.language,
            welsh_subject=welsh.subject if welsh else None,
            welsh_body=welsh.body if welsh else None,
        )
