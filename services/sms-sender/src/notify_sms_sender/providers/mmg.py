"""An SMS provider speaking MMG's HTTP JSON API (reference §10), e.g. the provider simulator."""

from __future__ import annotations

import httpx

from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_sms_sender.providers import SmsMessage


class MmgProvider:
    name = "mmg"

    def __init__(
        self, client: httpx.AsyncClient, url: str, username: str, password: str, receipt_url: str
    ) -> None:
        self._client, self._url, self._receipt_url = client, url, receipt_url
        self._auth = httpx.BasicAuth(username, password)

    async def send(self, message: SmsMessage) -> str:
        payload = {
            "reqType": "BULK",
            "MSISDN": message.to,
            "msg": message.content,
            "sender": message.sender,
            "cid": message.notification_id,
            "multi": True,
            "delurl": self._receipt_url,
        }
        try:
            response = await self._client.post(self._url, json=payload, auth=self._auth)
        except httpx.TimeoutException as exc:
            raise RetryableError("mmg timed out") from exc
        except httpx.TransportError as exc:
            raise RetryableError(f"mmg unreachable: {type(exc).__name__}") from exc
        if response.status_code == 429:
            raise ThrottledError("mmg throttled the request")
        if response.status_code >= 500:
            raise RetryableError(f"mmg answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(f"mmg refused the message with {response.status_code}")
        return message.notification_id
