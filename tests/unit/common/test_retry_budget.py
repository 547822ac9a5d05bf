"""How long a notification whose provider calls keep failing is retried before it is a technical
failure: about four hours for texts and emails, as GOV.UK Notify retries ``deliver_sms`` and
``deliver_email`` 48 times 5 minutes apart, so an outage of every provider delays messages but
fails none unless it lasts that long."""

from __future__ import annotations

from itertools import accumulate

import pytest

from notify_common.kafka import RetryPolicy
from notify_email_sender.settings import EmailSenderSettings
from notify_sms_sender.settings import SmsSenderSettings

FOUR_HOURS = 4 * 3600.0


def policies() -> dict[str, RetryPolicy]:
    sms, email = SmsSenderSettings(), EmailSenderSettings()
    return {
        "sms": RetryPolicy(
            sms.sms_max_attempts, sms.sms_retry_base_delay_seconds, sms.sms_retry_max_delay_seconds
        ),
        "email": RetryPolicy(
            email.email_max_attempts,
            email.email_retry_base_delay_seconds,
            email.email_retry_max_delay_seconds,
        ),
    }


def retry_times(policy: RetryPolicy) -> list[float]:
    """When each retry is due, in seconds after the first attempt failed."""
    return list(accumulate(policy.delay(attempt) for attempt in range(1, policy.max_attempts)))


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_failing_provider_calls_are_retried_for_about_four_hours(channel: str) -> None:
    last_retry = retry_times(policies()[channel])[-1]
    assert FOUR_HOURS <= last_retry < FOUR_HOURS + 600


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_30_second_outage_of_every_provider_spends_a_few_attempts_and_the_next_comes_soon_after(
    channel: str,
) -> None:
    times = retry_times(policies()[channel])
    during = [t for t in times if t <= 30]
    assert len(during) <= 5
    # The first retry after the outage is due within 35 s of its end.
    assert min(t for t in times if t > 30) <= 65
