"""Notification status words (Notify's vocabulary) and the precedence that keeps status monotonic.

A notification only moves forward: a late, duplicated or reordered event whose status ranks no
higher than the current one changes nothing, so ``delivered`` is never overwritten by ``sending``.
Final statuses all share the top rank: the first final status wins, as in Notify. The projector
applies the same table in SQL (``notify_status_rank``), and a test checks the two agree.
"""

from __future__ import annotations

CREATED = "created"
SENDING = "sending"
PENDING = "pending"
SENT = "sent"
DELIVERED = "delivered"
TECHNICAL_FAILURE = "technical-failure"
TEMPORARY_FAILURE = "temporary-failure"
PERMANENT_FAILURE = "permanent-failure"
PENDING_VIRUS_CHECK = "pending-virus-check"
VALIDATION_FAILED = "validation-failed"
VIRUS_SCAN_FAILED = "virus-scan-failed"
RETURNED_LETTER = "returned-letter"
CANCELLED = "cancelled"

FINAL_RANK = 10

STATUS_RANK: dict[str, int] = {
    PENDING_VIRUS_CHECK: 0,
    CREATED: 1,
    SENDING: 2,
    PENDING: 3,
    SENT: 4,
    DELIVERED: FINAL_RANK,
    TECHNICAL_FAILURE: FINAL_RANK,
    TEMPORARY_FAILURE: FINAL_RANK,
    PERMANENT_FAILURE: FINAL_RANK,
    VALIDATION_FAILED: FINAL_RANK,
    VIRUS_SCAN_FAILED: FINAL_RANK,
    RETURNED_LETTER: FINAL_RANK,
    CANCELLED: FINAL_RANK,
}

COMPLETED = frozenset(s for s, rank in STATUS_RANK.items() if rank == FINAL_RANK) | {SENT}

FAILURE_KIND_TO_STATUS: dict[str, str] = {
    "technical_failure": TECHNICAL_FAILURE,
    "temporary_failure": TEMPORARY_FAILURE,
    "permanent_failure": PERMANENT_FAILURE,
    "validation_failed": VALIDATION_FAILED,
    "virus_scan_failed": VIRUS_SCAN_FAILED,
    "returned_letter": RETURNED_LETTER,
    "cancelled": CANCELLED,
}


def advances(current: str | None, new: str) -> bool:
    """Whether moving from ``current`` to ``new`` is a step forward (and so should apply)."""
    if current is None:
        return True
    return STATUS_RANK[new] > STATUS_RANK[current]


def rank_sql_function() -> str:
    """The SQL definition of ``notify_status_rank(text)``, generated from ``STATUS_RANK``."""
    whens = " ".join(f"WHEN '{status}' THEN {rank}" for status, rank in STATUS_RANK.items())
    return (
        "CREATE OR REPLACE FUNCTION notify_status_rank(status text) RETURNS integer "
        f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE status {whens} ELSE -1 END $$"
    )


# The public API's words for statuses (https://docs.notifications.service.gov.uk/rest-api.html):
# what a letter shows instead of its internal status, and the words a list may be filtered by that
# stand for several internal statuses.
LETTER_STATUS_FOR_API = {
    CREATED: "accepted",
    SENDING: "accepted",
    DELIVERED: "received",
    RETURNED_LETTER: "received",
}
FAILED_STATUSES = (
    TECHNICAL_FAILURE,
    TEMPORARY_FAILURE,
    PERMANENT_FAILURE,
    VALIDATION_FAILED,
    VIRUS_SCAN_FAILED,
    RETURNED_LETTER,
)
# The public words that stand for several internal statuses (Notify's ``substitute_status``).
STATUS_SUBSTITUTES: dict[str, tuple[str, ...]] = {
    "accepted": (CREATED, SENDING),
    "received": (DELIVERED, RETURNED_LETTER),
    "failed": ("failed", *FAILED_STATUSES),
}


def internal_statuses(words: list[str]) -> list[str]:
    """The internal statuses the public words ``words`` stand for, each once, in order."""
    out: list[str] = []
    for word in words:
        for status in STATUS_SUBSTITUTES.get(word, (word,)):
            if status not in out:
                out.append(status)
    return out
