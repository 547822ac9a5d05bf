"""Sends requested letters: renders (or checks) the PDF, stores it where the API can serve it,
and hands it to the print provider, claimed first so no letter is printed twice (docs/senders.md).

* Templated letters are rendered to PDF; over 10 pages is validation-failed (``letter-too-long``),
  as is a QR code with more data than can be scanned once printed (``qr-code-too-long``).
* Precompiled letters are read from the letters bucket and checked (a real PDF, at most 10 A4
  pages, at most 2 MB); a failed check is validation-failed with the reason.
* Test-key letters are stored but never printed: they are announced sent and delivered at once.
* Others are dropped for print and announced sent, billed by sheets; the printer's answer arrives
  later through the print bucket (responses.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from notify_common import metrics, topics
from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_common.events import (
    Channel,
    Event,
    FailureKind,
    LetterRequested,
    NotificationDelivered,
    NotificationFailed,
    NotificationSentToProvider,
    now,
)
from notify_common.failures import is_dependency_unavailable
from notify_common.kafka import EventProducer, Received
from notify_common.send_claims import Claim, ClaimStore, Hold, Settlement, Settler, unsure
from notify_common.send_recovery import HANDED_OVER, Recovery, Verdict
from notify_common.send_retries import Rescheduler, Retry
from notify_letter_sender.contacts import ContactBlocks
from notify_letter_sender.pdf import MAX_PAGES, LetterContent, QrCodeTooLongError, render_letter
from notify_letter_sender.precompiled import InvalidLetterError, check_precompiled
from notify_letter_sender.storage import LetterStore, letter_key

log = logging.getLogger(__name__)
TEST_KEY = "test"
PRINT_PROVIDER = "dvla"


@dataclass(frozen=True)
class _Outcome:
    events: list[Event] = field(default_factory=list)
    retry: Retry | None = None


@dataclass(frozen=True)
class _Printable:
    pdf: bytes
    pages: int
    source_key: str | None = None  # where a precompiled letter was read from

    @property
    def sheets(self) -> int:
        return (self.pages + 1) // 2


class LetterSender:
    def __init__(
        self,
        claims: ClaimStore,
        producer: EventProducer,
        store: LetterStore,
        contacts: ContactBlocks,
        rescheduler: Rescheduler,
        *,
        recovery: Recovery | None = None,
        concurrency: int = 4,
    ) -> None:
        self._claims, self._settler = claims, Settler(claims)
        # The print drop is the provider's inbox: an in-doubt letter whose drop (or the printer's
        # answer to it) is in the bucket is not dropped again.
        self._recovery = recovery or Recovery(None, lookups={PRINT_PROVIDER: store}, window_s=0)
        self._producer, self._store, self._contacts = producer, store, contacts
        self._rescheduler = rescheduler
        self._slots = asyncio.Semaphore(concurrency)

    async def handle(self, batch: Sequence[Received]) -> None:
        items: dict[str, Received] = {}
        for item in batch:
            if isinstance(item.event, LetterRequested):
                if item.event.notification_id is None:
                    raise PermanentError("LetterRequested without a notification id")
                items.setdefault(item.event.notification_id, item)
        if not items:
            return
        claims = await self._claims.claim(dict.fromkeys(items, PRINT_PROVIDER))
        async with self._claims.holding(list(claims.values())) as hold:
            verdicts = await self._recovery.decide(list(claims.values()))
            outcomes = await asyncio.gather(
                *(self._act(items[nid], claims[nid], verdicts.get(nid), hold) for nid in items)
            )
        events = [e for o in outcomes for e in o.events]
        await self._producer.publish_many((topics.NOTIFICATION_STATUS, e) for e in events)
        await self._rescheduler.send([o.retry for o in outcomes if o.retry is not None])

    async def _act(
        self, item: Received, claim: Claim, verdict: Verdict | None = None, hold: Hold | None = None
    ) -> _Outcome:
        request = item.event
        assert isinstance(request, LetterRequested)
        if verdict in HANDED_OVER:
            reference, sent_at = f"print/{claim.notification_id}", now()
            await self._settler.settle(
                Settlement(
                    claim.notification_id,
                    "sent",
                    provider=PRINT_PROVIDER,
                    reference=reference,
                    sent_at=sent_at,
                    recovery=verdict,
                )
            )
            return _Outcome(self._sent(request, reference, sent_at, pages=None))
        if claim.state == "sent":
            return _Outcome(self._sent(request, claim.reference, claim.sent_at, pages=None))
        if claim.state == "failed":
            kind = FailureKind(claim.failure_kind or FailureKind.TECHNICAL_FAILURE)
            return _Outcome([failed_event(request, kind, claim.failure_reason)])
        if claim.state == "busy":
            return _Outcome(retry=self._rescheduler.while_busy(item, claim.retry_in_s))
        if verdict == "deferred":
            # The print bucket could not be read: look again later, still in doubt.
            await self._settler.settle(
                Settlement(claim.notification_id, None, provider=PRINT_PROVIDER, recovery=verdict)
            )
            return await self._retry_or_fail(item, request, "print drop lookup failed")
        async with self._slots:
            if hold is not None and not hold.secure(claim.notification_id):
                return _Outcome(retry=unsure(self._rescheduler, item, claim, hold))
            return await self._send(item, request, claim, verdict)

    async def _send(
        self, item: Received, request: LetterRequested, claim: Claim, verdict: Verdict | None = None
    ) -> _Outcome:
        nid = claim.notification_id
        ids = {"notification_id": nid, "service_id": request.service_id}
        try:
            letter = await self._printable(request, nid)
            await self._store.store_letter(nid, request.service_id, letter.pdf, letter.source_key)
            if request.key_type == TEST_KEY:
                reference = None
            else:
                manifest = {"postage": request.postage, "pages": letter.pages, "sheets": letter.sheets}
                with metrics.provider_call(PRINT_PROVIDER, "letter"):
                    reference = await self._store.drop_for_print(nid, letter.pdf, manifest)
        except InvalidLetterError as exc:
            log.info("letter failed validation", extra={**ids, "reason": str(exc)})
            return await self._fail(request, FailureKind.VALIDATION_FAILED, str(exc))
        except PermanentError as exc:
            log.warning("letter cannot be sent", extra={**ids, "error": type(exc).__name__})
            return await self._fail(request, FailureKind.TECHNICAL_FAILURE, str(exc))
        except ThrottledError:
            await self._settler.settle(Settlement(nid, None))
            retry = self._rescheduler.after_throttling(item)
            return _Outcome(retry=retry) if retry else await self._retry_or_fail(item, request, "throttled")
        except Exception as exc:
            if not isinstance(exc, RetryableError):
                log.exception("unexpected error sending letter", extra=ids)
            await self._settler.settle(Settlement(nid, None))
            if is_dependency_unavailable(exc):
                # The letters store (or the print bucket) is down: the letter waits, it does not fail.
                log.warning("letter store unavailable", extra={**ids, "error": type(exc).__name__})
                return _Outcome(retry=self._rescheduler.while_unavailable(item))
            return await self._retry_or_fail(item, request, str(exc) or type(exc).__name__)
        sent_at = now()
        await self._settler.settle(
            Settlement(
                nid, "sent", provider=PRINT_PROVIDER, reference=reference, sent_at=sent_at, recovery=verdict
            )
        )
        log.info("letter sent to print" if reference else "test letter stored", extra=ids)
        metrics.sent("letter", request.created_at, sent_at)
        return _Outcome(self._sent(request, reference, sent_at, pages=letter.pages))

    async def _printable(self, request: LetterRequested, nid: str) -> _Printable:
        if request.precompiled:
            key = request.pdf_key or letter_key(nid)
            pdf = await self._store.read(key)
            checked = check_precompiled(pdf)
            return _Printable(pdf, checked.pages, key)
        contact = await self._contacts.of(request)
        content = LetterContent(
            address_lines=request.address_lines,
            heading=request.subject,
            body=request.body,
            contact_block=contact,
            letter_date=request.created_at.date(),
        )
        try:
            rendered = await asyncio.to_thread(render_letter, content)
        except QrCodeTooLongError as exc:
            raise InvalidLetterError(str(exc)) from None
        if rendered.pages > MAX_PAGES:
            raise InvalidLetterError("letter-too-long")
        return _Printable(rendered.data, rendered.pages)

    def _sent(
        self, request: LetterRequested, reference: str | None, sent_at: datetime | None, pages: int | None
    ) -> list[Event]:
        assert request.notification_id is not None
        events: list[Event] = [
            NotificationSentToProvider(
                notification_id=request.notification_id,
                service_id=request.service_id,
                correlation_id=request.correlation_id,
                channel=Channel.LETTER,
                provider=PRINT_PROVIDER,
                provider_reference=reference,
                sent_at=sent_at or now(),
                billable_units=(pages + 1) // 2 if pages is not None else 0,
            )
        ]
        if request.key_type == TEST_KEY:
            events.append(
                NotificationDelivered(
                    notification_id=request.notification_id,
                    service_id=request.service_id,
                    provider=PRINT_PROVIDER,
                    delivered_at=now(),
                    detail="test letter, not printed",
                )
            )
        return events

    async def _retry_or_fail(self, item: Received, request: LetterRequested, reason: str) -> _Outcome:
        if self._rescheduler.budget_left(item):
            return _Outcome(retry=self._rescheduler.after_failure(item, reason[:200]))
        return await self._fail(request, FailureKind.TECHNICAL_FAILURE, f"retries exhausted: {reason}"[:500])

    async def _fail(self, request: LetterRequested, kind: FailureKind, reason: str) -> _Outcome:
        assert request.notification_id is not None
        await self._settler.settle(
            Settlement(
                request.notification_id,
                "failed",
                provider=PRINT_PROVIDER,
                failure_kind=kind,
                failure_reason=reason,
            )
        )
        return _Outcome([failed_event(request, kind, reason)])


def failed_event(request: LetterRequested, kind: FailureKind, reason: str | None) -> NotificationFailed:
    return NotificationFailed(
        notification_id=request.notification_id,
        service_id=request.service_id,
        correlation_id=request.correlation_id,
        failure_kind=kind,
        provider=PRINT_PROVIDER,
        reason=reason,
        failed_at=now(),
    )
