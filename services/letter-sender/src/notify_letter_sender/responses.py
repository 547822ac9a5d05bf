"""The print provider's answers, turned into lifecycle events: ``DESPATCHED`` is delivered and
``REJECTED`` technical-failure (Notify's DVLA_TO_NOTIFICATION_STATUS_MAP). Answers are read from
the print bucket every few seconds, announced, and only then removed, so an answer is announced at
least once (twice at worst, which the projector's monotonic status makes harmless)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from notify_common import topics
from notify_common.events import Event, FailureKind, NotificationDelivered, NotificationFailed, now
from notify_common.kafka import EventProducer
from notify_letter_sender.storage import LetterStore

log = logging.getLogger(__name__)
UNKNOWN_SERVICE = "00000000-0000-0000-0000-000000000000"  # the answer names only the letter


def response_event(answer: dict[str, Any]) -> Event | None:
    notification_id, status = answer.get("notification_id"), answer.get("status")
    if not isinstance(notification_id, str):
        return None
    if status == "DESPATCHED":
        return NotificationDelivered(
            notification_id=notification_id,
            service_id=UNKNOWN_SERVICE,
            provider="dvla",
            provider_reference=f"print/{notification_id}",
            delivered_at=now(),
            detail="despatched",
        )
    return NotificationFailed(
        notification_id=notification_id,
        service_id=UNKNOWN_SERVICE,
        failure_kind=FailureKind.TECHNICAL_FAILURE,
        provider="dvla",
        reason=f"print provider answered {status}",
        failed_at=now(),
    )


class PrintResponses:
    def __init__(self, store: LetterStore, producer: EventProducer, every_s: float = 5.0) -> None:
        self._store, self._producer, self._every_s = store, producer, every_s

    async def poll_once(self) -> int:
        answers = await self._store.print_responses()
        events = [(key, response_event(answer)) for key, answer in answers]
        await self._producer.publish_many(
            (topics.NOTIFICATION_STATUS, event) for _, event in events if event is not None
        )
        for key, _ in events:
            await self._store.forget_response(key)
        return len(events)

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception:
                log.exception("could not read the print provider's answers")
            await asyncio.sleep(self._every_s)
