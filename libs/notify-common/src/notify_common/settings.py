"""Configuration shared by every service, read once from the environment (prefix ``NOTIFY_``).

Services build their settings in ``main()`` and pass them down; nothing reads the environment at
import time. ``redacted()`` is what gets logged at start: secrets never appear in it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that were once published as placeholders: refused as secrets everywhere, like no value.
PUBLISHED_PLACEHOLDERS = frozenset(
    {
        "local-development-only-secret-key-change-me",
        "development-only-console-session-secret",
        "change-me",
        "changeme",
        "secret",
    }
)
# Outside development a secret must be at least this long (make up and the Helm chart's notes make
# 64 hex characters, 256 bits).
MIN_SECRET_LENGTH = 32


def check_secret(name: str, value: SecretStr, environment: str) -> None:
    """Refuse an unset or published secret in every environment, and a short one outside development."""
    raw = value.get_secret_value()
    if not raw:
        raise ValueError(f"{name} is not set: make up writes one under .local/; a deployment must set it")
    if raw.strip().lower() in PUBLISHED_PLACEHOLDERS:
        raise ValueError(f"{name} is a published placeholder: set a secret of your own")
    if environment != "development" and len(raw) < MIN_SECRET_LENGTH:
        raise ValueError(f"{name} must be at least {MIN_SECRET_LENGTH} characters outside development")


class CommonSettings(BaseSettings):
    """Settings every service has: where Kafka, PostgreSQL, Redis and AWS are, and how to log."""

    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    # Anything but "development" (which must be asked for) is treated as production.
    environment: str = "production"
    log_level: str = "INFO"
    http_host: str = "127.0.0.1"
    http_port: int = 8080

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    # Prepended to every topic name; lets test runs and several local stacks share one broker.
    kafka_topic_prefix: str = ""
    kafka_topic_replication_factor: int = 1
    # min.insync.replicas set on every declared topic when above 1 (3 replicas want 2: acks=all
    # then means two copies, and one broker can be lost without refusing or losing a write).
    kafka_topic_min_insync_replicas: int = Field(default=1, ge=1)
    kafka_provision_topics: bool = True
    # How long a consumer group's coordinator waits without a heartbeat before it gives a member's
    # partitions to the others: a killed process's records wait this long for a replica, or for the
    # process started in its place. Heartbeats go every third of it (at most every 3 s). The
    # broker refuses a value outside its group.min/max.session.timeout.ms (6 s to 30 min by default).
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000)

    database_url: SecretStr = SecretStr("postgresql+psycopg://notify@127.0.0.1:15432/notify")
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:16379/0")

    aws_region: str = "eu-west-2"
    aws_endpoint_url: str | None = None

    # Encrypts API key and callback secrets at rest. No default: make up generates one per
    # installation, a deployment sets its own.
    secret_key: SecretStr = SecretStr("")
    api_base_url: str = "http://127.0.0.1:6011"
    # The public URL of document-download, the platform's public pages: where the links to files
    # sent by email and the hosted unsubscribe links start.
    document_download_url: str = "http://127.0.0.1:6029"
    # Where the platform's own HTTP services are; provider adapters derive their URLs from these
    # unless a real provider's URL is configured.
    receipts_url: str = "http://127.0.0.1:6012"
    simulator_url: str = "http://127.0.0.1:6013"
    shutdown_grace_seconds: float = Field(default=25.0, ge=0)
    # Internal networks (comma-separated, e.g. "10.20.0.0/16") that callback URLs may point into;
    # by default only public addresses are allowed (docs/security.md).
    callback_allowed_networks: str = ""

    @field_validator("kafka_security_protocol")
    @classmethod
    def _known_protocol(cls, value: str) -> str:
        allowed = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}
        if value.upper() not in allowed:
            raise ValueError(f"must be one of {sorted(allowed)}")
        return value.upper()

    def check_production_ready(self) -> None:
        """Refuse to start without real secrets (in development too: no environment signs or
        encrypts with a value anyone else could know)."""
        check_secret("NOTIFY_SECRET_KEY", self.secret_key, self.environment)

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict safe to log: secrets and credentials in URLs are masked."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                out[name] = _mask_url(value.get_secret_value()) if name.endswith("_url") else "***"
            else:
                out[name] = value
        return out


def _mask_url(url: str) -> str:
    """Keep scheme, host and path of a URL; drop any user and password."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"
