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
    }
    env.update(overrides)
    return env
