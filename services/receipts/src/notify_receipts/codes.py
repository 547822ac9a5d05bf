"""Provider receipt codes mapped to Notify statuses, as data (reference §3.1)."""

from __future__ import annotations

DELIVERED = "delivered"
PERMANENT = "permanent_failure"
TEMPORARY = "temporary_failure"
PENDING = "pending"
TECHNICAL = "technical_failure"

# MMG: the ``status`` field decides.
MMG_STATUS = {"3": DELIVERED, "2": PERMANENT, "5": PERMANENT, "4": TEMPORARY}

# Firetext: ``status`` decides, and for failures the ``code`` tells permanent from temporary.
FIRETEXT_STATUS = {"0": DELIVERED, "1": PERMANENT, "2": PENDING}
FIRETEXT_PERMANENT_CODES = frozenset({"101", "201", "301", "401"})
FIRETEXT_TEMPORARY_CODES = frozenset({"000", "102", "103", "104", "302", "900"})


def mmg_outcome(status: str) -> str:
    """The outcome of an MMG receipt; an unknown status is a technical failure, as in Notify."""
    return MMG_STATUS.get(status.strip(), TECHNICAL)


def firetext_outcome(status: str, code: str | None) -> str:
    outcome = FIRETEXT_STATUS.get(status.strip(), TECHNICAL)
    if outcome == PERMANENT and code is not None and code.strip() in FIRETEXT_TEMPORARY_CODES:
        return TEMPORARY
    return outcome
