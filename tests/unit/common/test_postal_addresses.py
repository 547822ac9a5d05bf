"""Letter addresses are validated and normalised as GOV.UK Notify does."""

from __future__ import annotations

import pytest

from notify_common.recipients import (
    InvalidAddressError,
    address_lines_from_personalisation,
    format_postcode,
    validate_postal_address,
)

FIRST_TWO_LINES = "The first 2 lines of the address must both include at least one alphanumeric character"
BAD_FIRST_CHARACTER = (
    "Address lines must not start with any of the following characters: @ ( ) = [ ] ” \\ / , < >"
)
POSTCODE_OR_COUNTRY = "Last line of address must be a real UK postcode or another country"


@pytest.mark.parametrize(
    ("lines", "normalised", "postcode"),
    [
        (["1 High Street", "London", "SW1A 1AA"], ("1 High Street", "London", "SW1A 1AA"), "SW1A 1AA"),
        (["1 High Street", "London", "sw1a1aa"], ("1 High Street", "London", "SW1A 1AA"), "SW1A 1AA"),
        (["1 High Street", "London", " s w 1 a 1 a a "], ("1 High Street", "London", "SW1A 1AA"), "SW1A 1AA"),
        (
            ["1 High Street", "London", "SW1A 1AA", "United Kingdom"],
            ("1 High Street", "London", "SW1A 1AA"),
            "SW1A 1AA",
        ),
        (
            ["1 High Street", "Leeds", "LS1 1AA", "England", "UK"],
            ("1 High Street", "Leeds", "LS1 1AA"),
            "LS1 1AA",
        ),
        (
            ["  1   High Street, ", "London ,", "", "SW1A 1AA"],
            ("1 High Street", "London", "SW1A 1AA"),
            "SW1A 1AA",
        ),
        (
            ["Flat 1 , 2 High St", "London", "SW1A 1AA"],
            ("Flat 1, 2 High St", "London", "SW1A 1AA"),
            "SW1A 1AA",
        ),
        (["1 High Street\nLondon", "SW1A 1AA"], ("1 High Street", "London", "SW1A 1AA"), "SW1A 1AA"),
        (["1 Rue", "St Helier", "JE2 3AB", "Jersey"], ("1 Rue", "St Helier", "JE2 3AB"), "JE2 3AB"),
        (["Santa", "North Pole", "xm4 5hq"], None, None),
        (["A", "B", "C", "D", "E", "F", "M1 1AE"], ("A", "B", "C", "D", "E", "F", "M1 1AE"), "M1 1AE"),
    ],
)
def test_uk_addresses_are_normalised_with_a_formatted_postcode(
    lines: list[str], normalised: tuple[str, ...] | None, postcode: str | None
) -> None:
    if normalised is None:  # XM4 5HQ is Santa's famous postcode, but XM is not a real postcode area
        with pytest.raises(InvalidAddressError):
            validate_postal_address(lines)
        return

    address = validate_postal_address(lines)

    assert address.lines == normalised
    assert address.postcode == postcode
    assert address.international is False
    assert address.postage_zone == "uk"


@pytest.mark.parametrize(
    ("lines", "last_line", "zone"),
    [
        (["1 Rue de Rivoli", "75001 Paris", "France"], "France", "europe"),
        (["1 Rue de Rivoli", "75001 Paris", "FRANCE"], "France", "europe"),
        (["Hauptstrasse 1", "10115 Berlin", "Germany"], "Germany", "europe"),
        (["1 Main Street", "Dublin", "Republic of Ireland"], "Ireland", "europe"),
        (["1 Dam", "Amsterdam", "the Netherlands"], "Netherlands", "europe"),
        (["1 Av. da Liberdade", "Lisboa", "Portugal"], "Portugal", "europe"),
        (["1 Main Street", "Springfield", "USA"], "United States", "rest-of-world"),
        (["1 Main Street", "Springfield", "United States of America"], "United States", "rest-of-world"),
        (["1 George Street", "Sydney NSW 2000", "Australia"], "Australia", "rest-of-world"),
        (["1 Gangnam-daero", "Seoul", "south korea"], "South Korea", "rest-of-world"),
        (["1 Rue", "Abidjan", "Côte d'Ivoire"], "Ivory Coast", "rest-of-world"),
        (["1 Calle", "Santa Cruz", "Canary Islands"], "Canary Islands", "europe"),
    ],
)
def test_international_addresses_end_with_the_canonical_country_and_its_postage_zone(
    lines: list[str], last_line: str, zone: str
) -> None:
    address = validate_postal_address(lines, allow_international=True)

    assert address.lines[-1] == last_line
    assert address.country == last_line
    assert address.international is True
    assert address.postcode is None
    assert address.postage_zone == zone


