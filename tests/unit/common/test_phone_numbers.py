"""Phone numbers are validated and normalised as GOV.UK Notify does."""

from __future__ import annotations

import phonenumbers
import pytest

from notify_common.recipients import (
    InternationalNotAllowedError,
    InvalidPhoneError,
    InvalidRecipientError,
    PhoneErrorCode,
    format_phone_number_human_readable,
    is_simulated_recipient,
    is_uk_landline,
    normalise_phone_number,
    outcome_for_test_key,
    validate_phone_number,
)

NOT_VALID = "Number is not valid – double check the phone number you entered"


@pytest.mark.parametrize(
    "number",
    [
        "07700900123",
        "07700 900123",
        "07700 900 123",
        "07700-900-123",
        "(07700) 900123",
        "+447700900123",
        "+44 7700 900123",
        "+44 (0) 7700 900123",
        "(+44) (0) 7700 900123",
        "0044 7700 900123",
        "00447700900123",
        "447700900123",
        "7700900123",
        " 07700900123 ",
        "07700\u00a0900123",
        "07700\u200b900123",
        "07700\t900123",
    ],
)
def test_uk_mobile_numbers_in_any_common_format_normalise_to_digits_with_country_code(number: str) -> None:
    phone = validate_phone_number(number, allow_international=False)

    assert phone.normalised == "447700900123"
    assert phone.international is False
    assert phone.country_prefix == "44"
    assert phone.rate_multiplier == 1
    assert phone.landline is False


@pytest.mark.parametrize(
    "number",
    ["0+447700900100", "000007700900100", "+07700900100", "0+44(0)7700900100", "+0447700900100"],
)
def test_near_valid_numbers_with_stray_plus_signs_and_zeros_are_rescued(number: str) -> None:
    assert validate_phone_number(number).normalised == "447700900100"


@pytest.mark.parametrize(
    ("number", "normalised"),
    [
        ("07912 345678", "447912345678"),
        ("+44 7912 345678", "447912345678"),
        ("07123 456789", "447123456789"),
        ("07012 345678", "447012345678"),  # personal number, sendable like a mobile
    ],
)
def test_real_uk_mobile_ranges_are_accepted(number: str, normalised: str) -> None:
    assert validate_phone_number(number, allow_international=False).normalised == normalised


@pytest.mark.parametrize(
    "number", ["07700 900000", "07700 900001", "07700 900500", "07700900999", "+447700900111"]
)
def test_ofcom_drama_numbers_are_allowed_although_libphonenumber_calls_them_invalid(number: str) -> None:
    assert not phonenumbers.is_valid_number(phonenumbers.parse(number, "GB"))

    phone = validate_phone_number(number, allow_international=False)

    assert phone.normalised.startswith("447700900")
    assert phone.international is False


def test_a_number_just_outside_the_drama_range_is_not_valid() -> None:
    with pytest.raises(InvalidPhoneError) as error:
        validate_phone_number("07700 901000")

    assert error.value.message == NOT_VALID


@pytest.mark.parametrize(
    ("number", "normalised", "prefix", "multiplier"),
    [
        ("+33 6 12 34 56 78", "33612345678", "33", 2),
        ("0033 6 12 34 56 78", "33612345678", "33", 2),
        ("33612345678", "33612345678", "33", 2),  # the "+" a spreadsheet stripped
        ("+1 (202) 555-0123", "12025550123", "1", 1),
        ("+1 441 295 1234", "14412951234", "1441", 3),  # Bermuda: its own NANP area code
        ("+7 912 345 67 89", "79123456789", "7", 4),
        ("+49 1512 3456789", "4915123456789", "49", 4),
        ("+353 85 123 4567", "353851234567", "353", 3),
        ("+61 412 345 678", "61412345678", "61", 2),
        ("+91 98765 43210", "919876543210", "91", 3),
        ("+41 79 123 45 67", "41791234567", "41", 2),
        ("+20 100 123 4567", "201001234567", "20", 3),
    ],
)
def test_international_numbers_carry_their_billing_prefix_and_rate_multiplier(
    number: str, normalised: str, prefix: str, multiplier: int
) -> None:
    phone = validate_phone_number(number, allow_international=True)

    assert (phone.normalised, phone.country_prefix, phone.rate_multiplier) == (normalised, prefix, multiplier)
    assert phone.international is True


@pytest.mark.parametrize(
    ("number", "receipts"),
    [("+33 6 12 34 56 78", True), ("+1 (202) 555-0123", False), ("+56 9 6123 4567", False)],
)
def test_countries_without_delivery_receipts_are_flagged(number: str, receipts: bool) -> None:
    assert validate_phone_number(number).delivery_receipts is receipts


@pytest.mark.parametrize("number", ["07797 123456", "+44 7781 123456", "07624 123456"])
def test_crown_dependency_numbers_count_as_uk_for_permission_but_international_for_billing(
    number: str,
) -> None:
    phone = validate_phone_number(number, allow_international=False)

    assert phone.international is True
    assert phone.country_prefix == "44"
    assert phone.rate_multiplier == 1


