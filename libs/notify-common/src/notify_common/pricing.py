"""What a text message fragment costs: one rate per financial year, starting each 1 April. The
public API reports it on each text it returns and the admin API bills usage with it, so both read
it from here."""

from __future__ import annotations

from datetime import date

# Pounds per SMS fragment, from the 1 April each rate starts (GOV.UK Notify's rate rose to 2.4p on
# 1 April 2026, https://www.notifications.service.gov.uk/pricing); cost data is indicative, as in Notify.
SMS_RATES: tuple[tuple[date, float], ...] = ((date(2026, 4, 1), 0.024), (date.min, 0.0227))


def sms_rate_on(day: date) -> float:
    return next(rate for start, rate in SMS_RATES if day >= start)
