"""The provider simulator's own Prometheus series (served at ``/metrics`` like every HTTP service's):
what became of the receipts it posts, and how many it still owes. Labels are a closed set of
outcomes, never a reference or a recipient."""

from __future__ import annotations

import weakref
from typing import Protocol

from prometheus_client import Counter, Gauge

RECEIPT_POSTS = Counter(
    "notify_simulator_receipts_total",
    "Receipt posts by outcome: posted (taken), retried (to be posted again), dropped (given up)",
    ["outcome"],
)
RECEIPTS_OWED = Gauge("notify_simulator_receipts_owed", "Receipts not yet taken by the receipts service")


class _Owing(Protocol):
    @property
    def owed(self) -> int: ...


# The gauge is read from the posters when it is scraped, rather than moved up and down (a lock taken
# and released) twice for every receipt.
_POSTERS: weakref.WeakSet[_Owing] = weakref.WeakSet()
RECEIPTS_OWED.set_function(lambda: float(sum(poster.owed for poster in list(_POSTERS))))


def count_owed(poster: _Owing, counted: bool = True) -> None:
    """Counts what ``poster`` owes in the gauge (or, with ``counted=False``, no longer)."""
    if counted:
        _POSTERS.add(poster)
    else:
        _POSTERS.discard(poster)


_OUTCOMES = {outcome: RECEIPT_POSTS.labels(outcome) for outcome in ("posted", "retried", "dropped")}


def receipt_outcome(outcome: str) -> None:
    _OUTCOMES[outcome].inc()
