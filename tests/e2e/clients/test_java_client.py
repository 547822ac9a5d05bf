"""GOV.UK Notify's official Java client (``uk.gov.service.notify:notifications-java-client`` from
Maven Central, unmodified) against the whole running platform: Maven runs the JUnit 5 test in
``java/`` offline with the service set up by ``client_env``. Its jars and Maven's plugins are fetched
into the local Maven repository by ``deploy/local/install.sh``, so nothing is downloaded here."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.clients.conftest import HERE, run_client_program

JAVA = HERE / "java"


@pytest.mark.timeout(900)
def test_the_official_java_client_sends_reads_and_meets_every_error(client_env: dict[str, str]) -> None:
    assert shutil.which("mvn"), "Maven is not installed: run deploy/local/install.sh"
    # -o: offline, so a missing jar fails here (run deploy/local/install.sh) rather than downloading.
    run_client_program(["mvn", "-o", "-B", "-q", "-ntp", "test"], JAVA, client_env)
