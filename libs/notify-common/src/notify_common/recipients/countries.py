"""Recognising a country on the last line of a postal address, and its Royal Mail postage zone.

Country names come from ISO 3166 via ``pycountry`` (kept current by its maintainers), with the
synonyms people actually write on envelopes added here. Names are compared ignoring case,
accents, spaces and ``_-'’,.()``, with ``&``/``+`` read as "and" and an optional leading "the".
Jersey, Guernsey and the Isle of Man post as the UK (their postcodes are Royal Mail's).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Literal

import pycountry

PostageZone = Literal["uk", "europe", "rest-of-world"]

UNITED_KINGDOM = "United Kingdom"

_UK_NAMES = (
    "United Kingdom", "United Kingdom of Great Britain and Northern Ireland", "UK", "U.K.", "GB",
    "Great Britain", "Britain", "England", "Scotland", "Wales", "Northern Ireland", "Cymru", "Alba",
    "Jersey", "Guernsey", "Isle of Man", "Channel Islands", "Alderney", "Sark",
)  # fmt: skip

# Royal Mail's "Europe" international zone, by ISO 3166 alpha-2 code.
# fmt: off
_ROYAL_MAIL_EUROPE = frozenset({
    "AL", "AD", "AM", "AT", "AX", "AZ", "BY", "BE", "BA", "BG", "HR", "CY", "CZ", "DK", "EE", "FO",
    "FI", "FR", "GE", "DE", "GI", "GR", "GL", "HU", "IS", "IE", "IT", "KZ", "KG", "LV", "LI", "LT",
    "LU", "MK", "MT", "MD", "MC", "ME", "NL", "NO", "PL", "PT", "RO", "RU", "SM", "RS", "SK", "SI",
    "ES", "SE", "CH", "TJ", "TR", "TM", "UA", "UZ", "VA",
})
# fmt: on

# Places Royal Mail prices as Europe that ISO 3166 does not list as countries.
_EXTRA_EUROPEAN_PLACES = ("Kosovo", "Azores", "Balearic Islands", "Canary Islands", "Corsica", "Madeira")

# The name printed on the envelope where ISO's reference name reads oddly.
_PRINTED_NAMES = {
    "BN": "Brunei", "BO": "Bolivia", "BS": "The Bahamas", "CD": "Congo (Democratic Republic)",
    "CI": "Ivory Coast", "CV": "Cape Verde", "CZ": "Czechia", "FK": "Falkland Islands",
    "FM": "Micronesia", "GM": "The Gambia", "IR": "Iran", "KP": "North Korea", "KR": "South Korea",
    "LA": "Laos", "MD": "Moldova", "MM": "Myanmar (Burma)", "PS": "Occupied Palestinian Territories",
    "RU": "Russia", "SY": "Syria", "TL": "East Timor", "TR": "Turkey", "TW": "Taiwan", "TZ": "Tanzania",
    "VA": "Vatican City", "VE": "Venezuela", "VG": "British Virgin Islands",
    "VI": "United States Virgin Islands", "VN": "Vietnam",
}  # fmt: skip

# Further names people write, mapped to an ISO alpha-2 code.
_SYNONYMS = {
    "USA": "US", "U.S.A.": "US", "US": "US", "America": "US", "United States of America": "US",
    "Holland": "NL", "Republic of Ireland": "IE", "Irish Republic": "IE", "Eire": "IE",
    "Czech Republic": "CZ", "Burma": "MM", "Macedonia": "MK", "Cote d'Ivoire": "CI", "Vatican": "VA",
    "Swaziland": "SZ", "UAE": "AE", "Korea": "KR", "Republic of Korea": "KR", "Russian Federation": "RU",
    "Democratic Republic of the Congo": "CD", "DRC": "CD", "Republic of the Congo": "CG",
    "Turkiye": "TR", "Palestine": "PS", "Hong Kong SAR": "HK", "Macau": "MO",
}  # fmt: skip


@dataclass(frozen=True)
class Country:
    name: str
    postage_zone: PostageZone

    @property
    def is_uk(self) -> bool:
        return self.postage_zone == "uk"


def find_country(line: str) -> Country | None:
    """The country that ``line`` names, or None when it names none."""
    key = _key(line)
    countries = _countries_by_key()
    if key in countries:
        return countries[key]
    if key.startswith("the") and key[3:] in countries:
        return countries[key[3:]]
    return None


def _key(name: str) -> str:
    spelled_out = name.replace("&", "and").replace("+", "and")
    decomposed = unicodedata.normalize("NFKD", spelled_out)
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(char for char in without_accents.casefold() if char not in " _-'’,.()\t")


@cache
def _countries_by_key() -> dict[str, Country]:
    by_code: dict[str, Country] = {}
    names_by_code: dict[str, list[str]] = {}
    for iso in pycountry.countries:
        code = str(iso.alpha_2)
        reference_names = [getattr(iso, name, None) for name in ("name", "common_name", "official_name")]
        names = [str(name) for name in reference_names if name]
        printed = _PRINTED_NAMES.get(code) or getattr(iso, "common_name", None) or str(iso.name)
        zone: PostageZone = "europe" if code in _ROYAL_MAIL_EUROPE else "rest-of-world"
        by_code[code] = Country(name=str(printed), postage_zone=zone)
        names_by_code[code] = [*names, str(printed)]

    countries: dict[str, Country] = {}
    for code, names in names_by_code.items():
        for name in names:
            countries[_key(name)] = by_code[code]
    for synonym, code in _SYNONYMS.items():
        countries[_key(synonym)] = by_code[code]
    for place in _EXTRA_EUROPEAN_PLACES:
        countries[_key(place)] = Country(name=place, postage_zone="europe")
    united_kingdom = Country(name=UNITED_KINGDOM, postage_zone="uk")
    for name in _UK_NAMES:
        countries[_key(name)] = united_kingdom
    return countries
