"""The platform's own error tree. Adapters translate library errors (aiokafka, boto3, httpx,
psycopg) into these once, at the boundary, so handlers decide on retry by type alone.

    NotifyError
    ├── RetryableError        worth trying again later (timeouts, 5xx, connection refused)
    │   ├── ThrottledError    the other side asked us to slow down (429, SES throttling)
    │   ├── ProviderTimeoutError  a provider did not answer in time: it may have the message
    │   └── DependencyUnavailableError  a dependency (database, broker, store) is down: the
    │                         record is fine, the consumer waits and tries it again in place
    └── PermanentError        trying again cannot help (4xx other than 429, bad data)
"""

from __future__ import annotations


class NotifyError(Exception):
    """Base of every error the platform raises on purpose."""


class RetryableError(NotifyError):
    """A failure that may succeed if tried again after a delay."""


class ThrottledError(RetryableError):
    """The provider or dependency asked us to slow down."""


class ProviderTimeoutError(RetryableError):
    """A provider did not answer in time: it may or may not have accepted the message, so its
    claim stays in doubt and the retry finds out whether it did before sending again to the same
    provider with the same reference (``notify_common.send_recovery``)."""


class DependencyUnavailableError(RetryableError):
    """A dependency cannot be reached or is restarting; see ``notify_common.failures``."""


class PermanentError(NotifyError):
    """A failure that will not go away by retrying."""
