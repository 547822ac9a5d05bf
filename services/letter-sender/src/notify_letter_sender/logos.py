"""Letter branding logos: the request names its service's logo (``LetterRequested.letter_logo``, a
key in the branding bucket the admin-api keeps); the file is read from S3 once and kept in memory,
since a logo's key never changes what it holds (a new logo gets a new key).

A logo that is no longer there is left off the letter (logged without personal data) rather than
holding the letter back; S3 being unavailable is retried as any other S3 failure is.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from notify_common.events import LetterRequested
from notify_letter_sender.storage import LetterNotFoundError, LetterStore

log = logging.getLogger(__name__)
KEPT = 64


class LetterLogos:
    def __init__(self, store: LetterStore, bucket: str) -> None:
        self._store, self.bucket = store, bucket
        self._kept: OrderedDict[str, bytes] = OrderedDict()

    async def of(self, request: LetterRequested) -> bytes | None:
        key = request.letter_logo
        if not key:
            return None
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        try:
            logo = await self._store.read(key, bucket=self.bucket)
        except LetterNotFoundError:
            log.warning(
                "letter logo not found: printed without it",
                extra={"notification_id": request.notification_id, "service_id": request.service_id},
            )
            return None
        self._kept[key] = logo
        if len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return logo
