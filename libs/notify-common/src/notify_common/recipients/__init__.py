"""Recipient validation: phone numbers, email addresses and postal addresses, as GOV.UK Notify checks them.

Pure functions and frozen values, no I/O. Every refusal is an ``InvalidRecipientError`` whose
``message`` is the exact text the public v2 API returns.
"""

from notify_common.recipients.countries import Country, PostageZone, find_country
from notify_common.recipients.email import email_address_for_sending, validate_email_address
from notify_common.recipients.errors import (
    INTERNATIONAL_NOT_ALLOWED_MESSAGE,
    InternationalNotAllowedError,
    InvalidAddressError,
    InvalidEmailError,
    InvalidPhoneError,
    InvalidRecipientError,
    PhoneErrorCode,
)
from notify_common.recipients.international_rates import INTERNATIONAL_RATES, InternationalRate
from notify_common.recipients.phone import (
    PhoneNumber,
    format_phone_number_human_readable,
    is_uk_landline,
    normalise_phone_number,
    validate_phone_number,
)
from notify_common.recipients.postal import (
    PostalAddress,
    address_lines_from_personalisation,
    format_postcode,
    is_a_real_uk_postcode,
    validate_postal_address,
)
from notify_common.recipients.simulated import (
    SIMULATED_EMAIL_ADDRESSES,
    SIMULATED_SMS_NUMBERS,
    TEST_KEY_OUTCOMES,
    is_simulated_recipient,
    outcome_for_test_key,
)

__all__ = [
    "INTERNATIONAL_NOT_ALLOWED_MESSAGE",
    "INTERNATIONAL_RATES",
    "SIMULATED_EMAIL_ADDRESSES",
    "SIMULATED_SMS_NUMBERS",
    "TEST_KEY_OUTCOMES",
    "Country",
    "InternationalNotAllowedError",
    "InternationalRate",
    "InvalidAddressError",
    "InvalidEmailError",
    "InvalidPhoneError",
    "InvalidRecipientError",
    "PhoneErrorCode",
    "PhoneNumber",
    "PostageZone",
    "PostalAddress",
    "address_lines_from_personalisation",
    "email_address_for_sending",
    "find_country",
    "format_phone_number_human_readable",
    "format_postcode",
    "is_a_real_uk_postcode",
    "is_simulated_recipient",
    "is_uk_landline",
    "normalise_phone_number",
    "outcome_for_test_key",
    "validate_email_address",
    "validate_phone_number",
    "validate_postal_address",
]
