"""Phone number validation and normalisation, with GOV.UK Notify's rules.

Parsing, possibility, validity and number type come from Google's libphonenumber (the ``phonenumbers``
package); this module adds what Notify does on top: the strict character check, the "thorough"
re-normalisation of near-valid input, forcing a ``+`` that a spreadsheet stripped, Ofcom's drama
numbers, the country prefixes we bill for, and the service permissions (international, UK landlines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from notify_common.recipients.errors import (
    InternationalNotAllowedError,
    InvalidPhoneError,
    PhoneErrorCode,
)
from notify_common.recipients.international_rates import INTERNATIONAL_RATES

UK_COUNTRY_CODE = 44
UK_PREFIX = "44"

_ALLOWED_CHARACTERS = re.compile(r"[0-9 ()+\-]*")
# Invisible characters that str.isspace() does not count as whitespace but people paste anyway.
_OBSCURE_WHITESPACE = frozenset("\u180e\u200b\u200c\u200d\u2060\ufeff")

_LANDLINE_TYPES = frozenset(
    {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.UAN}
)
_ALLOWED_TYPES = _LANDLINE_TYPES | {PhoneNumberType.MOBILE, PhoneNumberType.PERSONAL_NUMBER}

_REASON_TO_CODE: dict[int, PhoneErrorCode] = {
    ValidationResult.TOO_LONG: PhoneErrorCode.TOO_LONG,
    ValidationResult.TOO_SHORT: PhoneErrorCode.TOO_SHORT,
    # A number that is only diallable locally is missing its area code: too short for us.
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: PhoneErrorCode.TOO_SHORT,
    ValidationResult.INVALID_COUNTRY_CODE: PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE,
    ValidationResult.INVALID_LENGTH: PhoneErrorCode.INVALID_NUMBER,
}

# Ofcom reserves 07700 900000–900999 for TV and radio drama; libphonenumber calls them invalid.
_OFCOM_DRAMA_MOBILE = re.compile(r"7700900\d{3}")


@dataclass(frozen=True)
class PhoneNumber:
    """A phone number Notify will send to.

    ``normalised`` is E.164 without the ``+`` (e.g. ``447700900123``): what is stored as
    ``normalised_to`` and handed to SMS providers. ``international`` is the billing view: Jersey,
    Guernsey and the Isle of Man are +44 (UK for permissions) but international for billing.
    """

    normalised: str
    international: bool
    country_prefix: str
    rate_multiplier: int
    landline: bool = False
    delivery_receipts: bool = True

    @property
    def e164(self) -> str:
        return f"+{self.normalised}"


def keep_phone_patterns_compiled() -> None:
    """phonenumbers compiles its metadata patterns through ``re``, whose cache (512 entries) the
    rest of a busy process keeps evicting; then every number costs milliseconds of recompiling.
    The library can keep its own compiled patterns instead."""
    from phonenumbers import re_util

    enable = getattr(re_util, "enable_pattern_cache", None)
    if enable is not None:
        enable()


def validate_phone_number(
    number: str, *, allow_international: bool = True, allow_landline: bool = False
) -> PhoneNumber:
    """Validate ``number`` for a service with the given permissions, or raise ``InvalidPhoneError``.

    The error's ``message`` is the legacy v2 API wording ("Not a UK mobile number", ...). A valid
    non-UK number for a service without ``international_sms`` raises ``InternationalNotAllowedError``
    ("Cannot send to international mobile numbers"), which the API reports as a BadRequestError.
    """
    parsed = _parse_leniently(number)
    is_uk = parsed.country_code == UK_COUNTRY_CODE
    if not is_uk and not allow_international:
        raise InternationalNotAllowedError()
    landline = is_uk and phonenumbers.number_type(parsed) in _LANDLINE_TYPES
    if landline and not allow_landline:
        raise InvalidPhoneError(code=PhoneErrorCode.NOT_A_UK_MOBILE)

    prefix = _billing_prefix(parsed)
    rate = INTERNATIONAL_RATES[prefix]
    region = phonenumbers.region_code_for_number(parsed)
    # Drama numbers have no region (libphonenumber thinks them invalid) but are plainly GB.
    international = not (is_uk and region in (None, "GB"))
    return PhoneNumber(
        normalised=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:],
        international=international,
        country_prefix=prefix,
        rate_multiplier=rate.rate_multiplier,
        landline=landline,
        delivery_receipts=rate.delivery_receipts,
    )


def normalise_phone_number(number: str) -> str:
    """The normalised form (``447700900123``) of any number that parses, ignoring permissions."""
    return validate_phone_number(number, allow_international=True, allow_landline=True).normalised


def is_uk_landline(number: str) -> bool:
    parsed = _parse_leniently(number)
    return parsed.country_code == UK_COUNTRY_CODE and phonenumbers.number_type(parsed) in _LANDLINE_TYPES


def format_phone_number_human_readable(number: str) -> str:
    """``07700 900123`` for UK numbers, ``+1 202-555-0123`` style for the rest."""
    parsed = _parse_leniently(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == UK_COUNTRY_CODE
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(parsed, style))


def _parse_leniently(number: str) -> phonenumbers.PhoneNumber:
    """Parse as Notify does; if that fails, strip every ``+`` and leading zero and try once more.

    The second attempt rescues input like ``0+447700900100``, ``000007700900100`` or
    ``+07700900100`` without ever altering a number that was fine as typed.
    """
    try:
        return _parse(number)
    except InvalidPhoneError:
        return _parse(number.replace("+", "").lstrip("0"))


def _parse(number: str) -> phonenumbers.PhoneNumber:
    text = "".join(" " if char.isspace() or char in _OBSCURE_WHITESPACE else char for char in number)
    if not _ALLOWED_CHARACTERS.fullmatch(text):
        raise InvalidPhoneError(code=PhoneErrorCode.UNKNOWN_CHARACTER)
    if not text.strip():
        raise InvalidPhoneError(code=PhoneErrorCode.TOO_SHORT)
    parsed = _parse_with_library(text, region="GB")
    _raise_unless_supported_country(parsed)

    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != ValidationResult.IS_POSSIBLE:
        forced = _as_forced_international(text)
        if forced is None:
            raise InvalidPhoneError(code=_REASON_TO_CODE.get(reason, PhoneErrorCode.INVALID_NUMBER))
        _raise_unless_supported_country(forced)
        parsed = forced

    if _is_ofcom_drama_number(parsed):
        return parsed
    # Premium rate, toll-free, VoIP, pagers and unassigned ranges all land here.
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.number_type(parsed) not in _ALLOWED_TYPES:
        raise InvalidPhoneError(code=PhoneErrorCode.INVALID_NUMBER)
    return parsed


def _raise_unless_supported_country(parsed: phonenumbers.PhoneNumber) -> None:
    if _billing_prefix(parsed) not in INTERNATIONAL_RATES:
        raise InvalidPhoneError(code=PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE)


def _parse_with_library(text: str, *, region: str | None) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            raise InvalidPhoneError(code=PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE) from error
        if error.error_type == NumberParseException.TOO_LONG:
            raise InvalidPhoneError(code=PhoneErrorCode.TOO_LONG) from error
        if error.error_type in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
            raise InvalidPhoneError(code=PhoneErrorCode.TOO_SHORT) from error
        raise InvalidPhoneError(code=PhoneErrorCode.INVALID_NUMBER) from error


def _as_forced_international(text: str) -> phonenumbers.PhoneNumber | None:
    """Spreadsheets strip the ``+`` or ``00`` of international numbers; try the digits as ``+digits``."""
    digits = "".join(char for char in text if char.isdigit())
    try:
        forced = phonenumbers.parse(f"+{digits}", None)
    except NumberParseException:
        return None
    return forced if phonenumbers.is_possible_number(forced) else None


def _is_ofcom_drama_number(parsed: phonenumbers.PhoneNumber) -> bool:
    return parsed.country_code == UK_COUNTRY_CODE and bool(
        _OFCOM_DRAMA_MOBILE.fullmatch(str(parsed.national_number))
    )


def _billing_prefix(parsed: phonenumbers.PhoneNumber) -> str:
    """The key into the rates table: NANP countries with their own area code use four digits."""
    if parsed.country_code == 1:
        country_and_area = str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))[1:5]
        if country_and_area in INTERNATIONAL_RATES:
            return country_and_area
    return str(parsed.country_code)
