"""Simulated recipients: the smoke-test numbers and addresses, and the test-key outcome recipients.

Smoke-test recipients work with any key type: the request is fully validated and gets
a 201 with a fake id, but nothing is persisted or queued and no receipt or callback follows.
Test-key outcome recipients make a test-key notification end in a chosen status.
"""

from __future__ import annotations

from notify_common.recipients.email import validate_email_address
from notify_common.recipients.errors import InvalidRecipientError
from notify_common.recipients.phone import normalise_phone_number

SIMULATED_SMS_NUMBERS = ("+447700900000", "+447700900111", "+447700900222")
SIMULATED_EMAIL_ADDRESSES = (
    "simulate-delivered@notifications.service.gov.uk",
    "simulate-delivered-2@notifications.service.gov.uk",
    "simulate-delivered-3@notifications.service.gov.uk",
)

# Test-key recipients whose notification ends in the given status.
TEST_KEY_OUTCOMES: dict[str, str] = {
    "447700900001": "delivered",
    "447700900002": "permanent-failure",
    "447700900003": "temporary-failure",
    "delivered@simulator.notify": "delivered",
    "perm-fail@simulator.notify": "permanent-failure",
    "temp-fail@simulator.notify": "temporary-failure",
}

_SIMULATED = frozenset(
    [*(number.lstrip("+") for number in SIMULATED_SMS_NUMBERS), *SIMULATED_EMAIL_ADDRESSES]
)


def is_simulated_recipient(recipient: str) -> bool:
    """True for the smoke-test phone numbers and email addresses, in any format that validates."""
    return _normalise(recipient) in _SIMULATED


def outcome_for_test_key(recipient: str) -> str | None:
    """The final status a test-key notification to ``recipient`` should reach, if it is special."""
    return TEST_KEY_OUTCOMES.get(_normalise(recipient) or "")


def _normalise(recipient: str) -> str | None:
    if "@" in recipient:
        try:
            return validate_email_address(recipient)
        except InvalidRecipientError:
            return recipient.strip().lower()
    try:
        return normalise_phone_number(recipient)
    except InvalidRecipientError:
        return None
