"""Email over AWS SES v2 (moto locally): the MIME message of message.py sent as Raw content, so
text, HTML, Reply-To and the List-Unsubscribe headers reach SES exactly as built. boto3 is
synchronous: calls run in worker threads. The SES MessageId is the provider reference, which
SES's delivery notifications carry back.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_email_sender.message import OutgoingEmail, mime_message
from notify_email_sender.providers import ProviderTimeoutError

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

log = logging.getLogger(__name__)

# SES error codes: InvalidParameterValue is not worth retrying; throttling is.
THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}
)
PERMANENT_CODES = frozenset(
    {
        "InvalidParameterValue",
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "SendingPausedException",
        "BadRequestException",
        "NotFoundException",
    }
)


class SesProvider:
    name = "ses"

    def __init__(self, client: SESV2Client, threads: int = 16) -> None:
        self._client = client
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ses")

    def verify_domain(self, domain: str) -> None:
        """Development only: make the sending domain a verified identity (moto refuses mail from
        unverified senders, like SES in its sandbox)."""
        try:
            self._client.create_email_identity(EmailIdentity=domain)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "AlreadyExistsException":
                raise
        log.info("sending domain verified for development", extra={"domain": domain})

    async def send(self, email: OutgoingEmail) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._send, email)

    def _send(self, email: OutgoingEmail) -> str:
        try:
            response = self._client.send_email(
                FromEmailAddress=email.from_header,
                Destination={"ToAddresses": [email.to]},
                Content={"Raw": {"Data": mime_message(email).as_bytes()}},
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in THROTTLING_CODES:
                raise ThrottledError(f"ses throttled the request: {code}") from exc
            if code in PERMANENT_CODES:
                raise PermanentError(f"ses refused the message: {code}") from exc
            raise RetryableError(f"ses failed: {code or 'unknown'}") from exc
        except (ConnectTimeoutError, EndpointConnectionError) as exc:
            raise RetryableError("ses unreachable") from exc
        except ReadTimeoutError as exc:
            raise ProviderTimeoutError("ses timed out") from exc
        return response["MessageId"]

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
