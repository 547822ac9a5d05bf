"""One in-process api-gateway (no configuration cache) for the legacy integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.api.harness import api_settings, running_api


@pytest.fixture(scope="package")
def api_url(database: str, kafka_topics: str) -> Iterator[str]:
    with running_api(api_settings()) as url:
        yield url
