"""The organisation rules as GOV.UK Notify has them: each type's free text message allowance by
financial year, trial-mode limits, and which domain an email address belongs to."""

from __future__ import annotations

import pytest

from notify_admin_api.organisation_rules import (
    ORGANISATION_TYPES,
    RuleError,
    free_sms_allowance,
    matching_domain,
    normalised_domain,
    trial_limits,
)


@pytest.mark.parametrize(
    ("organisation_type", "year", "allowance"),
    [
        ("central", 2024, 30_000),
        ("central", 2025, 30_000),
        ("central", 2026, 20_000),
        ("nhs_central", 2027, 20_000),
        ("local", 2026, 10_000),
        ("nhs_local", 2024, 10_000),
        ("emergency_service", 2026, 10_000),
        ("school_or_college", 2026, 5_000),
        ("other", 2026, 5_000),
        ("nhs_gp", 2026, 0),
        ("central", 2019, 30_000),  # before the earliest figures kept: the earliest
    ],
)
def test_each_type_gives_notifys_free_allowance_for_the_financial_year(
    organisation_type: str, year: int, allowance: int
) -> None:
    assert free_sms_allowance(organisation_type, year) == allowance


def test_an_unknown_type_is_refused_with_the_types_there_are() -> None:
    with pytest.raises(RuleError, match="organisation_type must be one of central, local"):
        free_sms_allowance("council", 2026)


def test_a_trial_service_may_send_50_of_each_kind_a_day_whatever_its_organisation() -> None:
    assert {t: tuple(trial_limits(t).values()) for t in ORGANISATION_TYPES} == dict.fromkeys(
        ORGANISATION_TYPES, (50, 50, 50, 100)
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Example.GOV.UK", "example.gov.uk"),
        ("@example.gov.uk", "example.gov.uk"),
        (" digital.example.gsi.gov.uk ", "digital.example.gov.uk"),
        ("nhs.net", "nhs.net"),
    ],
)
def test_a_domain_is_stored_in_lower_case_without_the_at_sign(given: str, stored: str) -> None:
    assert normalised_domain(given) == stored


@pytest.mark.parametrize(
    "given", ["", "gov", "not a domain", "exa_mple.gov.uk", "-example.gov.uk", "a@b.gov.uk"]
)
def test_what_is_not_a_domain_is_refused(given: str) -> None:
    with pytest.raises(RuleError, match=r"Enter a domain like example\.gov\.uk"):
        normalised_domain(given)


@pytest.mark.parametrize(
    ("address", "found"),
    [
        ("ann@example.gov.uk", "example.gov.uk"),
        ("Ann@Example.Gov.UK", "example.gov.uk"),
        ("ann@digital.example.gov.uk", "digital.example.gov.uk"),  # the longest domain wins
        ("ann@parks.example.gov.uk", "example.gov.uk"),  # a subdomain belongs to its domain
        ("ann@example.gsi.gov.uk", "example.gov.uk"),
        ("ann@badexample.gov.uk", None),  # not a subdomain: only the same ending
        ("ann@example.gov.uk.evil.com", None),
    ],
)
def test_an_address_belongs_to_the_longest_domain_it_is_at_or_below(address: str, found: str | None) -> None:
    assert matching_domain(address, ["example.gov.uk", "digital.example.gov.uk", "nhs.net"]) == found
