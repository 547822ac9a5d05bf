"""GOV.UK Notify's official Node client (``notifications-node-client`` from npm, unmodified) against
the whole running platform: ``node --test`` runs ``node/notify-client.test.mjs`` with the service
set up by ``client_env``. Its packages come from ``node/package-lock.json``, installed by
``deploy/local/install.sh`` (``npm ci``), so nothing is downloaded here."""

from __future__ import annotations

import pytest

from tests.e2e.clients.conftest import HERE, run_client_program

NODE = HERE / "node"


@pytest.mark.timeout(900)
def test_the_official_node_client_sends_reads_and_meets_every_error(client_env: dict[str, str]) -> None:
    assert (NODE / "node_modules" / "notifications-node-client").is_dir(), (
        "the Node client is not installed: run deploy/local/install.sh (npm ci in tests/e2e/clients/node)"
    )
    run_client_program(["node", "--test", "--test-reporter=spec", "notify-client.test.mjs"], NODE, client_env)
