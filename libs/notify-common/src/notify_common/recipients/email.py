"""Email address validation and normalisation, with GOV.UK Notify's rules.

Notify is deliberately stricter than RFC 5322 in the local part (no quotes, no ``;``) because
addresses that SES cannot handle turn into technical failures after the request was accepted.
"""

from __future__ import annotations

import re

from notify_common.recipients.errors import InvalidEmailError

MAX_EMAIL_LENGTH = 320
MAX_HOSTNAME_LENGTH = 253
MAX_LABEL_LENGTH = 63

_LOCAL_PART_CHARACTERS = r"a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-"
_EMAIL = re.compile(rf"[{_LOCAL_PART_CHARACTERS}]+@([^.@][^@\s]+)")
# "xn" stands alone so that punycode labels ("xn--...") match through the repeated "-?-" group.
_HOSTNAME_LABEL = re.compile(r"(xn|[a-z0-9]+)(-?-[a-z0-9]+)*", re.IGNORECASE)
_TOP_LEVEL_DOMAIN = re.compile(r"([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)", re.IGNORECASE)

# Characters people paste along with addresses that are invisible but are not str.isspace().
_INVISIBLE = dict.fromkeys(map(ord, "\u180e\u200b\u200c\u200d\u2060\ufeff"), None)


def strip_obscure_whitespace(value: str) -> str:
    """Remove leading/trailing whitespace, including non-breaking and zero-width characters."""
    return value.translate(_INVISIBLE).strip()


def validate_email_address(address: str) -> str:
    """Return the normalised (stripped, lower-cased) address, or raise ``InvalidEmailError``.

    The error message is always "Not a valid email address".
    """
    candidate = strip_obscure_whitespace(address)
    match = _EMAIL.fullmatch(candidate)
    if not match or len(candidate) > MAX_EMAIL_LENGTH or ".." in candidate:
        raise InvalidEmailError()
    try:
        hostname = match.group(1).encode("idna").decode("ascii")
    except UnicodeError as error:
        raise InvalidEmailError() from error

    labels = hostname.split(".")
    if len(hostname) > MAX_HOSTNAME_LENGTH or len(labels) < 2:
        raise InvalidEmailError()
    for label in labels:
        if not label or len(label) > MAX_LABEL_LENGTH or not _HOSTNAME_LABEL.fullmatch(label):
            raise InvalidEmailError()
    if not _TOP_LEVEL_DOMAIN.fullmatch(labels[-1]):
        raise InvalidEmailError()
    return candidate.lower()


def email_address_for_sending(address: str) -> str:
    """The normalised address with only its hostname punycode-encoded, as handed to the provider."""
    normalised = validate_email_address(address)
    local_part, _, hostname = normalised.rpartition("@")
    return f"{local_part}@{hostname.encode('idna').decode('ascii')}"
