"""The one tree of recipient validation errors and the exact GOV.UK Notify messages they carry.

    ValueError
    └── InvalidRecipientError                 .message
        ├── InvalidEmailError                 "Not a valid email address"
        ├── InvalidAddressError               letter address messages
        └── InvalidPhoneError                 .code, legacy v2 API message
            └── InternationalNotAllowedError  "Cannot send to international mobile numbers"

The public v2 API reports phone errors with the *legacy* messages ("Not a UK mobile number", ...);
the UI/CSV wording is kept beside them as ``ui_message`` for the admin and bulk-sending code.
"""

from __future__ import annotations

from enum import StrEnum


class InvalidRecipientError(ValueError):
    """A recipient (phone number, email or postal address) that Notify would refuse."""

    default_message = "Not a valid recipient address"

    def __init__(self, message: str | None = None) -> None:
        self.message: str = message or self.default_message
        super().__init__(self.message)


class InvalidEmailError(InvalidRecipientError):
    default_message = "Not a valid email address"


class InvalidAddressError(InvalidRecipientError):
    default_message = "Not a valid postal address"


class PhoneErrorCode(StrEnum):
    INVALID_NUMBER = "invalid_number"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    NOT_A_UK_MOBILE = "not_a_uk_mobile"
    UNKNOWN_CHARACTER = "unknown_character"
    UNSUPPORTED_COUNTRY_CODE = "unsupported_country_code"


# The messages of the public v2 API, which every API client matches on.
LEGACY_V2_API_PHONE_MESSAGES: dict[PhoneErrorCode, str] = {
    PhoneErrorCode.INVALID_NUMBER: "Number is not valid – double check the phone number you entered",
    PhoneErrorCode.TOO_LONG: "Too many digits",
    PhoneErrorCode.TOO_SHORT: "Not enough digits",
    PhoneErrorCode.NOT_A_UK_MOBILE: "Not a UK mobile number",
    PhoneErrorCode.UNKNOWN_CHARACTER: "Must not contain letters or symbols",
    PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE: "Not a valid country prefix",
}

# The wording shown in the admin UI and CSV error reports.
UI_PHONE_MESSAGES: dict[PhoneErrorCode, str] = {
    PhoneErrorCode.INVALID_NUMBER: "Number is not valid – double check the phone number you entered",
    PhoneErrorCode.TOO_LONG: "Mobile number is too long",
    PhoneErrorCode.TOO_SHORT: "Mobile number is too short",
    PhoneErrorCode.NOT_A_UK_MOBILE: (
        "This does not look like a UK mobile number – double check the mobile number you entered"
    ),
    PhoneErrorCode.UNKNOWN_CHARACTER: "Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -",
    PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE: (
        "Country code not found - double check the mobile number you entered"
    ),
}


class InvalidPhoneError(InvalidRecipientError):
    """A phone number Notify refuses; ``message`` is the legacy v2 API wording for ``code``."""

    default_message = LEGACY_V2_API_PHONE_MESSAGES[PhoneErrorCode.INVALID_NUMBER]

    def __init__(
        self, message: str | None = None, *, code: PhoneErrorCode = PhoneErrorCode.INVALID_NUMBER
    ) -> None:
        self.code = code
        super().__init__(message or LEGACY_V2_API_PHONE_MESSAGES[code])

    @property
    def ui_message(self) -> str:
        return UI_PHONE_MESSAGES[self.code]


INTERNATIONAL_NOT_ALLOWED_MESSAGE = "Cannot send to international mobile numbers"


class InternationalNotAllowedError(InvalidPhoneError):
    """A valid non-UK number for a service without the international_sms permission.

    The API answers this with a 400 ``BadRequestError`` (not a schema ``ValidationError``);
    ``code`` stays NOT_A_UK_MOBILE, which is what the UI and CSV checks report.
    """

    def __init__(self) -> None:
        super().__init__(INTERNATIONAL_NOT_ALLOWED_MESSAGE, code=PhoneErrorCode.NOT_A_UK_MOBILE)


# Letter address messages.
ADDRESS_TOO_FEW_LINES = "Address must be at least 3 lines"
ADDRESS_TOO_MANY_LINES = "Address must be no more than 7 lines"
ADDRESS_FIRST_TWO_LINES_NOT_ALPHANUMERIC = (
    "The first 2 lines of the address must both include at least one alphanumeric character"
)
ADDRESS_BFPO_WITH_COUNTRY = "The last line of a BFPO address must not be a country."
ADDRESS_NOT_A_UK_POSTCODE = "Must be a real UK postcode"
ADDRESS_NOT_A_UK_POSTCODE_OR_COUNTRY = "Last line of address must be a real UK postcode or another country"
ADDRESS_INVALID_FIRST_CHARACTER = (
    "Address lines must not start with any of the following characters: @ ( ) = [ ] ” \\ / , < >"
)
ADDRESS_NO_FIXED_ABODE = "Must be a real address"
