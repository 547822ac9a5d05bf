"""The planes the redesign keeps apart, checked from the code: the admin console reaches the
platform's data only through the admin API (its code reads and writes no table)."""

from __future__ import annotations

from tests.contract import ownership


def test_the_admin_console_touches_no_table() -> None:
    console = ownership.service_packages()["admin-console"]
    assert sorted({f"{a.kind} {a.table} at {a.where}" for a in ownership.service_accesses(console)}) == []
