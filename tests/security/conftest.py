"""The security suite repeats an attacker's probes against the real services; it shares the
integration tests' fixtures (a Kafka topic prefix and a producer per test)."""

from tests.integration.conftest import kafka, producer

__all__ = ["kafka", "producer"]
