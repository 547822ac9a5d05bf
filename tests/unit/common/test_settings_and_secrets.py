"""Settings never leak secrets, refuse placeholders in production; API key secrets are sealed."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from notify_admin_console.settings import ConsoleSettings
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


def test_the_environment_is_production_unless_development_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NOTIFY_ENVIRONMENT", raising=False)
    monkeypatch.delenv("NOTIFY_SECRET_KEY", raising=False)
    settings = CommonSettings()
    assert settings.environment == "production"
    with pytest.raises(ValueError, match="NOTIFY_SECRET_KEY is not set"):
        settings.check_production_ready()


@pytest.mark.parametrize("environment", ["production", "development"])
@pytest.mark.parametrize("placeholder", ["", "local-development-only-secret-key-change-me", "change-me"])
def test_no_environment_runs_on_an_unset_or_published_secret_key(environment: str, placeholder: str) -> None:
    with pytest.raises(ValueError, match="NOTIFY_SECRET_KEY"):
        CommonSettings(environment=environment, secret_key=SecretStr(placeholder)).check_production_ready()


def test_production_wants_a_long_secret_key_and_development_takes_any_of_its_own() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        CommonSettings(environment="production", secret_key=SecretStr("short")).check_production_ready()
    CommonSettings(environment="production", secret_key=SecretStr("x" * 64)).check_production_ready()
    CommonSettings(environment="development", secret_key=SecretStr("short")).check_production_ready()


@pytest.mark.parametrize("placeholder", ["", "development-only-console-session-secret"])
def test_the_console_never_signs_sessions_with_an_unset_or_published_key(placeholder: str) -> None:
    settings = ConsoleSettings(
        environment="development", secret_key=SecretStr("k" * 64), console_secret_key=SecretStr(placeholder)
    )
    with pytest.raises(ValueError, match="NOTIFY_CONSOLE_SECRET_KEY"):
        settings.check_production_ready()


def test_nothing_is_encrypted_without_a_secret_key() -> None:
    with pytest.raises(ValueError, match="NOTIFY_SECRET_KEY is not set"):
        SecretBox("")


def test_an_unknown_kafka_security_protocol_is_refused() -> None:
    with pytest.raises(ValidationError):
        CommonSettings(kafka_security_protocol="CARRIER_PIGEON")


def test_a_sealed_secret_opens_with_the_same_key_only() -> None:
    sealed = SecretBox("key-one").seal("my-api-secret")
    assert "my-api-secret" not in sealed
    assert SecretBox("key-one").open(sealed) == "my-api-secret"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("key-two").open(sealed)
