"""The security suite repeats an attacker's probes against the real services. It shares the
integration tests' fixtures: a Kafka topic prefix and a producer per test, and one in-process
api-gateway for the package with a fresh service per test."""

from tests.integration.api_gateway.conftest import api_url, gateway_settings, sandbox
from tests.integration.conftest import kafka, producer, topic_deletions, topic_prefixes

__all__ = [
    "api_url",
    "gateway_settings",
    "kafka",
    "producer",
    "sandbox",
    "topic_deletions",
    "topic_prefixes",
]
