"""An SMS provider over AWS SNS ``Publish`` (moto locally), with boto3 calls run in worker threads.

SNS takes no client reference, so its MessageId is the provider reference, and it has no status
lookup by our id: a send whose outcome is unknown (timed out, or its sender died before the settle)
is sent again after the recovery window as ``unconfirmed`` and may, rarely, reach the phone twice.
The MessageId travels as ``provider_reference`` on ``NotificationSentToProvider``, and the
projector maps it to the notification in ``provider_references``; the receipts service polls SNS's
delivery-status logs in CloudWatch Logs and resolves them through that table
(``notify_receipts/sns_sms_poller.py``, docs/senders.md).
Delivery-status logging must be enabled on the account for receipts to exist.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_sms_sender.providers import ProviderTimeoutError, SmsMessage

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException"})
PERMANENT_CODES = frozenset(
    {"InvalidParameter", "InvalidParameterValue", "OptedOut", "AuthorizationError", "ValidationError"}
)


class SnsProvider:
    name = "sns"

    def __init__(self, client: SNSClient, threads: int = 32) -> None:
        self._client = client
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sns")

    async def send(self, message: SmsMessage) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._publish, message)

    def _publish(self, message: SmsMessage) -> str:
        try:
            response = self._client.publish(
                PhoneNumber=f"+{message.to}",
                Message=message.content,
                MessageAttributes={
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": message.sender},
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                },
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in THROTTLING_CODES:
                raise ThrottledError("sns throttled the request") from exc
            if code in PERMANENT_CODES:
                raise PermanentError(f"sns refused the message: {code}") from exc
            raise RetryableError(f"sns failed: {code or 'unknown'}") from exc
        except (ConnectTimeoutError, EndpointConnectionError) as exc:
            raise RetryableError("sns unreachable") from exc
        except ReadTimeoutError as exc:
            raise ProviderTimeoutError("sns timed out") from exc
        return response["MessageId"]

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
