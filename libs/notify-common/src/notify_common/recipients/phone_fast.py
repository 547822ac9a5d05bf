"""A fast path for the phone numbers bulk files are made of: UK mobiles written the usual ways.

``validate_phone_number`` parses every number with libphonenumber, which costs about 100 µs: most
of the time of checking or splitting a 100,000-row CSV. Almost every row of such a file is a UK
mobile written as ``07700 900123``, ``07700900123``, ``+44 7700 900123``, ``447700900123`` or
``0044 7700 900123``. For those, libphonenumber's answer depends only on the 10-digit national
number ``7xxxxxxxxx``, and in fact only on its first 7 digits: every GB, GG, IM and JE pattern
that can match a 10-digit number starting with 7 is a fixed prefix of at most 7 digits followed by
``\\d{n}`` (the longest is Ofcom's drama range ``7700900``; tests/unit/common/test_phone_fast_path.py checks
this against the installed metadata, and compares this path with the full one on generated input).

So ``FastPhoneValidator`` recognises those spellings with one regular expression, and remembers,
per 7-digit prefix, what the full validation said about the first number it saw with that prefix
(valid mobile or not, UK or Crown Dependency for billing). Anything else, and any prefix whose
numbers are refused, goes through ``validate_phone_number`` itself, so errors are always the full
path's. The answer is the same as ``validate_phone_number``'s for every input.

``checked_phone_number`` adds a small memory of the numbers last parsed, for a request that asks
about the same number more than once (the public API: its JSON Schema format, then the send).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from notify_common.recipients.errors import InternationalNotAllowedError, InvalidPhoneError, PhoneErrorCode
from notify_common.recipients.phone import PhoneNumber, validate_phone_number

# Only ASCII digits and spaces, an optional "+": the spellings checked against libphonenumber.
_UK_MOBILE = re.compile(r"(?:\+44|0044|44|0)?(7[0-9]{9})")
PREFIX_DIGITS = 7
_MAX_REMEMBERED = 100_000


@dataclass(frozen=True)
class _Verdict:
    international: bool
    country_prefix: str
    rate_multiplier: int
    landline: bool
    delivery_receipts: bool


class FastPhoneValidator:
    """``validate(number, ...)`` gives what ``validate_phone_number`` gives, faster for UK mobiles.

    One instance per file (or per process): it remembers verdicts per number prefix, for the
    permissions it was created with.
    """

    def __init__(self, *, allow_international: bool = True, allow_landline: bool = False) -> None:
        self._allow_international = allow_international
        self._allow_landline = allow_landline
        self._verdicts: dict[str, _Verdict | None] = {}

    def validate(self, number: str) -> PhoneNumber:
        match = _UK_MOBILE.fullmatch(number.replace(" ", "")) if number.isascii() else None
        if match is None:
            return self._full(number)
        national = match.group(1)
        prefix = national[:PREFIX_DIGITS]
        verdict = self._verdicts.get(prefix, _MISSING)
        if verdict is _MISSING:
            return self._learn(number, national, prefix)
        if verdict is None:  # numbers with this prefix are refused: let the full path say why
            return self._full(number)
        return PhoneNumber(
            normalised="44" + national,
            international=verdict.international,
            country_prefix=verdict.country_prefix,
            rate_multiplier=verdict.rate_multiplier,
            landline=verdict.landline,
            delivery_receipts=verdict.delivery_receipts,
        )

    def _full(self, number: str) -> PhoneNumber:
        return validate_phone_number(
            number, allow_international=self._allow_international, allow_landline=self._allow_landline
        )

    def _learn(self, number: str, national: str, prefix: str) -> PhoneNumber:
        if len(self._verdicts) >= _MAX_REMEMBERED:
            self._verdicts.clear()
        try:
            phone = self._full(number)
        except Exception:
            self._verdicts[prefix] = None
            raise
        same = phone.normalised == "44" + national
        self._verdicts[prefix] = (
            _Verdict(
                phone.international,
                phone.country_prefix,
                phone.rate_multiplier,
                phone.landline,
                phone.delivery_receipts,
            )
            if same
            else None
        )
        return phone


_MISSING = _Verdict(False, "", 0, False, False)


# Numbers parsed recently (a request's schema check and its send, a few requests apart).
PHONE_CACHE_SIZE = 256
_PHONES: dict[str, PhoneNumber] = {}
# validate_phone_number(..., allow_international=True, allow_landline=True), without parsing a UK
# mobile whose 7-digit prefix it has already judged (the same answers).
_MOST_PERMISSIVE = FastPhoneValidator(allow_international=True, allow_landline=True)


def checked_phone_number(number: str, *, allow_international: bool, allow_landline: bool) -> PhoneNumber:
    """``validate_phone_number(number, allow_international=..., allow_landline=...)``, parsing the
    number only once however many times a request asks (schema format, then send).

    The permissions only refuse what parsing found: a number outside +44 without international
    permission, then a UK landline without landline permission; everything else about the result
    (and every parse error) is the same whatever the permissions, so the parse of the most permissive
    call is kept and the two refusals applied to it, exactly as ``validate_phone_number`` does."""
    found = _PHONES.get(number)
    if found is None:
        found = _MOST_PERMISSIVE.validate(number)
        if len(_PHONES) >= PHONE_CACHE_SIZE:
            del _PHONES[next(iter(_PHONES))]
        _PHONES[number] = found
    if found.country_prefix != "44" and not allow_international:
        raise InternationalNotAllowedError()
    if found.landline and not allow_landline:
        raise InvalidPhoneError(code=PhoneErrorCode.NOT_A_UK_MOBILE)
    return found