@pytest.mark.parametrize(
    ("lines", "normalised", "postcode"),
    [
        (["Cpl A Smith", "Unit 1", "BFPO 1234"], ("Cpl A Smith", "Unit 1", "BFPO 1234"), None),
        (["Cpl A Smith", "Unit 1", "bfpo  1234"], ("Cpl A Smith", "Unit 1", "BFPO 1234"), None),
        (["Cpl A Smith", "Unit 1", "BFPO c/o 567"], ("Cpl A Smith", "Unit 1", "BFPO 567"), None),
        (
            ["Cpl A Smith", "Unit 1", "BF1 4AA", "BFPO 1234"],
            ("Cpl A Smith", "Unit 1", "BF1 4AA", "BFPO 1234"),
            "BF1 4AA",
        ),
    ],
)
def test_bfpo_addresses_end_with_a_standard_bfpo_line(
    lines: list[str], normalised: tuple[str, ...], postcode: str | None
) -> None:
    address = validate_postal_address(lines)

    assert address.lines == normalised
    assert address.postcode == postcode
    assert address.bfpo_number is not None
    assert address.postage_zone == "uk"


@pytest.mark.parametrize(
    ("lines", "allow_international", "message"),
    [
        (["1 High Street", "SW1A 1AA"], False, "Address must be at least 3 lines"),
        (["1 High Street", "London", "United Kingdom"], False, "Address must be at least 3 lines"),
        (["", "  ", ","], False, "Address must be at least 3 lines"),
        ([*"ABCDEFG", "SW1A 1AA"], False, "Address must be no more than 7 lines"),
        (["...", "London", "SW1A 1AA"], False, FIRST_TWO_LINES),
        (["1 High Street", "--", "SW1A 1AA"], False, FIRST_TWO_LINES),
        (
            ["Cpl A Smith", "Unit 1", "BFPO 1234", "France"],
            True,
            "The last line of a BFPO address must not be a country.",
        ),
        (["1 High Street", "London", "Not a postcode"], False, "Must be a real UK postcode"),
        (["1 High Street", "London", "SW1A 1AAA"], False, "Must be a real UK postcode"),
        (["1 Rue de Rivoli", "75001 Paris", "France"], False, "Must be a real UK postcode"),
        (["1 High Street", "London", "Not a postcode"], True, POSTCODE_OR_COUNTRY),
        (["@1 High Street", "London", "SW1A 1AA"], False, BAD_FIRST_CHARACTER),
        (["1 High Street", "London", "(Flat 2)", "SW1A 1AA"], False, BAD_FIRST_CHARACTER),
        (["1 High Street", "London", '"Rose Cottage"', "SW1A 1AA"], False, BAD_FIRST_CHARACTER),
        (["1 High Street", "London", "=SUM(A1)", "SW1A 1AA"], False, BAD_FIRST_CHARACTER),
        (["1 High Street", "London", "~home", "SW1A 1AA"], False, BAD_FIRST_CHARACTER),
        (["A Person", "NFA", "London", "SW1A 1AA"], False, "Must be a real address"),
        (["A Person", "nfa", "London", "SW1A 1AA"], False, "Must be a real address"),
        (["A Person", "No Fixed Abode", "London", "SW1A 1AA"], False, "Must be a real address"),
        (["A Person", "no fixed address", "SW1A 1AA"], False, "Must be a real address"),
    ],
)
def test_each_refusal_carries_the_api_message(
    lines: list[str], allow_international: bool, message: str
) -> None:
    with pytest.raises(InvalidAddressError) as error:
        validate_postal_address(lines, allow_international=allow_international)

    assert error.value.message == message


@pytest.mark.parametrize(
    ("personalisation", "lines"),
    [
        (
            {"address_line_1": "A Person", "address_line_2": "1 High Street", "postcode": "SW1A 1AA"},
            ["A Person", "1 High Street", "SW1A 1AA"],
        ),
        (
            {
                "Address Line 1": "A Person",
                "ADDRESS-LINE-2": "1 High St",
                "addressline3": "London",
                "Post_Code": "N1 1AA",
            },
            ["A Person", "1 High St", "London", "N1 1AA"],
        ),
        (
            {"address_line_1": "A", "address_line_7": "SW1A 1AA", "postcode": "IGNORED"},
            ["A", "SW1A 1AA"],
        ),
        (
            {"address_line_3": "C", "address_line_1": "A", "address_line_2": None, "address_line_4": "  "},
            ["A", "C"],
        ),
        (
            {"address_line_1": 10, "address_line_2": "Downing Street", "name": "not an address line"},
            ["10", "Downing Street"],
        ),
        ({}, []),
    ],
)
def test_address_lines_come_from_personalisation_keys_matched_loosely(
    personalisation: dict[str, object], lines: list[str]
) -> None:
    assert address_lines_from_personalisation(personalisation) == lines


def test_address_lines_from_personalisation_validate_into_an_address() -> None:
    lines = address_lines_from_personalisation(
        {
            "address_line_1": "A Person",
            "address_line_2": "1 High Street",
            "address_line_3": "London",
            "postcode": "sw1a 1aa",
        }
    )

    assert validate_postal_address(lines).as_single_line == "A Person, 1 High Street, London, SW1A 1AA"


@pytest.mark.parametrize(
    ("postcode", "formatted"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("m11ae", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("w1a0ax", "W1A 0AX"),
        ("BT1 1AA", "BT1 1AA"),
        ("XX1 1AA", None),
        ("SW1A 1AAA", None),
        ("SW1A 1CA", None),  # C never appears in the inward code's letters
        ("1AA SW1A", None),
        ("", None),
    ],
)
def test_postcodes_are_checked_against_real_areas_and_formatted_outward_space_inward(
    postcode: str, formatted: str | None
) -> None:
    assert format_postcode(postcode) == formatted
