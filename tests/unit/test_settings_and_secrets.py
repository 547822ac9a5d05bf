"""Settings never leak secrets, refuse placeholders in production; API key secrets are sealed."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings


def test_redacted_settings_hide_passwords_and_secret_keys() -> None:
    settings = CommonSettings(
        database_url=SecretStr("postgresql+psycopg://notify:hunter2@db.internal:5432/notify"),
        secret_key=SecretStr("s3cret"),
        kafka_sasl_password=SecretStr("kafka-pass"),
    )
    text = repr(settings.redacted())
    for secret in ("hunter2", "s3cret", "kafka-pass"):
        assert secret not in text
    assert settings.redacted()["database_url"] == "postgresql+psycopg://***@db.internal:5432/notify"


def test_production_refuses_the_development_secret_key() -> None:
    with pytest.raises(ValueError, match="NOTIFY_SECRET_KEY"):
        CommonSettings(environment="production").check_production_ready()
    CommonSettings(environment="production", secret_key=SecretStr("real")).check_production_ready()


def test_an_unknown_kafka_security_protocol_is_refused() -> None:
    with pytest.raises(ValidationError):
        CommonSettings(kafka_security_protocol="CARRIER_PIGEON")


def test_a_sealed_secret_opens_with_the_same_key_only() -> None:
    sealed = SecretBox("key-one").seal("my-api-secret")
    assert "my-api-secret" not in sealed
    assert SecretBox("key-one").open(sealed) == "my-api-secret"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("key-two").open(sealed)
