"""The rules of organisations, as GOV.UK Notify has them (docs/organisations.md gives the sources):
the organisation types with their names and the free text message allowance each gives a service
per financial year, the daily limits of a service in trial mode, and which organisation an email
address belongs to by its domain. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable

TYPE_LABELS = {
    "central": "Central government",
    "local": "Local government",
    "nhs_central": "NHS – central government agency or public body",
    "nhs_local": "NHS Trust or Integrated Care Board",
    "nhs_gp": "GP surgery",
    "emergency_service": "Emergency service",
    "school_or_college": "School or college",
    "other": "Other",
}
ORGANISATION_TYPES = tuple(TYPE_LABELS)

# Free text message fragments a service gets each financial year, by the year the figures apply
# from (the latest year not after the one asked about; earlier years take the earliest figures).
FREE_SMS_ALLOWANCES: dict[int, dict[str, int]] = {
    2024: {
        "central": 30_000,
        "nhs_central": 30_000,
        "local": 10_000,
        "nhs_local": 10_000,
        "emergency_service": 10_000,
        "school_or_college": 5_000,
        "other": 5_000,
        "nhs_gp": 0,
    },
    2026: {
        "central": 20_000,
        "nhs_central": 20_000,
        "local": 10_000,
        "nhs_local": 10_000,
        "emergency_service": 10_000,
        "school_or_college": 5_000,
        "other": 5_000,
        "nhs_gp": 0,
    },
}

# A trial-mode service's daily limits; Notify's are the same for every organisation type.
TRIAL_LIMITS = {"sms": 50, "email": 50, "letter": 50, "international_sms": 100}

_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class RuleError(ValueError):
    """A value the rules refuse, with a message for people."""


def checked_type(organisation_type: str) -> str:
    if organisation_type not in TYPE_LABELS:
        raise RuleError(f"organisation_type must be one of {', '.join(ORGANISATION_TYPES)}")
    return organisation_type


def free_sms_allowance(organisation_type: str, financial_year: int) -> int:
    """The free text message fragments a service of an organisation of this type gets in the
    financial year starting 1 April ``financial_year``."""
    checked_type(organisation_type)
    applicable = [year for year in FREE_SMS_ALLOWANCES if year <= financial_year]
    chosen = max(applicable) if applicable else min(FREE_SMS_ALLOWANCES)
    return FREE_SMS_ALLOWANCES[chosen][organisation_type]


def trial_limits(organisation_type: str) -> dict[str, int]:
    checked_type(organisation_type)
    return dict(TRIAL_LIMITS)


def normalised_domain(given: str) -> str:
    """A domain as stored: lower case, without a leading "@" or surrounding dots and spaces, and
    ".gsi.gov.uk" read as ".gov.uk" (as Notify reads old government addresses)."""
    domain = given.strip().lower().lstrip("@").strip(".")
    if domain.endswith(".gsi.gov.uk"):
        domain = domain.removesuffix(".gsi.gov.uk") + ".gov.uk"
    if not _DOMAIN.match(domain):
        raise RuleError("Enter a domain like example.gov.uk")
    return domain


def matching_domain(email_address: str, domains: Iterable[str]) -> str | None:
    """The domain (of ``domains``) an email address belongs to: the address is at the domain or at
    one of its subdomains; the longest such domain wins."""
    address = email_address.strip().lower()
    if address.endswith(".gsi.gov.uk"):
        address = address.removesuffix(".gsi.gov.uk") + ".gov.uk"
    for domain in sorted(domains, key=len, reverse=True):
        if address.endswith((f"@{domain}", f".{domain}")):
            return domain
    return None
