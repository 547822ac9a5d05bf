"""Postal address validation and normalisation for letters, with GOV.UK Notify's rules.

An address is 3–7 lines. Its last line is a real UK postcode, a BFPO line, or (for services allowed
to send international letters) a country. Trailing "United Kingdom"-like lines are dropped, UK
postcodes are re-formatted as ``OUTWARD INWARD`` and countries are printed by their canonical name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from notify_common.recipients.countries import UNITED_KINGDOM, Country, PostageZone, find_country
from notify_common.recipients.errors import (
    ADDRESS_BFPO_WITH_COUNTRY,
    ADDRESS_FIRST_TWO_LINES_NOT_ALPHANUMERIC,
    ADDRESS_INVALID_FIRST_CHARACTER,
    ADDRESS_NO_FIXED_ABODE,
    ADDRESS_NOT_A_UK_POSTCODE,
    ADDRESS_NOT_A_UK_POSTCODE_OR_COUNTRY,
    ADDRESS_TOO_FEW_LINES,
    ADDRESS_TOO_MANY_LINES,
    InvalidAddressError,
)

MIN_LINES = 3
MAX_LINES = 7
INVALID_FIRST_CHARACTERS = tuple('@()=[]"\\/,<>~')

# Royal Mail postcode areas: the letters that start a UK postcode.
# fmt: off
_POSTCODE_AREAS = (
    "AB", "AL", "B", "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "BX", "CA", "CB",
    "CF", "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT",
    "DY", "E", "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP",
    "HR", "HS", "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "GIR", "LA",
    "LD", "LE", "LL", "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR",
    "NW", "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG",
    "SK", "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ",
    "TR", "TS", "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
)
# fmt: on
_UK_POSTCODE = re.compile(rf"(?:{'|'.join(_POSTCODE_AREAS)})[0-9][0-9A-Z]?[0-9][A-BD-HJLNP-UW-Z]{{2}}")
_BFPO_LINE = re.compile(r"bfpo\s*(?:c/o)?\s*(\d+)?", re.IGNORECASE)
_NO_FIXED_ABODE = re.compile(r"no fixed (?:abode|address)", re.IGNORECASE)
_ALPHANUMERIC = re.compile(r"[a-zA-Z0-9]")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.:;!?])")

_ADDRESS_KEYS = tuple(f"addressline{number}" for number in range(1, 8))


@dataclass(frozen=True)
class PostalAddress:
    """A valid address, normalised for printing: ``lines`` is what goes on the envelope."""

    lines: tuple[str, ...]
    postcode: str | None
    international: bool
    postage_zone: PostageZone
    country: str = UNITED_KINGDOM
    bfpo_number: int | None = None

    @property
    def as_single_line(self) -> str:
        return ", ".join(self.lines)


def validate_postal_address(lines: list[str], *, allow_international: bool = False) -> PostalAddress:
    """Normalise ``lines`` into a ``PostalAddress``, or raise ``InvalidAddressError``.

    Checks run in the order the API reports them: line count, the first two lines, the last line
    (postcode / country / BFPO), the first character of each line, and "no fixed abode".
    """
    cleaned = _clean_lines(lines)
    bfpo_number, without_bfpo = _extract_bfpo(cleaned)
    without_uk, country = _split_country(without_bfpo)
    international = not country.is_uk

    postcode = None if international or not without_uk else format_postcode(without_uk[-1])
    if international:
        normalised = [*without_uk, *_bfpo_lines(bfpo_number), country.name]
    elif postcode:
        normalised = [*without_uk[:-1], postcode, *_bfpo_lines(bfpo_number)]
    else:
        normalised = [*without_uk, *_bfpo_lines(bfpo_number)]

    if len(normalised) < MIN_LINES:
        raise InvalidAddressError(ADDRESS_TOO_FEW_LINES)
    if len(normalised) > MAX_LINES:
        raise InvalidAddressError(ADDRESS_TOO_MANY_LINES)
    if not all(_ALPHANUMERIC.search(line) for line in normalised[:2]):
        raise InvalidAddressError(ADDRESS_FIRST_TWO_LINES_NOT_ALPHANUMERIC)
    if bfpo_number is not None and international:
        raise InvalidAddressError(ADDRESS_BFPO_WITH_COUNTRY)
    last_line_is_valid = (
        (international and allow_international) or postcode is not None or bfpo_number is not None
    )
    if not last_line_is_valid:
        raise InvalidAddressError(
            ADDRESS_NOT_A_UK_POSTCODE_OR_COUNTRY if allow_international else ADDRESS_NOT_A_UK_POSTCODE
        )
    if any(line.startswith(INVALID_FIRST_CHARACTERS) for line in normalised):
        raise InvalidAddressError(ADDRESS_INVALID_FIRST_CHARACTER)
    if any(line.casefold() == "nfa" for line in normalised) or _NO_FIXED_ABODE.search("\n".join(normalised)):
        raise InvalidAddressError(ADDRESS_NO_FIXED_ABODE)

    return PostalAddress(
        lines=tuple(normalised),
        postcode=postcode,
        international=international,
        postage_zone=country.postage_zone,
        country=country.name,
        bfpo_number=bfpo_number,
    )


def address_lines_from_personalisation(personalisation: Mapping[str, object]) -> list[str]:
    """The address lines of a letter request: ``address_line_1``..``7``, non-empty, in order.

    Keys match ignoring case, spaces, ``_`` and ``-``. The legacy ``postcode`` key is the last line
    unless ``address_line_7`` is given (then ``postcode`` is ignored, as in Notify).
    """
    by_key = {_personalisation_key(key): value for key, value in personalisation.items()}
    keys = list(_ADDRESS_KEYS) if "addressline7" in by_key else [*_ADDRESS_KEYS[:6], "postcode"]
    values = (by_key.get(key) for key in keys)
    return [str(value).strip() for value in values if value is not None and str(value).strip()]


def is_a_real_uk_postcode(postcode: str) -> bool:
    return _UK_POSTCODE.fullmatch(_normalise_postcode(postcode)) is not None


def format_postcode(postcode: str) -> str | None:
    """``sw1a1aa`` → ``SW1A 1AA``; None when it is not a real UK postcode."""
    normalised = _normalise_postcode(postcode)
    if not _UK_POSTCODE.fullmatch(normalised):
        return None
    return f"{normalised[:-3]} {normalised[-3:]}"


def _normalise_postcode(postcode: str) -> str:
    return "".join(postcode.split()).upper()


def _personalisation_key(key: str) -> str:
    return "".join(char for char in key.lower() if char not in " _-")


def _clean_lines(lines: list[str]) -> list[str]:
    cleaned = []
    for given in lines:
        for line in str(given).splitlines():
            tidy = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(line.split())).rstrip(" ,")
            if tidy:
                cleaned.append(tidy)
    return cleaned


def _extract_bfpo(lines: list[str]) -> tuple[int | None, list[str]]:
    """Find the "BFPO 1234" line; every BFPO line is removed and re-added in a standard form."""
    matches = [_BFPO_LINE.fullmatch(line.strip()) for line in lines]
    numbers = [match.group(1) for match in matches if match and match.group(1)]
    if not numbers:
        return None, lines
    return int(numbers[0]), [line for line, match in zip(lines, matches, strict=True) if not match]


def _bfpo_lines(bfpo_number: int | None) -> list[str]:
    return [] if bfpo_number is None else [f"BFPO {bfpo_number}"]


def _split_country(lines: list[str]) -> tuple[list[str], Country]:
    """Drop trailing UK lines ("England", "United Kingdom"); take a foreign country off the end."""
    remaining = list(lines)
    while remaining and (country := find_country(remaining[-1])) is not None and country.is_uk:
        remaining.pop()
    if remaining and (country := find_country(remaining[-1])) is not None:
        return remaining[:-1], country
    return remaining, Country(name=UNITED_KINGDOM, postage_zone="uk")
