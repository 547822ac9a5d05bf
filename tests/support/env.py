"""Where the real backing services are for tests: the ones ``deploy/local/infra.sh`` starts.

Each test session gets its own database (``notify_test_<run>``) and its own Kafka topic prefix, so
tests never see the data of a platform started with ``make up`` or of another run.
"""

from __future__ import annotations

import os
import secrets
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN_ID = uuid.uuid4().hex[:8]

KAFKA = os.environ.get("NOTIFY_TEST_KAFKA", f"127.0.0.1:{os.environ.get('NOTIFY_LOCAL_KAFKA_PORT', '19092')}")
PG_PORT = os.environ.get("NOTIFY_LOCAL_PG_PORT", "15432")
PG_ADMIN_URL = os.environ.get(
    "NOTIFY_TEST_PG_ADMIN_URL", f"postgresql+psycopg://notify@127.0.0.1:{PG_PORT}/postgres"
)
TEST_DB = f"notify_test_{RUN_ID}"
DATABASE_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{TEST_DB}"
REDIS_URL = os.environ.get(
    "NOTIFY_TEST_REDIS_URL", f"redis://127.0.0.1:{os.environ.get('NOTIFY_LOCAL_REDIS_PORT', '16379')}/15"
)
MOTO_URL = os.environ.get(
    "NOTIFY_TEST_MOTO_URL", f"http://127.0.0.1:{os.environ.get('NOTIFY_LOCAL_MOTO_PORT', '15055')}"
)
TOPIC_PREFIX = f"test-{RUN_ID}."

# The platform refuses to run without secrets of its own and treats anything but an explicit
# "development" as production: each test run makes its secrets, for its services and for the
# settings tests build in-process.
os.environ.setdefault("NOTIFY_ENVIRONMENT", "development")
os.environ.setdefault("NOTIFY_SECRET_KEY", secrets.token_hex(32))
os.environ.setdefault("NOTIFY_CONSOLE_SECRET_KEY", secrets.token_hex(32))
# The providers' credentials on the receipts service's endpoints (refused while unset), shared by the
# receipts service, the sms-sender and the simulator, and by tests that play a provider.
for _name in ("MMG_RECEIPT_TOKEN", "FIRETEXT_RECEIPT_TOKEN", "LETTER_CALLBACK_TOKEN"):
    os.environ.setdefault(f"NOTIFY_{_name}", secrets.token_hex(16))
for _provider in ("MMG", "FIRETEXT"):
    os.environ.setdefault(f"NOTIFY_{_provider}_INBOUND_USERNAME", _provider.lower())
    os.environ.setdefault(f"NOTIFY_{_provider}_INBOUND_PASSWORD", secrets.token_hex(16))


def provider_token(provider: str) -> dict[str, str]:
    """The query parameters that authenticate a receipt from ``provider`` (mmg, firetext or the
    print provider, ``letter``)."""
    name = "LETTER_CALLBACK_TOKEN" if provider == "letter" else f"{provider.upper()}_RECEIPT_TOKEN"
    return {"token": os.environ[f"NOTIFY_{name}"]}


def inbound_auth(provider: str) -> tuple[str, str]:
    """The basic-auth credentials ``provider`` uses to post inbound texts."""
    return (
        os.environ[f"NOTIFY_{provider.upper()}_INBOUND_USERNAME"],
        os.environ[f"NOTIFY_{provider.upper()}_INBOUND_PASSWORD"],
    )


def service_env(**overrides: str) -> dict[str, str]:
    """The environment a platform service gets in tests."""
    env = {
        **os.environ,
        "NOTIFY_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
        "NOTIFY_KAFKA_TOPIC_PREFIX": TOPIC_PREFIX,
        "NOTIFY_KAFKA_PROVISION_TOPICS": "false",
        "NOTIFY_DATABASE_URL": DATABASE_URL,
        "NOTIFY_REDIS_URL": REDIS_URL,
        "NOTIFY_AWS_ENDPOINT_URL": MOTO_URL,
        "NOTIFY_AWS_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "NOTIFY_SCHEMAS_DIR": str(ROOT / "schemas"),
        "NOTIFY_LOG_LEVEL": "INFO",
        # Test callback receivers listen on loopback, which the platform refuses unless allowed.
        "NOTIFY_CALLBACK_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
        # Each test platform's provider simulator starts empty, even from a shell that sourced
        # deploy/local/env.sh (which points it at the local platform's state file).
        "NOTIFY_SIMULATOR_STATE_FILE": "",
    }
    env.update(overrides)
    return env
