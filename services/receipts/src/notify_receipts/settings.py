"""Settings of the receipts service (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import SecretStr

from notify_common.settings import CommonSettings
from notify_receipts.sns import AWS_SNS_URL_PATTERN


class ReceiptsSettings(CommonSettings):
    http_port: int = 6012
    # SNS: where signing certificates and subscription confirmations may come from, and (if set)
    # the only topic ARNs whose messages are accepted, comma-separated.
    sns_trusted_url_pattern: str = AWS_SNS_URL_PATTERN
    sns_topic_arns: str = ""
    # An SES receipt may overtake its send event: wait this long in the request for the provider
    # reference to be projected, then answer 503 so SNS redelivers; give up on receipts for mail
    # older than the max age (answered 200, logged, counted).
    ses_resolve_wait_seconds: float = 2.0
    ses_receipt_max_age_seconds: float = 300.0
    # Optional credentials the SMS providers use on the inbound endpoints, and the token of the
    # print provider's callbacks.
    mmg_inbound_username: str | None = None
    mmg_inbound_password: SecretStr | None = None
    firetext_inbound_username: str | None = None
    firetext_inbound_password: SecretStr | None = None
    letter_callback_token: SecretStr | None = None

    def topic_arns(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.sns_topic_arns.split(",") if a.strip())
