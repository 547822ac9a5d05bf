"""Settings of the sms-sender (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import SecretStr

from notify_common.settings import CommonSettings


class SmsSenderSettings(CommonSettings):
    http_port: int = 6021
    mmg_url: str = "http://127.0.0.1:6013/mmg"
    mmg_username: str = "notify"
    mmg_password: SecretStr = SecretStr("local-simulator")
    # Where providers post delivery receipts (the receipts service).
    mmg_receipt_url: str = "http://127.0.0.1:6012/notifications/sms/mmg"
    provider_timeout_seconds: float = 10.0
