"""Sends requested letters: the letter channel's policy for the shared sender loop
(``notify_common.sending``: claim, act, settle, publish or retry; docs/senders.md). The hand-over
renders (or checks) the PDF, stores it where the API can serve it, and drops it for the print
provider; an in-doubt letter whose drop (or the printer's answer to it) is in the print bucket is
not dropped again.

* Templated letters are rendered to PDF, with the service's logo when the request names one
  (logos.py); over 10 pages is validation-failed (``letter-too-long``),
  as is a QR code with more data than can be scanned once printed (``qr-code-too-long``).
* Precompiled letters are read from the letters bucket and checked (a real PDF, at most 10 A4
  pages, at most 2 MB); a failed check is validation-failed with the reason.
* Test-key letters are stored but never printed: they are announced sent and delivered at once.
* Others are dropped for print and announced sent, billed by sheets; the printer's answer arrives
  later through the print bucket (responses.py).
* The letters store or print bucket being down holds a letter back without spending an attempt.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from notify_common import metrics
from notify_common.errors import PermanentError
from notify_common.events import (
    Channel,
    Event,
    FailureKind,
    LetterRequested,
    NotificationDelivered,
    NotificationSentToProvider,
    facts_of,
    now,
)
from notify_common.failures import is_dependency_unavailable
from notify_common.kafka import EventProducer
from notify_common.send_claims import Claim, ClaimStore
from notify_common.send_recovery import Recovery
from notify_common.send_retries import Rescheduler
from notify_common.sending import ChannelPolicy, Handover, Sender
from notify_letter_sender.contacts import ContactBlocks
from notify_letter_sender.logos import LetterLogos
from notify_letter_sender.pdf import MAX_PAGES, LetterContent, QrCodeTooLongError, render_letter
from notify_letter_sender.precompiled import InvalidLetterError, check_precompiled
from notify_letter_sender.storage import LetterStore, letter_key

TEST_KEY = "test"
PRINT_PROVIDER = "dvla"


@dataclass(frozen=True)
class _Printable:
    pdf: bytes
    pages: int
    source_key: str | None = None  # where a precompiled letter was read from

    @property
    def sheets(self) -> int:
        return (self.pages + 1) // 2


class LetterPolicy(ChannelPolicy[LetterRequested]):
    channel = "letter"
    request_type = LetterRequested
    default_provider = PRINT_PROVIDER
    handover_log = "letter sent to print"

    def __init__(self, store: LetterStore, contacts: ContactBlocks, logos: LetterLogos | None = None) -> None:
        self.store, self.contacts, self.logos = store, contacts, logos

    def proposed_provider(self, request: LetterRequested) -> str | None:
        return PRINT_PROVIDER

    def provider_for(self, request: LetterRequested, claim: Claim) -> str:
        return PRINT_PROVIDER

    def recovered_reference(self, claim: Claim) -> str | None:
        return f"print/{claim.notification_id}"

    async def hand_over(self, request: LetterRequested, claim: Claim, provider: str) -> Handover:
        nid = claim.notification_id
        letter = await self._printable(request, nid)
        await self.store.store_letter(nid, request.service_id, letter.pdf, letter.source_key)
        if request.key_type == TEST_KEY:
            return Handover(None, request.created_at, billable_units=letter.sheets)
        manifest = {"postage": request.postage, "pages": letter.pages, "sheets": letter.sheets}
        with metrics.provider_call(PRINT_PROVIDER, "letter"):
            reference = await self.store.drop_for_print(nid, letter.pdf, manifest)
        return Handover(reference, request.created_at, billable_units=letter.sheets)

    def failure_kind(self, exc: Exception) -> FailureKind | None:
        if isinstance(exc, InvalidLetterError):
            return FailureKind.VALIDATION_FAILED
        return FailureKind.TECHNICAL_FAILURE if isinstance(exc, PermanentError) else None

    def waits_out(self, exc: Exception) -> bool:
        return is_dependency_unavailable(exc)

    async def _printable(self, request: LetterRequested, nid: str) -> _Printable:
        if request.precompiled:
            key = request.pdf_key or letter_key(nid)
            pdf = await self.store.read(key)
            checked = check_precompiled(pdf)
            return _Printable(pdf, checked.pages, key)
        contact = await self.contacts.of(request)
        content = LetterContent(
            address_lines=request.address_lines,
            heading=request.subject,
            body=request.body,
            contact_block=contact,
            letter_date=request.created_at.date(),
            logo=await self.logos.of(request) if self.logos else None,
            welsh_heading=request.welsh_subject,
            welsh_body=request.welsh_body,
        )
        try:
            rendered = await asyncio.to_thread(render_letter, content)
        except QrCodeTooLongError as exc:
            raise InvalidLetterError(str(exc)) from None
        if rendered.pages > MAX_PAGES:
            raise InvalidLetterError("letter-too-long")
        return _Printable(rendered.data, rendered.pages)

    def sent_events(
        self,
        request: LetterRequested,
        provider: str,
        reference: str | None,
        sent_at: datetime,
        units: int | None,
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
                sent_at=sent_at,
                billable_units=units or 0,
                **facts_of(request),
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
                    **facts_of(request),
                )
            )
        return events


class LetterSender(Sender[LetterRequested]):
    """The shared sender with the letter channel's policy."""

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
        logos: LetterLogos | None = None,
    ) -> None:
        # The print drop is the provider's inbox: its status lookup is the print bucket.
        super().__init__(
            LetterPolicy(store, contacts, logos),
            claims,
            producer,
            rescheduler,
            recovery=recovery or Recovery(None, lookups={PRINT_PROVIDER: store}, window_s=0),
            concurrency=concurrency,
        )
