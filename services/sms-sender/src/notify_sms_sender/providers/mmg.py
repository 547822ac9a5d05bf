"""An SMS provider speaking MMG's HTTP JSON API (reference §10), e.g. the provider simulator."""

from __future__ import annotations

import base64

import aiohttp

from notify_sms_sender.providers import SmsMessage
from notify_sms_sender.providers.http_errors import post


class MmgProvider:
    name = "mmg"

    def __init__(
        self, client: aiohttp.ClientSession, url: str, username: str, password: str, receipt_url: str
    ) -> None:
        self._client, self._url, self._receipt_url = client, url, receipt_url
        credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {credentials}"}

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
        await post(self._client, self.name, self._url, json=payload, headers=self._headers)
        return message.notification_id

    async def close(self) -> None:
        return None
