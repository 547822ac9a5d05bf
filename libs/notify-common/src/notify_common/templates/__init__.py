"""Templates: placeholders, SMS encoding and fragments, rendering SMS, email and letters, and QR
codes in letters.

Pure functions and frozen values, no I/O. Limits and refusals carry the exact API messages.
"""

from notify_common.templates.markdown import (
    email_markdown_to_html,
    email_markdown_to_plain_text,
    nice_typography,
)
from notify_common.templates.placeholders import (
    PLACEHOLDER_PATTERN,
    InsensitiveValues,
    Placeholder,
    as_markdown_list,
    fill_placeholders,
    is_yes,
    join_with_and,
    missing_personalisation,
    normalise_placeholder,
    placeholders,
)
from notify_common.templates.qr import QR_CODE_MAX_BYTES, QrCodeTooLong, first_qr_code_too_long, qr_code_data
from notify_common.templates.render import (
    EMAIL_BYTE_LIMIT,
    MessageEmptyError,
    MessageTooLongError,
    RenderedEmail,
    RenderedLetter,
    RenderedSms,
    check_email_length,
    check_sms_length,
    render_email,
    render_letter,
    render_sms,
)
from notify_common.templates.sms import (
    SMS_CHAR_LIMIT,
    character_count,
    encoding_of,
    fragment_count,
    is_gsm,
    normalise_sms_whitespace,
    sanitise_sms,
)

__all__ = [
    "EMAIL_BYTE_LIMIT",
    "PLACEHOLDER_PATTERN",
    "QR_CODE_MAX_BYTES",
    "SMS_CHAR_LIMIT",
    "InsensitiveValues",
    "MessageEmptyError",
    "MessageTooLongError",
    "Placeholder",
    "QrCodeTooLong",
    "RenderedEmail",
    "RenderedLetter",
    "RenderedSms",
    "as_markdown_list",
    "character_count",
    "check_email_length",
    "check_sms_length",
    "email_markdown_to_html",
    "email_markdown_to_plain_text",
    "encoding_of",
    "fill_placeholders",
    "first_qr_code_too_long",
    "fragment_count",
    "is_gsm",
    "is_yes",
    "join_with_and",
    "missing_personalisation",
    "nice_typography",
    "normalise_placeholder",
    "normalise_sms_whitespace",
    "placeholders",
    "qr_code_data",
    "render_email",
    "render_letter",
    "render_sms",
    "sanitise_sms",
]
