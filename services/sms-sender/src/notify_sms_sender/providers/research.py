"""Research mode: how test-key messages are "sent". They never reach a real provider; instead the
receipt a provider would send is posted straight to our own receipts service, in the dialect of
the provider chosen for the message (MMG JSON or Firetext form), so the whole receipt and callback
pipeline runs. The outcome depends on the recipient: 07700900002 permanent
failure, 07700900003 temporary failure, anything else delivered.

The receipt is posted during the "send", so it is durable like any send: a failed post is retried
through the retry topic, and the projector's monotonic status makes an early receipt harmless.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

from notify_common.http_client import HttpClient
from notify_common.recipients.simulated import outcome_for_test_key
from notify_sms_sender.providers import SmsMessage
from notify_sms_sender.providers.http_errors import FORM, JSON, post

# The receipt each provider would send for each outcome (the inverse of the receipts service's tables).
MMG_RECEIPT = {
    "delivered": ("3", "2"),
    "permanent-failure": ("5", "2"),
    "temporary-failure": ("4", "6"),
}
FIRETEXT_RECEIPT = {
    "delivered": ("0", "000"),
    "permanent-failure": ("1", "101"),
    "temporary-failure": ("1", "102"),
}


class ResearchModeProvider:
    """Plays the provider ``name`` for test keys by posting its receipt to ``receipt_url`` (the
    URL the real provider is given, credentials included)."""

    def __init__(self, name: str, client: HttpClient, receipt_url: str) -> None:
        if name not in ("mmg", "firetext"):
            raise ValueError(f"no research mode receipts for provider {name}")
        self.name = name
        self._client, self._receipt_url = client, receipt_url

    async def send(self, message: SmsMessage) -> str:
        outcome = outcome_for_test_key(message.to) or "delivered"
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        url = self._receipt_url
        if self.name == "mmg":
            status, substatus = MMG_RECEIPT[outcome]
            body = {"status": status, "CID": message.notification_id, "substatus": substatus}
            await post(
                self._client, "receipts", url, json.dumps({**body, "deliverytime": stamp}).encode(), JSON
            )
        else:
            status, code = FIRETEXT_RECEIPT[outcome]
            form = {"status": status, "reference": message.notification_id, "code": code, "time": stamp}
            await post(self._client, "receipts", url, urlencode(form).encode(), FORM)
        return message.notification_id

    async def close(self) -> None:
        return None
