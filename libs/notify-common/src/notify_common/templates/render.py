"""Rendering a template with personalisation into what is sent: a text message, an email, a letter.

* SMS: placeholders filled (lists as "a, b and c"), the service name prefixed, every character
  GSM-sanitised, whitespace normalised; counted and split into fragments.
* Email: the subject filled and whitespace-normalised; the body filled (lists as Markdown bullets)
  and rendered through the email Markdown subset to an HTML fragment and to plain text.
* Letter: subject and body filled (the body stays Markdown for the letter renderer), with the
  address lines taken from the personalisation.

Placeholders without a value are left as written; ask ``missing_personalisation`` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from notify_common.recipients.postal import address_lines_from_personalisation
from notify_common.templates.markdown import (
    email_markdown_to_html,
    email_markdown_to_plain_text,
    escape_personalisation,
)
from notify_common.templates.placeholders import as_markdown_list, fill_placeholders, join_with_and
from notify_common.templates.sms import (
    SMS_CHAR_LIMIT,
    character_count,
    is_clean_sms,
    normalise_sms_whitespace,
    sanitise_sms,
    sms_counts,
)

EMAIL_BYTE_LIMIT = 2_000_000


class MessageTooLongError(ValueError):
    """A rendered message over its limit; ``message`` is the exact API text."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    @classmethod
    def for_sms(cls, character_count: int) -> MessageTooLongError:
        return cls(
            f"Your message is too long. Text messages cannot be longer than {SMS_CHAR_LIMIT} characters. "
            f"Your message is {character_count} characters long."
        )

    @classmethod
    def for_email(cls, byte_count: int) -> MessageTooLongError:
        return cls(
            f"Your message is too long. Emails cannot be longer than {EMAIL_BYTE_LIMIT} bytes. "
            f"Your message is {byte_count} bytes."
        )


class MessageEmptyError(ValueError):
    """A message whose body is empty once personalised."""

    def __init__(self) -> None:
        self.message = "Your message is empty."
        super().__init__(self.message)


@dataclass(frozen=True)
class RenderedSms:
    """A text message as sent.

    ``character_count`` and ``fragment_count`` are of the whole ``body``, prefix included: that is
    what is billed. ``character_count_without_prefix`` is what the 918 limit is checked against.
    """

    body: str
    fragment_count: int
    encoding: str  # "GSM" or "UCS-2"
    character_count: int
    character_count_without_prefix: int = 0


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str  # plain text
    html: str  # body fragment, no layout


@dataclass(frozen=True)
class RenderedLetter:
    subject: str
    body: str  # personalised Markdown, for the letter renderer
    address: tuple[str, ...]


def render_sms(
    body_template: str,
    personalisation: Mapping[str, object],
    *,
    prefix: str | None = None,
    show_prefix: bool = True,
    check_limits: bool = True,
) -> RenderedSms:
    """Render a text message.

    With ``check_limits`` (the default, for sending) this raises ``MessageEmptyError`` when the
    message without its prefix is empty and ``MessageTooLongError`` when it is over 918 characters.
    Pass ``check_limits=False`` for previews, then ``check_sms_length`` when needed.
    """
    filled = fill_placeholders(body_template, personalisation, format_list=join_with_and)
    if prefix and show_prefix:
        body = f"{prefix}: {filled}"
        if is_clean_sms(body):
            # Nothing in the prefixed text is changed, so nothing in the text after the prefix is
            # (its characters, pairs and end are the prefixed text's; its start follows ": ").
            without_prefix = filled
        else:
            without_prefix = normalise_sms_whitespace(sanitise_sms(filled))
            body = normalise_sms_whitespace(sanitise_sms(body))
    else:
        body = without_prefix = normalise_sms_whitespace(sanitise_sms(filled))
    gsm, count, fragments = sms_counts(body)
    rendered = RenderedSms(
        body=body,
        fragment_count=fragments,
        encoding="GSM" if gsm else "UCS-2",
        character_count=count,
        character_count_without_prefix=count if body is without_prefix else character_count(without_prefix),
    )
    if check_limits:
        check_sms_length(rendered)
    return rendered


def check_sms_length(rendered: RenderedSms) -> None:
    """Raise ``MessageEmptyError`` or ``MessageTooLongError`` as the API does for a text message."""
    if rendered.character_count_without_prefix == 0:
        raise MessageEmptyError()
    if rendered.character_count_without_prefix > SMS_CHAR_LIMIT:
        raise MessageTooLongError.for_sms(rendered.character_count_without_prefix)


def render_email(
    subject_template: str,
    body_template: str,
    personalisation: Mapping[str, object],
    *,
    check_limits: bool = True,
) -> RenderedEmail:
    """Render an email: subject, plain-text body and HTML body fragment.

    With ``check_limits`` this raises ``MessageEmptyError`` for an empty body and
    ``MessageTooLongError`` when the plain-text body is over 2,000,000 bytes of UTF-8.
    """
    subject = _fill_single_line(subject_template, personalisation)
    filled_body = fill_placeholders(
        body_template, personalisation, format_list=as_markdown_list, format_value=escape_personalisation
    )
    rendered = RenderedEmail(
        subject=subject,
        body=email_markdown_to_plain_text(filled_body),
        html=email_markdown_to_html(filled_body),
    )
    if check_limits:
        check_email_length(rendered)
    return rendered


def check_email_length(rendered: RenderedEmail) -> None:
    if not rendered.body.strip():
        raise MessageEmptyError()
    size = len(rendered.body.encode("utf-8"))
    if size > EMAIL_BYTE_LIMIT:
        raise MessageTooLongError.for_email(size)


def render_letter(
    subject_template: str, body_template: str, personalisation: Mapping[str, object]
) -> RenderedLetter:
    """Render a letter's heading and body; ``address`` is the raw lines (validate them separately
    with ``validate_postal_address``, which needs the service's international permission)."""
    return RenderedLetter(
        subject=_fill_single_line(subject_template, personalisation),
        body=fill_placeholders(body_template, personalisation, format_list=as_markdown_list).strip(),
        address=tuple(address_lines_from_personalisation(personalisation)),
    )


def _fill_single_line(template: str, personalisation: Mapping[str, object]) -> str:
    return " ".join(fill_placeholders(template, personalisation, format_list=join_with_and).split())
