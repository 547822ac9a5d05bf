"""Fixtures for the api-gateway's integration tests: one in-process api-gateway for the package,
and a fresh service (made through the admin API) for each test that asks for one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notify_api_gateway.settings import ApiSettings
from tests.integration.api_gateway.harness import Sandbox, api_settings, make_sandbox, running_api


@pytest.fixture(scope="package")
def gateway_settings(database: str, kafka_topics: str) -> ApiSettings:
    return api_settings()


@pytest.fixture(scope="package")
def api_url(gateway_settings: ApiSettings) -> Iterator[str]:
    with running_api(gateway_settings) as url:
        yield url


@pytest.fixture
def sandbox(api_url: str) -> Sandbox:
    return make_sandbox(api_url)
