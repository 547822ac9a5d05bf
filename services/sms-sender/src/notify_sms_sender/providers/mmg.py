"""An SMS provider speaking MMG's HTTP JSON API, e.g. the provider simulator."""

from __future__ import annotations

import base64
import json
from json.encoder import encode_basestring

from notify_common.http_client import HttpClient
from notify_sms_sender.providers import SmsMessage
from notify_sms_sender.providers.http_errors import JSON, post

# encode_basestring (C) quotes and escapes one string as JSON, keeping non-ASCII as UTF-8.
_quote = encode_basestring


class MmgProvider:
    name = "mmg"

    def __init__(self, client: HttpClient, url: str, username: str, password: str, receipt_url: str) -> None:
        self._client, self._url, self._receipt_url = client, url, receipt_url
        credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._headers = f"Authorization: Basic {credentials}\r\n".encode("latin-1")
        self._tail = f',"multi":true,"delurl":{json.dumps(receipt_url)}}}'

    async def send(self, message: SmsMessage) -> str:
        # {"reqType":"BULK","MSISDN":..,"msg":..,"sender":..,"cid":..,"multi":true,"delurl":..}
        body = (
            f'{{"reqType":"BULK","MSISDN":{_quote(message.to)},"msg":{_quote(message.content)},'
            f'"sender":{_quote(message.sender)},"cid":{_quote(message.notification_id)}{self._tail}'
        ).encode()
        await post(self._client, self.name, self._url, body, JSON, self._headers)
        return message.notification_id

    async def close(self) -> None:
        return None
