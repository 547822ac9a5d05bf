"""The provider simulator's own Prometheus series (served at ``/metrics`` like every HTTP service's):
what became of the receipts it posts, and how many it still owes. Labels are a closed set of
outcomes, never a reference or a recipient."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RECEIPT_POSTS = Counter(
    "notify_simulator_receipts_total",
    "Receipt posts by outcome: posted (taken), retried (to be posted again), dropped (given up)",
    ["outcome"],
)
RECEIPTS_OWED = Gauge("notify_simulator_receipts_owed", "Receipts not yet taken by the receipts service")
_OUTCOMES = {outcome: RECEIPT_POSTS.labels(outcome) for outcome in ("posted", "retried", "dropped")}


def receipt_outcome(outcome: str) -> None:
    _OUTCOMES[outcome].inc()
