"""Recovering in-doubt claims: deciding whether an earlier attempt's message reached the provider
before sending it again.

A claim is in doubt when the attempt that held it called the provider and never recorded the
outcome: the process died, lost its database between the call and the settle, or the call timed
out (send_claims.py). Sending again blindly would hand the message over twice when the first call
got through, and MMG, Firetext, SNS and SES all deliver a repeat (the recipient gets it twice). So
for every in-doubt claim of a batch the sender asks, in this order:

1. the provider's **status interface**, where it has one (``HandoverLookup``, by reference): the
   provider has the message (``at-provider``) or never saw it (``not-at-provider``);
2. otherwise, or when that lookup fails, it **waits a bounded window** for a receipt
   (``ReceiptLookup``): a delivery receipt for the notification means the provider had it
   (``receipt``); none within the window is ``unconfirmed``, or ``deferred`` when the provider
   has a status interface that could not answer.

``at-provider`` and ``receipt`` are settled as sent with no provider call; ``not-at-provider`` and
``unconfirmed`` are sent again; ``deferred`` is tried again later, still in doubt. The verdict is
kept in the claim's ``recovery`` column and logged with the notification id and provider (nothing
personal).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.send_claims import Claim, _translated

log = logging.getLogger(__name__)

Verdict = Literal["at-provider", "receipt", "not-at-provider", "unconfirmed", "deferred"]
# Verdicts meaning the provider already has the message: settle as sent, call nobody.
HANDED_OVER: frozenset[str] = frozenset({"at-provider", "receipt"})


class HandoverLookup(Protocol):
    """A provider's status interface: which of these references has it been handed?"""

    async def seen(self, references: Sequence[str]) -> set[str]: ...


class ReceiptLookup(Protocol):
    """Which of these notifications has a delivery receipt (any receipt status) been recorded for?"""

    async def received(self, notification_ids: Sequence[str]) -> set[str]: ...


# The statuses only a provider's receipt sets: the receipts service publishes them and the
# projector records them on the notification.
RECEIVED = text("""
SELECT CAST(id AS text) AS id FROM projection_notifications
WHERE id = ANY(CAST(:ids AS uuid[]))
    AND status IN ('delivered', 'permanent-failure', 'temporary-failure')
""")


class ProjectedReceipts:
    """Receipts as the projection has them: what the receipts service learned from the provider."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def received(self, notification_ids: Sequence[str]) -> set[str]:
        async def run() -> set[str]:
            async with self._engine.connect() as conn:
                rows = await conn.execute(RECEIVED, {"ids": list(notification_ids)})
                return {str(r.id) for r in rows}

        return await _translated(run)


class Recovery:
    """Decides the in-doubt claims of a batch (module docstring). ``window_s`` should stay well
    inside the claim lease, so the claim is still ours when the decision is acted on."""

    def __init__(
        self,
        receipts: ReceiptLookup | None,
        *,
        lookups: Mapping[str, HandoverLookup] | None = None,
        window_s: float = 10.0,
        poll_s: float = 0.5,
    ) -> None:
        self._receipts, self._lookups = receipts, dict(lookups or {})
        self._window_s, self._poll_s = window_s, poll_s

    async def decide(self, claims: Sequence[Claim], *, ask_providers: bool = True) -> dict[str, Verdict]:
        """A verdict for every acquired in-doubt claim of ``claims`` (the others are left out).
        ``ask_providers=False`` skips the status interfaces (messages that never went to the
        real provider, such as test-key sends)."""
        doubtful = [c for c in claims if c.state == "acquired" and c.in_doubt]
        if not doubtful:
            return {}
        verdicts: dict[str, Verdict] = {}
        unanswered: set[str] = set()
        if ask_providers:
            unanswered = await self._ask_providers(doubtful, verdicts)
        waiting = [c.notification_id for c in doubtful if c.notification_id not in verdicts]
        for nid in await self._wait_for_receipts(waiting):
            verdicts[nid] = "receipt"
        for c in doubtful:
            fallback: Verdict = "deferred" if c.notification_id in unanswered else "unconfirmed"
            verdict = verdicts.setdefault(c.notification_id, fallback)
            log.info(
                "in-doubt claim recovered",
                extra={"notification_id": c.notification_id, "provider": c.provider, "recovery": verdict},
            )
        return verdicts

    async def _ask_providers(self, doubtful: Sequence[Claim], verdicts: dict[str, Verdict]) -> set[str]:
        """Fills ``verdicts`` from the status lookups; returns the ids whose lookup failed."""
        unanswered: set[str] = set()
        by_provider: dict[str, list[str]] = {}
        for c in doubtful:
            if c.provider in self._lookups:
                by_provider.setdefault(c.provider, []).append(c.notification_id)
        for provider, ids in by_provider.items():
            try:
                seen = await self._lookups[provider].seen(ids)
            except Exception as exc:
                # Fall back to waiting for receipts; never resend just because the lookup failed.
                log.warning(
                    "provider status lookup failed", extra={"provider": provider, "error": type(exc).__name__}
                )
                unanswered.update(ids)
                continue
            for nid in ids:
                verdicts[nid] = "at-provider" if nid in seen else "not-at-provider"
        return unanswered

    async def _wait_for_receipts(self, ids: list[str]) -> set[str]:
        if not ids or self._receipts is None:
            return set()
        found: set[str] = set()
        deadline = time.monotonic() + self._window_s
        while True:
            found |= await self._receipts.received([i for i in ids if i not in found])
            if len(found) == len(ids) or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(min(self._poll_s, max(0.0, deadline - time.monotonic())))


@dataclass
class FakeHandovers:
    """A status lookup for tests: ``has`` the references the provider took; fails on demand."""

    has: set[str] = field(default_factory=set)
    fail_with: Exception | None = None
    asked: list[list[str]] = field(default_factory=list)

    async def seen(self, references: Sequence[str]) -> set[str]:
        self.asked.append(list(references))
        if self.fail_with is not None:
            raise self.fail_with
        return self.has & set(references)


@dataclass
class FakeReceipts:
    """Receipts for tests: ``arriving`` maps a notification id to how many polls its receipt takes."""

    arriving: dict[str, int] = field(default_factory=dict)
    polls: int = 0

    async def received(self, notification_ids: Sequence[str]) -> set[str]:
        self.polls += 1
        return {n for n in notification_ids if n in self.arriving and self.arriving[n] <= self.polls}
