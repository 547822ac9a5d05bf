"""Email over SMTP (any relay; aiosmtpd in tests), for self-hosters without AWS. One connection
per message keeps the adapter simple and safe to use concurrently. The Message-ID made from the
notification id is the provider reference.

SMTP replies map onto the error tree by class: 421 (the relay closing on us, how relays ask for a
slower pace) is throttling, other 4xx replies are temporary, 5xx are permanent; a refused or
dropped connection is retryable, and a timeout once connected is ambiguous, so it has its own type.
"""

from __future__ import annotations

import aiosmtplib

from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_email_sender.message import OutgoingEmail, mime_message, smtp_bytes
from notify_email_sender.providers import ProviderTimeoutError

THROTTLING_REPLY_CODES = frozenset({421})


class SmtpProvider:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._host, self._port, self._timeout = host, port, timeout
        self._username, self._password = username, password
        self._use_tls, self._start_tls = use_tls, start_tls

    async def send(self, email: OutgoingEmail) -> str:
        # Flattened here: aiosmtplib's own flattening folds headers at 78 characters.
        message = smtp_bytes(mime_message(email))
        try:
            await aiosmtplib.send(
                message,
                sender=email.from_address,
                recipients=[email.to],
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._use_tls,
                start_tls=self._start_tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = {r.code for r in exc.recipients}
            if codes and all(400 <= c < 500 for c in codes):
                raise RetryableError(f"smtp recipient deferred: {sorted(codes)}") from exc
            raise PermanentError(f"smtp recipient refused: {sorted(codes)}") from exc
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected) as exc:
            raise RetryableError(f"smtp unreachable: {type(exc).__name__}") from exc
        except aiosmtplib.SMTPTimeoutError as exc:
            raise ProviderTimeoutError("smtp timed out") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code in THROTTLING_REPLY_CODES:
                raise ThrottledError(f"smtp asked to slow down: {exc.code}") from exc
            if 400 <= exc.code < 500:
                raise RetryableError(f"smtp temporary failure: {exc.code}") from exc
            raise PermanentError(f"smtp refused the message: {exc.code}") from exc
        except aiosmtplib.SMTPException as exc:
            raise RetryableError(f"smtp failed: {type(exc).__name__}") from exc
        except OSError as exc:
            raise RetryableError(f"smtp unreachable: {type(exc).__name__}") from exc
        return email.message_id

    async def close(self) -> None:
        return None
