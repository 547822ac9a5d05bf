"""What every fault case checks once its load is over, and the lines it prints: a sentence, and the
same numbers as a row of the table in docs/reliability.md, "The fault suite" (``| ... |``, in that
table's columns), so the table can be filled from a run's output (``make test-faults``, or
``.venv/bin/pytest tests/faults/<file> -q -s``: ``grep '^| `test_'``)."""

from __future__ import annotations

import os
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
    injected: str = "",
) -> str:
    """Asserts: every answer within the bound; refusals only 503 with ``Retry-After`` (or another
    status in ``refusals``, such as 429 where a limit applies); every send due from ``recovered_by``
    seconds into the load accepted; every accepted id delivered in the projection (none lost, none
    stuck); no reference handed to a provider twice. ``back_at`` is the monotonic time the failed
    dependency or process was back; the line gives the time from then, and from the end of the
    load, until every accepted notification was delivered in the projection. ``injected`` says how
    the fault was made (for the table's row). Prints the sentence and the row (also when a check
    fails, so a failed run's numbers are seen whole); returns the sentence."""
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
    print(
        table_row(
            fault,
            injected,
            load,
            lost=final.get("(no row)", 0),
            stuck=sum(n for s, n in final.items() if s not in ("delivered", "(no row)")),
            twice=max(len(twice), duplicates),
            delivered_after=settled - back_at,
        )
    )
    assert load.max_latency < ANSWER_BOUND_S, load.summary()
    bad = [a for a in load.refused() if a.status not in refusals or (a.status == 503 and not a.retry_after)]
    assert bad == [], bad[:5]
    late = [a for a in load.answers if a.due >= recovered_by]
    assert late, "the load ended before the platform had to have recovered"
    # What the late refusals said tells the machine apart from the platform: the api-gateway's load
    # shedding ("Too many requests are in progress") on a machine too busy for the load, or a
    # dependency still unavailable.
    late_refusals = Counter(a.error or f"status {a.status}" for a in late if a.status != 201)
    assert not late_refusals, f"{load.timeline()}\nrefused from {recovered_by:.0f} s: {dict(late_refusals)}"
    assert final == {"delivered": len(accepted)}, (line, final)
    assert set(accepted) <= set(given), line
    assert twice == [], line
    assert duplicates == 0, line
    return line


def table_row(
    fault: str, injected: str, load: LoadResult, *, lost: int, stuck: int, twice: int, delivered_after: float
) -> str:
    """The run as a row of docs/reliability.md's fault table: file, fault, how injected, sends,
    accepted, other answers, max API latency, lost, stuck, sent twice, recovery."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    file = os.path.basename(current.split("::", 1)[0]) if current else "?"
    others = Counter(a.status for a in load.refused())
    other = ", ".join(f"{n:,} × {status or 'no answer'}" for status, n in sorted(others.items())) or "none"
    last_refused = max((a.due for a in load.refused()), default=None)
    if last_refused is None:
        again = "none refused"
    else:
        later = [a.due for a in load.answers if a.due > last_refused]
        again = f"accepted again from {min(later):.0f} s" if later else "still refusing at the end"
    cells = (
        f"`{file}`",
        fault,
        injected or "?",
        f"{len(load.answers):,}",
        f"{len(load.accepted):,}",
        other,
        f"{load.max_latency:.1f} s",
        str(lost),
        str(stuck),
        str(twice),
        f"{again}; all delivered {delivered_after:.0f} s after the fault ended",
    )
    return "| " + " | ".join(cells) + " |"
