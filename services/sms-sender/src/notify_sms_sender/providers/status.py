"""Provider status lookups by reference (notify_common.send_recovery.HandoverLookup), asked only
when a claim is in doubt. The provider simulator offers one (``POST /<provider>/status`` with
``{"references": [...]}``, answering ``{"seen": [...]}``); MMG, Firetext and SNS are configured
without one, so their in-doubt claims wait for a receipt instead."""

from __future__ import annotations

import json
from collections.abc import Sequence

from notify_common.errors import RetryableError
from notify_common.http_client import HttpClient
from notify_sms_sender.providers.http_errors import JSON


class SimulatorStatusLookup:
    def __init__(self, client: HttpClient, url: str) -> None:
        self._client, self._url = client, url

    async def seen(self, references: Sequence[str]) -> set[str]:
        body = json.dumps({"references": list(references)}).encode()
        answer = await self._client.post(self._url, body, JSON)
        if answer.status != 200:
            raise RetryableError(f"status lookup answered {answer.status}")
        seen = json.loads(answer.body).get("seen")
        if not isinstance(seen, list):
            raise RetryableError("status lookup answered without a list of references")
        return {str(r) for r in seen}
