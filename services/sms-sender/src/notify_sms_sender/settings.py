"""Settings of the sms-sender (environment, prefix NOTIFY_)."""

from __future__ import annotations

from pydantic import SecretStr

from notify_common.settings import CommonSettings


class SmsSenderSettings(CommonSettings):
    http_port: int = 6021
    # Unset: the provider simulator at ``simulator_url`` and our receipts service at ``receipts_url``.
    mmg_url: str | None = None
    mmg_username: str = "notify"
    mmg_password: SecretStr = SecretStr("local-simulator")
    mmg_receipt_url: str | None = None

    def mmg_endpoint(self) -> str:
        return self.mmg_url or f"{self.simulator_url}/mmg"

    def mmg_receipt_endpoint(self) -> str:
        return self.mmg_receipt_url or f"{self.receipts_url}/notifications/sms/mmg"

    provider_timeout_seconds: float = 10.0
