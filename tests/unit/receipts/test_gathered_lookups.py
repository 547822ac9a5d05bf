"""Receipt requests that look their notifications up in the table at the same time share queries:
at most two run at once, the ids asked for meanwhile go together in the next, and each request
gets exactly its own notifications; a failed query fails each of its requests, and a request that
stops waiting leaves the others their answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from notify_common.errors import DependencyUnavailableError
from notify_receipts.domain import Known
from notify_receipts.gathered import GatheredLookups


def known(nid: str) -> Known:
    return Known(nid, "service", "mmg", nid, datetime(2026, 12, 5, tzinfo=UTC), {})


class Table:
    """Holds every id but those starting ``missing``; each query waits until released."""

    def __init__(self) -> None:
        self.queries: list[list[str]] = []
        self.release = asyncio.Event()
        self.running = 0
        self.most_running = 0
        self.fail: Exception | None = None

    async def look_up(self, ids: list[str]) -> dict[str, Known]:
        self.queries.append(ids)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await self.release.wait()
        finally:
            self.running -= 1
        if self.fail is not None:
            raise self.fail
        return {nid: known(nid) for nid in ids if not nid.startswith("missing")}


async def test_concurrent_requests_share_at_most_two_queries_at_once_and_get_their_own_rows() -> None:
    table = Table()
    lookups = GatheredLookups(table.look_up, most_at_once=2)
    asks = [[f"n{i}", f"missing{i}"] for i in range(30)]
    waiting = [asyncio.ensure_future(lookups.known(ids)) for ids in asks]
    await asyncio.sleep(0.01)
    table.release.set()
    answers = await asyncio.gather(*waiting)
    assert answers == [{f"n{i}": known(f"n{i}")} for i in range(30)]
    assert table.most_running <= 2
    assert len(table.queries) <= 3  # the first ask's own query, then the rest gathered
    assert sorted(nid for query in table.queries for nid in query) == sorted(n for ids in asks for n in ids)


async def test_ids_asked_for_while_queries_run_wait_together_for_the_next() -> None:
    table = Table()
    lookups = GatheredLookups(table.look_up, most_at_once=1)
    first = asyncio.ensure_future(lookups.known(["a"]))
    await asyncio.sleep(0.01)  # the first query is running
    later = [asyncio.ensure_future(lookups.known([nid])) for nid in ("b", "c", "d")]
    await asyncio.sleep(0.01)
    table.release.set()
    assert await first == {"a": known("a")}
    assert [await each for each in later] == [{"b": known("b")}, {"c": known("c")}, {"d": known("d")}]
    assert table.queries == [["a"], ["b", "c", "d"]]


async def test_a_failed_query_is_the_failure_of_each_request_in_it() -> None:
    table = Table()
    table.fail = DependencyUnavailableError("database unavailable")
    lookups = GatheredLookups(table.look_up)
    waiting = [asyncio.ensure_future(lookups.known([nid])) for nid in ("a", "b")]
    await asyncio.sleep(0.01)
    table.release.set()
    for each in waiting:
        with pytest.raises(DependencyUnavailableError):
            await each
    table.fail = None
    assert await lookups.known(["c"]) == {"c": known("c")}  # the next query is made afresh


async def test_a_request_that_stops_waiting_leaves_the_others_their_answer() -> None:
    table = Table()
    lookups = GatheredLookups(table.look_up)
    gone = asyncio.ensure_future(lookups.known(["a"]))
    staying = asyncio.ensure_future(lookups.known(["b"]))
    await asyncio.sleep(0.01)
    gone.cancel()
    table.release.set()
    assert await staying == {"b": known("b")}
    assert gone.cancelled()


async def test_asking_for_nothing_makes_no_query() -> None:
    table = Table()
    assert await GatheredLookups(table.look_up).known([]) == {}
    assert table.queries == []
