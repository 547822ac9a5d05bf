"""Email addresses are validated and normalised as GOV.UK Notify does."""

from __future__ import annotations

import pytest

from notify_common.recipients import (
    InvalidEmailError,
    InvalidRecipientError,
    email_address_for_sending,
    is_simulated_recipient,
    outcome_for_test_key,
    validate_email_address,
)


@pytest.mark.parametrize(
    ("address", "normalised"),
    [
        ("email@example.com", "email@example.com"),
        ("Email@Example.COM", "email@example.com"),
        ("  email@example.com  ", "email@example.com"),
        ("\u200bemail@example.com\ufeff", "email@example.com"),
        ("\u00a0email@example.com\t\n", "email@example.com"),
        ("firstname.lastname@example.com", "firstname.lastname@example.com"),
        ("firstname.o'surname@example.com", "firstname.o'surname@example.com"),
        ("firstname+tag@example.com", "firstname+tag@example.com"),
        ("firstname-lastname@example.com", "firstname-lastname@example.com"),
        ("email@subdomain.example.co.uk", "email@subdomain.example.co.uk"),
        ("email@123.123.123.com", "email@123.123.123.com"),
        ("1234567890@example.com", "1234567890@example.com"),
        ("_______@example.com", "_______@example.com"),
        ("email@example-one.com", "email@example-one.com"),
        ("email@example.museum", "email@example.museum"),
        ("!#$%&'*+/=?^_`{|}~-@example.com", "!#$%&'*+/=?^_`{|}~-@example.com"),
        ("email@xn--bcher-kva.example", "email@xn--bcher-kva.example"),
        ("email@bücher.example", "email@bücher.example"),
        ("email@例え.テスト", "email@例え.テスト"),
    ],
)
def test_valid_addresses_are_returned_stripped_and_lower_cased(address: str, normalised: str) -> None:
    assert validate_email_address(address) == normalised


@pytest.mark.parametrize(
    "address",
    [
        "",
        "plainaddress",
        "@example.com",
        "email.example.com",
        "email@example@example.com",
        '"email"@example.com',
        "email;@example.com",
        "email with space@example.com",
        "email@example",
        "email@example.c",
        "email@example.123",
        "email@-example.com",
        "email@example-.com",
        "email@example..com",
        "email..name@example.com",
        "email@.example.com",
        "email@example.com.",
        "email@example.com (Joe Smith)",
        "Joe Smith <email@example.com>",
        "email@exa_mple.com",
        "email@111.222.333.44444",
        "email@" + "a" * 64 + ".com",
        "a" * 309 + "@example.com",
        "email@" + ".".join(["a" * 60] * 5) + ".com",
    ],
)
def test_invalid_addresses_are_refused_with_the_one_notify_message(address: str) -> None:
    with pytest.raises(InvalidEmailError) as error:
        validate_email_address(address)

    assert error.value.message == "Not a valid email address"
    assert isinstance(error.value, InvalidRecipientError)


def test_the_longest_allowed_address_is_accepted() -> None:
    address = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"

    assert len(address) <= 320
    assert validate_email_address(address) == address


@pytest.mark.parametrize(
    ("address", "for_sending"),
    [
        ("Email@Example.com", "email@example.com"),
        ("email@bücher.example", "email@xn--bcher-kva.example"),
        ("email@例え.テスト", "email@xn--r8jz45g.xn--zckzah"),
    ],
)
def test_only_the_hostname_is_punycode_encoded_for_sending(address: str, for_sending: str) -> None:
    assert email_address_for_sending(address) == for_sending


@pytest.mark.parametrize(
    ("recipient", "simulated"),
    [
        ("simulate-delivered@notifications.service.gov.uk", True),
        ("simulate-delivered-2@notifications.service.gov.uk", True),
        ("simulate-delivered-3@notifications.service.gov.uk", True),
        (" Simulate-Delivered@Notifications.Service.Gov.UK ", True),
        ("simulate-delivered-4@notifications.service.gov.uk", False),
        ("delivered@simulator.notify", False),
        ("someone@example.com", False),
    ],
)
def test_smoke_test_addresses_are_simulated_whatever_their_case(recipient: str, simulated: bool) -> None:
    assert is_simulated_recipient(recipient) is simulated


@pytest.mark.parametrize(
    ("recipient", "outcome"),
    [
        ("delivered@simulator.notify", "delivered"),
        ("perm-fail@simulator.notify", "permanent-failure"),
        ("Temp-Fail@simulator.notify", "temporary-failure"),
        ("someone@example.com", None),
    ],
)
def test_test_key_addresses_choose_the_final_status(recipient: str, outcome: str | None) -> None:
    assert outcome_for_test_key(recipient) == outcome
