"""Settings of the receipts service (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from notify_common.settings import CommonSettings
from notify_receipts.sns import AWS_SNS_URL_PATTERN

SNS_SMS_LOG_GROUP = "sns/{region}/{account}/DirectPublishToPhoneNumber"


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
    # Credentials of each provider endpoint (docs/security.md). An endpoint whose credentials are
    # not set refuses everything. The receipt tokens are also read by the sms-sender, which puts
    # them in the receipt URLs it gives the providers.
    mmg_receipt_token: SecretStr | None = None
    firetext_receipt_token: SecretStr | None = None
    mmg_inbound_username: str | None = None
    mmg_inbound_password: SecretStr | None = None
    firetext_inbound_username: str | None = None
    firetext_inbound_password: SecretStr | None = None
    letter_callback_token: SecretStr | None = None
    # How long a request waits for the database to check a receipt or an inbound text (that the
    # provider claimed the notification, that a service owns the number) before it takes it
    # unchecked, to be checked later by the service's consumer, whose checks may wait longer.
    receipts_check_wait_seconds: float = Field(default=1.0, gt=0)
    receipts_consumer_wait_seconds: float = Field(default=5.0, gt=0)
    # How long an SMS or letter receipt that overtook its send event (claimed, but not learnt by
    # this service's consumer yet) waits for it before it is taken onto the unchecked topic.
    receipts_sent_wait_seconds: float = Field(default=1.0, ge=0)
    # How many of the send events it learnt most recently each process keeps in memory, so that a
    # receipt for one of them is resolved without reading the database (``recent.py``).
    receipts_recent_sends: int = Field(default=20_000, ge=0)
    # If set (comma-separated networks), provider endpoints take requests from these only.
    receipts_allowed_networks: str = ""

    # SNS text messages: delivery-status logs polled from CloudWatch Logs (docs/senders.md). On when
    # set true, or when unset and the sms-sender's provider weights (same variable) name sns.
    sns_receipts_enabled: bool | None = None
    sms_provider_weights: str = ""
    # Log groups, comma-separated; default the success and failure groups SNS writes for this
    # region and account (the account from NOTIFY_SNS_RECEIPTS_ACCOUNT_ID, else from STS).
    sns_receipts_log_groups: str = ""
    sns_receipts_account_id: str | None = None
    sns_receipts_interval_seconds: float = Field(default=60.0, gt=0)
    sns_receipts_lookback_seconds: float = Field(default=180.0, gt=0)
    # The first poll after start reaches further back, over a restart or a deploy.
    sns_receipts_initial_lookback_seconds: float = Field(default=900.0, gt=0)
    # A record whose message id is not (yet) a projected provider reference is retried every poll
    # for this long, then given up (counted, logged with the message id only).
    sns_receipts_resolve_max_age_seconds: float = Field(default=600.0, gt=0)
    sns_receipts_batch_size: int = Field(default=1_000, ge=1)
    sns_receipts_max_backoff_seconds: float = Field(default=600.0, gt=0)

    def topic_arns(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.sns_topic_arns.split(",") if a.strip())

    def sns_receipts_active(self) -> bool:
        if self.sns_receipts_enabled is not None:
            return self.sns_receipts_enabled
        names = {part.partition(":")[0].strip().lower() for part in self.sms_provider_weights.split(",")}
        return "sns" in names

    def sns_sms_log_groups(self, account_id: str) -> list[str]:
        configured = [g.strip() for g in self.sns_receipts_log_groups.split(",") if g.strip()]
        if configured:
            return configured
        success = SNS_SMS_LOG_GROUP.format(region=self.aws_region, account=account_id)
        return [success, f"{success}/Failure"]
