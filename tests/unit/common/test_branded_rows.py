"""A CSV job's rows carry their service's branding, as a single send does: the email branding in
each EmailRequested and the letter logo in each LetterRequested."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from notify_common.branding import SendBranding
from notify_common.events import Channel, EmailRequested, LetterRequested
from notify_common.jobs import JobTemplate, SendingService
from notify_common.jobs.csvfile import RecipientsCsv
from notify_common.jobs.rows import RowRenderer

BRANDING = SendBranding(
    email_type="org_banner",
    email_name="Department of Examples",
    email_colour="#005ea5",
    email_text="Examples",
    email_logo="email/logo.png",
    letter_logo="letter/logo.svg",
)
SERVICE = SendingService(id="5a1e0a8e-0000-4000-8000-000000000003", name="Tax office", branding=BRANDING)


def first_event(template: JobTemplate, data: bytes) -> object:
    table = RecipientsCsv.from_binary(io.BytesIO(data))
    try:
        [row] = list(table.rows())
        return RowRenderer(SERVICE, template, "normal", table).event(
            row, job_id="j", created_at=datetime.now(UTC)
        )
    finally:
        table.release()


def test_an_email_row_carries_the_services_email_branding() -> None:
    template = JobTemplate(id="t", version=1, channel=Channel.EMAIL, subject="Hi", content="Hello")

    event = first_event(template, b"email address\nada@example.com\n")

    assert isinstance(event, EmailRequested)
    assert (event.branding_type, event.branding_name, event.branding_colour) == (
        "org_banner",
        "Department of Examples",
        "#005ea5",
    )
    assert (event.branding_text, event.branding_logo) == ("Examples", "email/logo.png")


def test_a_letter_row_carries_the_services_letter_logo() -> None:
    template = JobTemplate(id="t", version=1, channel=Channel.LETTER, subject="Hi", content="Dear Ada")

    event = first_event(
        template, b"address line 1,address line 2,postcode\nAda Lovelace,1 Example Street,SW1A 1AA\n"
    )

    assert isinstance(event, LetterRequested)
    assert event.letter_logo == "letter/logo.svg"
