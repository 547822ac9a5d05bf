"""A recipients CSV is checked before anything is sent, as Notify checks it."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from notify_common.events import Channel, EmailRequested, LetterRequested, SmsRequested
from notify_common.jobs import CsvLimits, CsvReport, JobTemplate, SendingService, validate_csv
from notify_common.jobs.csvfile import CsvRow, RecipientsCsv
from notify_common.jobs.rows import RowInvalid, RowRenderer

SERVICE = SendingService(id="5a1e0a8e-0000-4000-8000-000000000001", name="Tax office", email_from="tax")
SMS = JobTemplate(id="t-sms", version=3, channel=Channel.SMS, content="Hello ((name)), your code is ((code))")
EMAIL = JobTemplate(
    id="t-email", version=1, channel=Channel.EMAIL, subject="About ((topic))", content="Dear ((name))"
)
LETTER = JobTemplate(id="t-letter", version=1, channel=Channel.LETTER, subject="Hi", content="Dear ((name))")


def check(
    text: str | bytes,
    template: JobTemplate = SMS,
    service: SendingService = SERVICE,
    **kwargs: object,
) -> CsvReport:
    data = text.encode() if isinstance(text, str) else text
    kwargs.setdefault("size_bytes", len(data))
    return validate_csv(io.BytesIO(data), service=service, template=template, **kwargs)  # type: ignore[arg-type]


def test_a_file_whose_headings_differ_in_case_spaces_underscores_and_dashes_is_valid() -> None:
    report = check("Phone_Number,NAME,Co-de\n07700 900123,Ada,1\n07700900124,Bo,2\n")
    assert report.valid
    assert report.row_count == 2
    assert report.file_errors == ()


def test_a_file_without_the_channels_recipient_column_is_refused() -> None:
    report = check("mobile,name,code\n07700900123,Ada,1\n")
    assert not report.valid
    assert report.file_errors == ("Your file needs a column called ‘phone number’",)


def test_every_placeholder_without_a_column_is_named() -> None:
    report = check("phone number\n07700900123\n")
    assert report.file_errors == ("Your file is missing columns called ‘name’ and ‘code’",)


def test_a_column_given_twice_is_refused() -> None:
    report = check("phone number,Phone Number,name,code\n07700900123,07700900124,Ada,1\n")
    assert report.file_errors == ("Your file has more than one column called ‘phone number’",)


def test_bad_rows_are_reported_by_spreadsheet_row_number_with_every_problem() -> None:
    report = check(
        "phone number,name,code\n"
        "07700900123,Ada,1\n"  # row 2: fine
        "12,Bo,2\n"  # row 3: too short
        "07700900125,,3\n"  # row 4: no name
        "hello,,\n"  # row 5: letters, no name, no code
    )
    assert not report.valid
    assert report.row_count == 4
    assert report.invalid_rows == 3
    assert [(e.row, e.messages) for e in report.row_errors] == [
        (3, ("Mobile number is too short",)),
        (4, ("Missing name",)),
        (5, ("Missing name", "Missing code", "Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -")),
    ]
    assert report.messages()[0] == "Row 3: Mobile number is too short"


def test_only_the_first_20_bad_rows_are_listed_but_all_are_counted() -> None:
    rows = "".join(f"0770090{n:04d},,1\n" for n in range(25))
    report = check("phone number,name,code\n" + rows)
    assert report.invalid_rows == 25
    assert [e.row for e in report.row_errors] == list(range(2, 22))
    assert report.messages()[-1] == "and 5 more rows with errors"


def test_blank_rows_are_skipped_and_not_counted_but_keep_their_row_number() -> None:
    report = check("phone number,name,code\n07700900123,Ada,1\n,,\n\n07700900124,,2\n")
    assert report.row_count == 2
    assert [e.row for e in report.row_errors] == [5]


def test_a_message_too_long_once_personalised_is_a_row_error() -> None:
    report = check(f"phone number,name,code\n07700900123,{'a' * 950},1\n")
    assert report.invalid_rows == 1
    assert (
        report.row_errors[0]
        .messages[0]
        .startswith("Your message is too long. Text messages cannot be longer than 918 characters.")
    )


def test_an_email_template_needs_its_subject_placeholders_and_valid_addresses() -> None:
    missing = check("email address,name\na@example.com,Ada\n", template=EMAIL)
    assert missing.file_errors == ("Your file is missing a column called ‘topic’",)
    report = check("Email Address,name,topic\na@example.com,Ada,tax\nnot-an-email,Bo,tax\n", template=EMAIL)
    assert [(e.row, e.messages) for e in report.row_errors] == [(3, ("Not a valid email address",))]


def test_a_letter_file_needs_three_address_columns_and_real_addresses() -> None:
    assert check("address line 1,name\nA,B\n", template=LETTER).file_errors == (
        "Your file needs at least 3 address columns, for example ‘address line 1’, "
        "‘address line 2’ and ‘address line 3’",
    )
    report = check(
        "address_line_1,address_line_2,postcode,name\n"
        "1 High Street,Leeds,LS1 1AA,Ada\n"
        "1 High Street,Leeds,NOT A POSTCODE,Bo\n",
        template=LETTER,
    )
    assert [(e.row, e.messages) for e in report.row_errors] == [(3, ("Must be a real UK postcode",))]


def test_a_reference_over_1000_characters_is_a_row_error() -> None:
    report = check(f"phone number,name,code,reference\n07700900123,Ada,1,{'r' * 1001}\n")
    assert report.row_errors[0].messages == ("Reference must be 1,000 characters or fewer",)


def test_the_row_limit_is_100000_by_default_and_configurable() -> None:
    rows = "".join(f"0770090{n:04d},A,1\n" for n in range(6))
    report = check("phone number,name,code\n" + rows, limits=CsvLimits(max_rows=5))
    assert report.file_errors == ("Your file has too many rows. You can send up to 5 text messages at once",)
    assert CsvLimits().max_rows == 100_000


def test_a_file_over_the_size_limit_is_refused_unread() -> None:
    report = check("phone number,name,code\n07700900123,A,1\n", limits=CsvLimits(max_bytes=10))
    assert report.file_errors == ("Your file is too big. Files must be smaller than 10 bytes",)
    assert CsvLimits().max_bytes == 10 * 1024 * 1024
    big = check(
        "phone number,name,code\n07700900123,A,1\n",
        limits=CsvLimits(max_bytes=10 * 1024 * 1024),
        size_bytes=11 * 1024 * 1024,
    )
    assert big.file_errors == ("Your file is too big. Files must be smaller than 10 MB",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Your file is empty"),
        (b"phone number,name,code\n", "Your file needs at least one row of data"),
        (
            b"phone number,name,code\n07700900123,Ad\xe9le,1\n",
            "Your file must be saved as a CSV in UTF-8 encoding",
        ),
    ],
)
def test_files_that_cannot_be_sent_at_all_say_why(data: bytes, message: str) -> None:
    assert check(data).file_errors == (message,)


def test_a_byte_order_mark_from_excel_is_ignored() -> None:
    assert check("\ufeffphone number,name,code\n07700900123,Ada,1\n".encode()).valid


def test_a_service_in_trial_mode_may_only_send_to_its_team_and_guest_list() -> None:
    trial = SendingService(
        id=SERVICE.id, name="Trial", restricted=True, allowed_recipients=frozenset({"447700900123"})
    )
    report = check("phone number,name,code\n07700900123,A,1\n07700900124,B,2\n", service=trial)
    assert [(e.row, e.messages) for e in report.row_errors] == [
        (3, ("Can’t send to this recipient when service is in trial mode",))
    ]
    assert check("phone number,name,code\n07700900124,B,2\n", service=trial, key_type="test").valid


def test_a_file_bigger_than_what_is_left_of_the_daily_limit_is_refused() -> None:
    report = check("phone number,name,code\n07700900123,A,1\n07700900124,B,2\n", remaining_daily_allowance=1)
    assert report.file_errors == ("You can only send 1 more text messages today; your file has 2 rows",)


def test_international_numbers_are_counted_for_the_international_limit() -> None:
    service = SendingService(id=SERVICE.id, name="S", permissions=frozenset({"sms", "international_sms"}))
    report = check("phone number,name,code\n+1 202 555 0123,A,1\n07700900123,B,2\n", service=service)
    assert report.valid
    assert report.international_sms_count == 1
    refused = check("phone number,name,code\n+1 202 555 0123,A,1\n")
    assert refused.row_errors[0].messages == (
        "This does not look like a UK mobile number – double check the mobile number you entered",
    )


def test_validation_leaves_the_stream_open_for_the_upload() -> None:
    stream = io.BytesIO(b"phone number,name,code\n07700900123,A,1\n")
    validate_csv(stream, service=SERVICE, template=SMS)
    assert not stream.closed
    stream.seek(0)
    assert stream.read(5) == b"phone"


def _outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except RowInvalid as exc:
        return tuple(exc.messages)


@pytest.mark.parametrize("key_type", ["normal", "team", "test"])
@pytest.mark.parametrize("restricted", [False, True])
def test_checking_a_text_message_row_decides_as_building_its_event(key_type: str, restricted: bool) -> None:
    """Validation checks rows without building events; the job-splitter builds them. Both must
    refuse the same rows with the same messages and agree on which are international."""
    service = SendingService(
        id=SERVICE.id,
        name="Tax office",
        restricted=restricted,
        prefix_sms=True,
        permissions=frozenset({"sms", "international_sms"}),
        allowed_recipients=frozenset({"447700900123"}),
    )
    rows = [
        ["07700900123", "Ada", "1", "ref"],
        ["+33 6 12 34 56 78", "Bo", "2", ""],
        ["07700 900124", "Cy", "", ""],
        ["not a number", "", "3", "x" * 1001],
        ["", "Di", "4", ""],
        ["07700900123", "€" * 460, "5", ""],
        ["07700900123", "a" * 459, "", ""],
        ["07700900123", "Ŵyn \u2028 ", "6", ""],
        ["0900 123 456", "Ed", "7", ""],
    ]
    data = "phone number,name,code,reference\n" + "\n".join(",".join(r) for r in rows) + "\n"
    table = RecipientsCsv.from_binary(io.BytesIO(data.encode()))
    created = datetime.now(UTC)
    try:
        renderer = RowRenderer(service, SMS, key_type, table)
        for row in table.rows():

            def built(row: CsvRow = row) -> object:
                event = renderer.event(row, job_id="job", created_at=created)
                assert isinstance(event, SmsRequested)
                return event.international

            def checked(row: CsvRow = row) -> object:
                return renderer.check(row, job_id="job", created_at=created)

            assert _outcome(checked) == _outcome(built), row.line
    finally:
        table.release()


@pytest.mark.parametrize(
    "text",
    [
        "phone number,name,code\n07700900123,A\x00da,1\n",  # in a row
        "phone\x00 number,name,code\n07700900123,Ada,1\n",  # in the headings
    ],
)
def test_a_file_with_a_nul_character_is_refused_as_a_whole(text: str) -> None:
    report = check(text)
    assert not report.valid
    assert report.file_errors == (
        "Your file contains NUL characters: save it again as a CSV in UTF-8 encoding",
    )


def test_a_job_rows_recipient_is_kept_as_written_beside_the_normalised_one() -> None:
    data = "phone number,name,code\n07700 900123,Ada,1\n"
    table = RecipientsCsv.from_binary(io.BytesIO(data.encode()))
    try:
        row = next(iter(table.rows()))
        event = RowRenderer(SERVICE, SMS, "normal", table).event(
            row, job_id="job", created_at=datetime.now(UTC)
        )
    finally:
        table.release()
    assert isinstance(event, SmsRequested)
    assert (event.phone_number, event.phone_number_as_sent) == ("447700900123", "07700 900123")

    data = "email address,name,topic\nSomeone@Example.com,Ada,tax\n"
    table = RecipientsCsv.from_binary(io.BytesIO(data.encode()))
    try:
        row = next(iter(table.rows()))
        event = RowRenderer(SERVICE, EMAIL, "normal", table).event(
            row, job_id="job", created_at=datetime.now(UTC)
        )
    finally:
        table.release()
    assert isinstance(event, EmailRequested)
    assert (event.email_address, event.email_address_as_sent) == (
        "someone@example.com",
        "Someone@Example.com",
    )


def test_a_job_rows_email_carries_the_services_from_address_and_a_letter_its_contact_block() -> None:
    data = "email address,name,topic\nada@example.com,Ada,tax\n"
    table = RecipientsCsv.from_binary(io.BytesIO(data.encode()))
    try:
        event = RowRenderer(SERVICE, EMAIL, "normal", table).event(
            next(iter(table.rows())), job_id="job", created_at=datetime.now(UTC)
        )
    finally:
        table.release()
    assert isinstance(event, EmailRequested)
    assert event.email_from == "tax"

    for block, carried in (("Tax office\nPO Box 1", "Tax office\nPO Box 1"), (None, "")):
        letter = JobTemplate(
            id="t-letter",
            version=2,
            channel=Channel.LETTER,
            subject="Hi",
            content="Dear ((name))",
            letter_contact_block=block,
        )
        data = "address line 1,address line 2,postcode,name\nAda,1 Road,SW1A 1AA,Ada\n"
        table = RecipientsCsv.from_binary(io.BytesIO(data.encode()))
        try:
            event = RowRenderer(SERVICE, letter, "normal", table).event(
                next(iter(table.rows())), job_id="job", created_at=datetime.now(UTC)
            )
        finally:
            table.release()
        assert isinstance(event, LetterRequested)
        assert event.contact_block == carried
