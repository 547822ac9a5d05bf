"""A CSV job's ``language`` column sends each row in its language (blank: the template's default),
and a row asking for a language the template does not have is a row error."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

from notify_common.events import Channel, EmailRequested, LetterRequested, NotificationRequested, SmsRequested
from notify_common.jobs import JobTemplate, SendingService, validate_csv
from notify_common.jobs.csvfile import RecipientsCsv
from notify_common.jobs.rows import RowRenderer
from notify_common.templates.languages import template_languages

SERVICE = SendingService(id="5a1e0a8e-0000-4000-8000-000000000001", name="Tax office", email_from="tax")
SMS = JobTemplate(
    id="t-sms",
    version=3,
    channel=Channel.SMS,
    content="Hello ((name))",
    languages=template_languages("en", {"cy": {"content": "Helo ((name))"}}),
)
EMAIL = JobTemplate(
    id="t-email",
    version=1,
    channel=Channel.EMAIL,
    subject="About ((topic))",
    content="Dear ((name))",
    languages=template_languages(
        "en", {"cy": {"subject": "Ynglŷn â ((topic))", "content": "Annwyl ((name))"}}
    ),
)


def events(template: JobTemplate, data: str) -> list[NotificationRequested]:
    table = RecipientsCsv.from_binary(io.BytesIO(data.encode()))
    try:
        renderer = RowRenderer(SERVICE, template, "normal", table)
        return [renderer.event(row, job_id="job", created_at=datetime.now(UTC)) for row in table.rows()]
    finally:
        table.release()


def test_each_text_message_row_is_written_in_its_own_language() -> None:
    sent = events(
        SMS, "phone number,name,language\n07700900123,Ann,cy\n07700900124,Bob,\n07700900125,Cai,EN\n"
    )
    assert all(isinstance(e, SmsRequested) for e in sent)
    assert [(e.body, e.language) for e in sent] == [  # type: ignore[attr-defined]
        ("Tax office: Helo Ann", "cy"),
        ("Tax office: Hello Bob", "en"),
        ("Tax office: Hello Cai", "en"),
    ]


def test_without_a_language_column_every_row_is_in_the_default_language() -> None:
    [sent] = events(SMS, "phone number,name\n07700900123,Ann\n")
    assert isinstance(sent, SmsRequested)
    assert (sent.body, sent.language) == ("Tax office: Hello Ann", "en")


def test_an_email_row_in_welsh_has_the_welsh_subject_and_body() -> None:
    [sent] = events(EMAIL, "email address,name,topic,language\nann@example.com,Ann,treth,cy\n")
    assert isinstance(sent, EmailRequested)
    assert (sent.subject, sent.body, sent.language) == ("Ynglŷn â treth", "Annwyl Ann", "cy")


def test_a_row_in_a_language_the_template_lacks_or_a_malformed_one_is_a_row_error() -> None:
    data = "phone number,name,language\n07700900123,Ann,fr\n07700900124,Bob,not a tag\n07700900125,Cai,cy\n"
    report = validate_csv(io.BytesIO(data.encode()), service=SERVICE, template=SMS)
    assert report.invalid_rows == 2
    assert [(e.row, e.messages) for e in report.row_errors] == [
        (2, ("language fr is not available for this template",)),
        (3, ("language not a tag is not a valid language tag",)),
    ]


def test_a_row_must_fill_the_placeholders_of_its_own_language() -> None:
    template = replace(SMS, languages=template_languages("en", {"cy": {"content": "Helo ((enw))"}}))
    data = "phone number,name,language\n07700900123,Ann,cy\n07700900124,Bob,en\n"
    report = validate_csv(io.BytesIO(data.encode()), service=SERVICE, template=template)
    assert report.file_errors == ()
    assert [(e.row, e.messages) for e in report.row_errors] == [(2, ("Missing enw",))]


def test_without_a_language_column_the_file_needs_the_default_languages_columns() -> None:
    template = replace(SMS, languages=template_languages("en", {"cy": {"content": "Helo ((enw))"}}))
    report = validate_csv(io.BytesIO(b"phone number\n07700900123\n"), service=SERVICE, template=template)
    assert report.file_errors == ("Your file is missing a column called \u2018name\u2019",)


def test_a_bilingual_letter_row_carries_its_welsh_part() -> None:
    letter = JobTemplate(
        id="t-letter",
        version=1,
        channel=Channel.LETTER,
        subject="Your licence",
        content="Dear ((name))",
        welsh=("Eich trwydded", "Annwyl ((name))"),
    )
    [sent] = events(letter, "address line 1,address line 2,postcode,name\nAnn,1 Road,SW1A 1AA,Ann\n")
    assert isinstance(sent, LetterRequested)
    assert (sent.welsh_subject, sent.welsh_body, sent.subject, sent.body) == (
        "Eich trwydded",
        "Annwyl Ann",
        "Your licence",
        "Dear Ann",
    )