@pytest.mark.parametrize(
    ("number", "kwargs", "message"),
    [
        ("07700 9001a3", {}, "Must not contain letters or symbols"),
        ("07700900123!", {}, "Must not contain letters or symbols"),
        ("0800-GOV-UK", {}, "Must not contain letters or symbols"),
        ("07700.900.123", {}, "Must not contain letters or symbols"),
        ("", {}, "Not enough digits"),
        ("   ", {}, "Not enough digits"),
        ("0770", {}, "Not enough digits"),
        ("+33 6 12", {}, "Not enough digits"),
        ("0770090012345", {}, "Too many digits"),
        ("+44 7700 900 1234", {}, "Too many digits"),
        ("07700900123456789", {}, "Too many digits"),
        ("+800 1234 5678", {}, "Not a valid country prefix"),
        ("06123 456789", {}, NOT_VALID),
        ("0800 123 4567", {"allow_landline": True}, NOT_VALID),
        ("05612 345678", {"allow_landline": True}, NOT_VALID),
        ("+44 7640 123456", {}, NOT_VALID),
        ("020 7946 0000", {}, "Not a UK mobile number"),
        ("0117 496 0123", {}, "Not a UK mobile number"),
        ("0300 123 4567", {}, "Not a UK mobile number"),
        ("+33 6 12 34 56 78", {"allow_international": False}, "Cannot send to international mobile numbers"),
        ("+1 (202) 555-0123", {"allow_international": False}, "Cannot send to international mobile numbers"),
    ],
)
def test_each_refusal_carries_the_legacy_v2_api_message(
    number: str, kwargs: dict[str, bool], message: str
) -> None:
    with pytest.raises(InvalidPhoneError) as error:
        validate_phone_number(number, **kwargs)

    assert error.value.message == message
    assert str(error.value) == message


@pytest.mark.parametrize("number", ["09098 765432", "0845 123 4567", "+44 9098 765432"])
def test_premium_rate_numbers_are_refused_even_with_the_landline_permission(number: str) -> None:
    with pytest.raises(InvalidPhoneError) as error:
        validate_phone_number(number, allow_landline=True, allow_international=True)

    assert error.value.message == NOT_VALID


@pytest.mark.parametrize(
    ("number", "normalised"),
    [("020 7946 0000", "442079460000"), ("0117 496 0123", "441174960123"), ("0300 123 4567", "443001234567")],
)
def test_uk_landlines_are_accepted_with_the_landline_permission(number: str, normalised: str) -> None:
    phone = validate_phone_number(number, allow_landline=True, allow_international=False)

    assert phone.normalised == normalised
    assert phone.landline is True


def test_international_refusal_is_its_own_error_so_the_api_can_report_a_bad_request() -> None:
    with pytest.raises(InternationalNotAllowedError) as error:
        validate_phone_number("+33 6 12 34 56 78", allow_international=False)

    assert error.value.code is PhoneErrorCode.NOT_A_UK_MOBILE
    assert error.value.ui_message.startswith("This does not look like a UK mobile number")


@pytest.mark.parametrize(
    ("number", "code", "ui_message"),
    [
        ("0770090012345", PhoneErrorCode.TOO_LONG, "Mobile number is too long"),
        ("0770", PhoneErrorCode.TOO_SHORT, "Mobile number is too short"),
        (
            "07700 9001a3",
            PhoneErrorCode.UNKNOWN_CHARACTER,
            "Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -",
        ),
        (
            "+800 1234 5678",
            PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE,
            "Country code not found - double check the mobile number you entered",
        ),
    ],
)
def test_errors_also_carry_a_code_and_the_ui_wording(
    number: str, code: PhoneErrorCode, ui_message: str
) -> None:
    with pytest.raises(InvalidPhoneError) as error:
        validate_phone_number(number)

    assert error.value.code is code
    assert error.value.ui_message == ui_message


def test_phone_errors_are_recipient_errors_and_value_errors() -> None:
    with pytest.raises(InvalidRecipientError):
        validate_phone_number("not a number")
    with pytest.raises(ValueError, match="Must not contain letters or symbols"):
        validate_phone_number("not a number")


def test_normalising_ignores_permissions() -> None:
    assert normalise_phone_number("020 7946 0000") == "442079460000"
    assert normalise_phone_number("+33 6 12 34 56 78") == "33612345678"


@pytest.mark.parametrize(
    ("recipient", "simulated"),
    [
        ("+447700900000", True),
        ("07700 900000", True),
        ("07700900111", True),
        ("+44 7700 900222", True),
        ("07700900333", False),
        ("07700900001", False),
        ("07912345678", False),
        ("not a number", False),
    ],
)
def test_smoke_test_numbers_are_simulated_in_any_format(recipient: str, simulated: bool) -> None:
    assert is_simulated_recipient(recipient) is simulated


@pytest.mark.parametrize(
    ("recipient", "outcome"),
    [
        ("07700900001", "delivered"),
        ("+447700900002", "permanent-failure"),
        ("07700 900003", "temporary-failure"),
        ("07700900004", None),
    ],
)
def test_test_key_numbers_choose_the_final_status(recipient: str, outcome: str | None) -> None:
    assert outcome_for_test_key(recipient) == outcome


@pytest.mark.parametrize(
    ("number", "readable"),
    [
        ("447700900123", "07700 900123"),
        ("+44 20 7946 0000", "020 7946 0000"),
        ("+33612345678", "+33 6 12 34 56 78"),
        ("12025550123", "+1 202-555-0123"),
    ],
)
def test_numbers_format_for_people_nationally_in_the_uk_and_internationally_elsewhere(
    number: str, readable: str
) -> None:
    assert format_phone_number_human_readable(number) == readable


@pytest.mark.parametrize(
    ("number", "landline"),
    [("020 7946 0000", True), ("0300 123 4567", True), ("07700900123", False), ("+33 1 23 45 67 89", False)],
)
def test_uk_landlines_are_recognised(number: str, landline: bool) -> None:
    assert is_uk_landline(number) is landline
