"""The cyclic garbage collector's settings for the platform's long-running processes.

CPython collects the youngest objects every 700 net allocations of containers and, every so often,
all of them: each full collection walks every object the process holds. A service holds hundreds
of thousands from start-up (its framework, Avro schemas, SQLAlchemy, phone-number metadata) that
live as long as it does, so under load most of the collector's work is walking those again and
again: py-spy (``--native``) put 31 % of the api-gateway's CPU in ``gc_collect_main``.

``started()``, called once a service is up, moves every object alive then into the permanent
generation (``gc.freeze``: never walked again, nor freed) and lets more allocations pass between
young collections. Garbage made later, cycles included, is still collected.
"""

from __future__ import annotations

import gc

# Net container allocations between young collections (CPython's default: 700). Each request or
# batch allocates thousands; collecting every 700 found most of them still in use and moved them
# on to the older generations, whose collections then walked them again.
YOUNG_THRESHOLD = 20_000


def started() -> None:
    """Freeze what start-up built and make young collections rarer (see the module docstring)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
