"""An SMS provider speaking Firetext's HTTP form API, e.g. the provider simulator.
International messages use Firetext's separate international API key."""

from __future__ import annotations

import json
from urllib.parse import quote_plus, urlencode

from notify_common.errors import PermanentError
from notify_common.http_client import HttpClient
from notify_sms_sender.providers import SmsMessage
from notify_sms_sender.providers.http_errors import FORM, post


class FiretextProvider:
    name = "firetext"

    def __init__(
        self,
        client: HttpClient,
        url: str,
        api_key: str,
        international_api_key: str,
        receipt_url: str,
    ) -> None:
        self._client, self._url, self._receipt_url = client, url, receipt_url
        # The fields that never change, encoded once: "apiKey=...&" (home, international), "&receipt=...".
        self._keys = {
            False: urlencode({"apiKey": api_key}) + "&",
            True: urlencode({"apiKey": international_api_key}) + "&",
        }
        self._tail = "&" + urlencode({"receipt": receipt_url})

    async def send(self, message: SmsMessage) -> str:
        # What urlencode makes of from, to, message and reference (quote_plus of each value, the
        # keys needing none), without its per-call machinery: a third of the form's cost.
        body = (
            f"{self._keys[message.international]}from={quote_plus(message.sender)}"
            f"&to={quote_plus(message.to)}&message={quote_plus(message.content)}"
            f"&reference={quote_plus(message.notification_id)}{self._tail}"
        ).encode()
        answer = await post(self._client, self.name, self._url, body, FORM)
        try:
            code = int(json.loads(answer.body).get("code", 0))
        except (ValueError, AttributeError):
            code = 0
        if code != 0:
            # Firetext answers 200 with a non-zero code when it refuses a message.
            raise PermanentError(f"firetext refused the message with code {code}")
        return message.notification_id

    async def close(self) -> None:
        return None
