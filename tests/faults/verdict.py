"""What every fault case checks once its load is over, and the one line it prints (the table in
docs/reliability.md, "The fault suite", is made of these lines)."""

from __future__ import annotations

import time
from collections import Counter

from tests.faults.load import LoadResult
from tests.faults.settle import handed_over, repeated_handovers, wait_for_final

# No request may wait longer than this for its answer, whatever the fault (the API's own bounds are
# 5 s for Kafka's acknowledgement, 2.5 s for PostgreSQL and 0.5 s for Redis).
ANSWER_BOUND_S = 10.0
SETTLE_TIMEOUT_S = 180.0


def check_fault_run(
    fault: str,
    load: LoadResult,
    *,
    database_url: str,
    simulator_url: str,
    back_at: float,
    recovered_by: float,
    refusals: frozenset[int] = frozenset({503}),
) -> str:
    """Asserts: every answer within the bound; refusals only 503 with ``Retry-After`` (or another
    status in ``refusals``, such as 429 where a limit applies); every send due from ``recovered_by``
    seconds into the load accepted; every accepted id delivered in the projection (none lost, none
    stuck); no reference handed to a provider twice. ``back_at`` is the monotonic time the failed
    dependency or process was back; the line gives the time from then, and from the end of the
    load, until every accepted notification was delivered in the projection. Returns the line."""
    assert load.max_latency < ANSWER_BOUND_S, load.summary()
    bad = [a for a in load.refused() if a.status not in refusals or (a.status == 503 and not a.retry_after)]
    assert bad == [], bad[:5]
    late = [a for a in load.answers if a.due >= recovered_by]
    assert late, "the load ended before the platform had to have recovered"
    assert all(a.status == 201 for a in late), load.timeline()

    accepted = load.accepted
    load_ended = time.monotonic()
    final = wait_for_final(database_url, accepted, "delivered", timeout=SETTLE_TIMEOUT_S)
    settled = time.monotonic()
    given = handed_over(simulator_url)
    twice = [ref for ref, n in given.items() if n > 1]
    duplicates = repeated_handovers(simulator_url)
    others = Counter(a.status for a in load.refused())
    line = (
        f"FAULT {fault}: {len(load.answers)} sends, {len(accepted)} accepted, "
        f"other answers {dict(others) or 'none'}, max API latency {load.max_latency:.1f} s, "
        f"lost {final.get('(no row)', 0)}, "
        f"stuck {sum(n for s, n in final.items() if s not in ('delivered', '(no row)'))}, "
        f"sent twice {len(twice)} (simulator duplicates {duplicates}), "
        f"all delivered {settled - back_at:.0f} s after it was back ({settled - load_ended:.0f} s after the load)"
    )
    print(line)
    assert final == {"delivered": len(accepted)}, (line, final)
    assert set(accepted) <= set(given), line
    assert twice == [], line
    assert duplicates == 0, line
    return line
