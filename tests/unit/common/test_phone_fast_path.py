"""The fast path for UK mobiles in bulk files gives exactly what the full validation gives: the
same number, billing facts and errors, for every spelling, permission and prefix; and the reason it
can remember verdicts per 7-digit prefix holds for the installed libphonenumber metadata."""

from __future__ import annotations

from re import _constants as sre_constants  # type: ignore[attr-defined,unused-ignore]
from re import _parser as sre_parse  # type: ignore[attr-defined,unused-ignore]
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata

from notify_common.recipients import PhoneNumber, validate_phone_number
from notify_common.recipients.phone_fast import PREFIX_DIGITS, FastPhoneValidator

PERMISSIONS = [(i, landline) for i in (True, False) for landline in (True, False)]
UK_REGIONS = ("GB", "GG", "IM", "JE")  # the regions of +44
DESCRIPTIONS = (
    "general_desc",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def outcome(validate: Any, number: str) -> PhoneNumber | tuple[type[Exception], str]:
    try:
        result: PhoneNumber = validate(number)
        return result
    except Exception as exc:  # compared by type and message
        return type(exc), str(exc)


def assert_same(number: str, fast: FastPhoneValidator, international: bool, landline: bool) -> None:
    expected = outcome(
        lambda n: validate_phone_number(n, allow_international=international, allow_landline=landline), number
    )
    assert outcome(fast.validate, number) == expected, number


@pytest.mark.parametrize(("international", "landline"), PERMISSIONS)
@pytest.mark.parametrize(
    "number",
    [
        "07700900123",
        "07700 900123",
        "07700 900 123",
        "+447700900123",
        "+44 7700 900123",
        "447700900123",
        "0044 7700 900123",
        "7700900123",
        "07700900999",  # Ofcom drama range
        "07700901123",  # just outside it
        "07781 123456",  # Guernsey mobile: +44, international for billing
        "07797 123456",  # Jersey
        "07624 123456",  # Isle of Man
        "07624 512345",
        "07457 612345",
        "07911 123456",
        "07911 712345",
        "07000 123456",  # personal number
        "07600 123456",  # pager: refused
        "07640 123456",
        "07400 123456",
        "07987 654321",
        "0770090012",  # too short
        "077009001234",  # too long
        "+4407700900123",
        "020 7946 0000",  # landline
        "+1 202 555 0123",
        "07700-900-123",
        "(07700) 900123",
        "07700\u00a0900123",
        "０７７００９００１２３",  # full-width digits
        "",
        "+",
        "44",
    ],
)
def test_known_spellings_and_ranges_give_what_the_full_validation_gives(
    number: str, international: bool, landline: bool
) -> None:
    fast = FastPhoneValidator(allow_international=international, allow_landline=landline)
    assert_same(number, fast, international, landline)  # learning the prefix
    assert_same(number, fast, international, landline)  # from what was learnt
    twin = number.replace("123", "321")  # same prefix, other digits
    assert_same(twin, fast, international, landline)


spellings = st.sampled_from(["0", "+44", "44", "0044", "", "+44 ", "0 ", "+"])
separators = st.sampled_from(["", " ", "  ", "-", "(", ")"])


@st.composite
def uk_like_numbers(draw: st.DrawFn) -> str:
    national = "7" + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=10)))
    cut = draw(st.integers(min_value=0, max_value=len(national)))
    return draw(spellings) + national[:cut] + draw(separators) + national[cut:]


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    numbers=st.lists(
        st.one_of(uk_like_numbers(), st.text(alphabet="0123456789 +()-7", max_size=16)),
        min_size=1,
        max_size=8,
    ),
    permissions=st.sampled_from(PERMISSIONS),
)
@example(numbers=["07624 000000", "07624 412345", "07624 512345"], permissions=(True, False))
@example(numbers=["07700 900000", "07700 900999", "07700 901000"], permissions=(False, False))
def test_any_sequence_of_numbers_gives_what_the_full_validation_gives(
    numbers: list[str], permissions: tuple[bool, bool]
) -> None:
    international, landline = permissions
    fast = FastPhoneValidator(allow_international=international, allow_landline=landline)
    for number in numbers:
        assert_same(number, fast, international, landline)


def _is_any_digit(item: tuple[Any, Any]) -> bool:
    op, av = item
    if op is sre_constants.IN:
        return av in (
            [(sre_constants.CATEGORY, sre_constants.CATEGORY_DIGIT)],
            [(sre_constants.RANGE, (48, 57))],
        )
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        return len(av[2]) == 1 and _is_any_digit(av[2][0])
    return False


def decided_by(items: list[tuple[Any, Any]], offset: int = 0) -> int:
    """How many leading characters decide whether a pattern matches a number of a given length:
    everything after that point must be "any digits"."""
    if all(_is_any_digit(item) for item in items):
        return offset
    (op, av), rest = items[0], items[1:]
    if op is sre_constants.SUBPATTERN:
        return decided_by(list(av[3]) + rest, offset)
    if op is sre_constants.BRANCH:
        return max(decided_by(list(alternative) + rest, offset) for alternative in av[1])
    if op in (sre_constants.LITERAL, sre_constants.IN):
        return decided_by(rest, offset + 1)
    if op is sre_constants.MAX_REPEAT and av[0] == av[1]:
        return decided_by(list(av[2]) * av[0] + rest, offset)
    raise AssertionError(f"a pattern the fast path cannot reason about: {op} {av}")


def test_every_uk_pattern_is_decided_by_the_first_seven_digits_of_a_number() -> None:
    """What lets the fast path remember a verdict per 7-digit prefix (re-checked on every upgrade
    of the phonenumbers package)."""
    checked = 0
    for region in UK_REGIONS:
        metadata = PhoneMetadata.metadata_for_region(region)
        assert metadata is not None
        patterns = [metadata.leading_digits + r"\d*"] if metadata.leading_digits else []
        for name in DESCRIPTIONS:
            description = getattr(metadata, name)
            if description is not None and description.national_number_pattern:
                patterns.append(description.national_number_pattern)
        for pattern in patterns:
            assert decided_by(list(sre_parse.parse(pattern))) <= PREFIX_DIGITS, (region, pattern)
            checked += 1
    assert checked >= 30
    assert decided_by(list(sre_parse.parse(r"7700900\d{3}"))) == PREFIX_DIGITS  # Ofcom's drama range
    assert decided_by(list(sre_parse.parse(r"7(?:457[0-57-9]|700[01])\d{5}|76245[06]\d{4}"))) == 6
