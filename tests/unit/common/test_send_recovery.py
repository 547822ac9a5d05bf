"""Recovering in-doubt claims with fakes: the provider's status lookup decides when there is one,
a receipt within the window otherwise, and only a message the provider never saw (or that nothing
can confirm) is sent again. And settlements that meet an unavailable database are written again
until they land."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from notify_common.errors import RetryableError
from notify_common.send_claims import Claim, Hold, Settlement, Settler
from notify_common.send_recovery import FakeHandovers, FakeReceipts, Recovery


def in_doubt(nid: str, provider: str = "mmg") -> Claim:
    return Claim(nid, "acquired", provider=provider, in_doubt=True)


async def test_the_provider_status_lookup_decides_whether_an_in_doubt_message_is_sent_again() -> None:
    mmg = FakeHandovers(has={"a"})
    recovery = Recovery(FakeReceipts(), lookups={"mmg": mmg}, window_s=0)
    verdicts = await recovery.decide([in_doubt("a"), in_doubt("b")])
    assert verdicts == {"a": "at-provider", "b": "not-at-provider"}
    assert mmg.asked == [["a", "b"]]


async def test_claims_not_in_doubt_get_no_verdict_and_ask_nobody() -> None:
    mmg = FakeHandovers(has={"a"})
    fresh = Claim("a", "acquired", provider="mmg")
    decided = Claim("b", "sent", provider="mmg", in_doubt=False)
    assert await Recovery(None, lookups={"mmg": mmg}).decide([fresh, decided]) == {}
    assert mmg.asked == []


async def test_without_a_lookup_a_receipt_within_the_window_means_the_provider_had_it() -> None:
    receipts = FakeReceipts(arriving={"a": 2})
    recovery = Recovery(receipts, window_s=5, poll_s=0.01)
    assert await recovery.decide([in_doubt("a", "sns")]) == {"a": "receipt"}
    assert receipts.polls == 2


async def test_without_a_lookup_or_a_receipt_the_message_is_unconfirmed_after_the_window() -> None:
    receipts = FakeReceipts()
    recovery = Recovery(receipts, window_s=0.05, poll_s=0.01)
    assert await recovery.decide([in_doubt("a", "sns")]) == {"a": "unconfirmed"}
    assert receipts.polls >= 2


async def test_a_failed_lookup_waits_for_receipts_then_defers_instead_of_resending() -> None:
    mmg = FakeHandovers(has={"a"}, fail_with=RetryableError("status lookup answered 503"))
    recovery = Recovery(FakeReceipts(arriving={"a": 1}), lookups={"mmg": mmg}, window_s=1, poll_s=0.01)
    assert await recovery.decide([in_doubt("a"), in_doubt("b")]) == {"a": "receipt", "b": "deferred"}


async def test_asking_providers_can_be_skipped_for_messages_that_never_reached_them() -> None:
    mmg = FakeHandovers(has={"a"})
    recovery = Recovery(None, lookups={"mmg": mmg}, window_s=0)
    assert await recovery.decide([in_doubt("a")], ask_providers=False) == {"a": "unconfirmed"}
    assert mmg.asked == []


class FlakyStore:
    """Fails its first ``failures`` writes as an unavailable database does."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.writes: list[list[str]] = []

    async def settle(self, settlements: Sequence[Settlement]) -> None:
        self.writes.append([s.notification_id for s in settlements])
        if len(self.writes) <= self.failures:
            raise RetryableError("claims database unavailable: OperationalError")


async def test_a_settlement_that_meets_an_unavailable_database_is_written_again_until_it_lands() -> None:
    store = FlakyStore(failures=3)
    settler = Settler(store, retry_delay_s=0.001, max_retry_delay_s=0.01)  # type: ignore[arg-type]
    await asyncio.wait_for(settler.settle(Settlement("a", "sent", provider="mmg")), timeout=10)
    assert store.writes == [["a"]] * 4


async def test_a_settlement_error_that_is_not_about_availability_is_raised() -> None:
    class BrokenStore:
        async def settle(self, settlements: Sequence[Settlement]) -> None:
            raise ValueError("bad settlement")

    with pytest.raises(ValueError, match="bad settlement"):
        await Settler(BrokenStore()).settle(Settlement("a", "sent"))  # type: ignore[arg-type]


def test_a_hold_vouches_for_a_lease_only_while_half_of_it_is_left_and_renewal_extends_it() -> None:
    start = time.monotonic()
    fresh = Claim("a", "acquired", held_until=start + 10)
    ending = Claim("b", "acquired", held_until=start + 4)
    hold = Hold([fresh, ending, Claim("c", "busy")], lease_s=10)
    assert (hold.secure("a"), hold.secure("b"), hold.secure("c")) == (True, False, False)
    hold.renewed(time.monotonic())
    assert hold.secure("b")
