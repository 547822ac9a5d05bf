"""Tests are found from the name of what they test: under ``tests/unit`` and ``tests/integration``
every directory is named after the package it tests, without ``notify_`` (``api_gateway`` for
``notify_api_gateway``; ``common`` for ``notify_common``), or is a cross-service suite listed here
with why; and no test module lies outside such a directory."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {p.name.removeprefix("notify_") for p in ROOT.glob("services/*/src/notify_*")} | {"common"}
# Suites that test how several services work together and no single one (none at present).
CROSS_SERVICE_SUITES: dict[str, str] = {}
# Modules that may stand directly in a suite's folder: its package marker and shared fixtures.
SUITE_FILES = {"__init__.py", "conftest.py"}


@pytest.mark.parametrize("suite", ["unit", "integration"])
def test_every_test_directory_is_named_after_a_package_or_is_an_allowed_cross_service_suite(
    suite: str,
) -> None:
    directories = {
        p.name for p in (ROOT / "tests" / suite).iterdir() if p.is_dir() and p.name != "__pycache__"
    }
    assert sorted(directories - PACKAGES - set(CROSS_SERVICE_SUITES)) == []


@pytest.mark.parametrize("suite", ["unit", "integration"])
def test_no_test_module_lies_outside_a_package_directory(suite: str) -> None:
    loose = {p.name for p in (ROOT / "tests" / suite).glob("*.py")}
    assert sorted(loose - SUITE_FILES) == []


def test_the_package_names_are_read_from_the_services() -> None:
    assert {"api_gateway", "admin_api", "job_splitter", "sms_sender", "common"} <= PACKAGES
