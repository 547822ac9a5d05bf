"""Once a service has started, what it built at start-up is out of the cyclic garbage collector's
sight and young collections run less often (``notify_common.garbage``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from notify_common.garbage import YOUNG_THRESHOLD, started


@pytest.fixture(autouse=True)
def restore_the_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_after_start_up_what_was_built_is_frozen_and_young_collections_are_rarer() -> None:
    built = [{"a start-up object": i} for i in range(1000)]
    gc.unfreeze()
    started()
    assert gc.get_freeze_count() >= len(built)
    watched = {id(o) for o in gc.get_objects()}
    assert not any(id(b) in watched for b in built)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD > 700


def test_objects_made_after_start_up_are_still_collected() -> None:
    started()
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1
