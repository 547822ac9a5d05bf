"""The planes the redesign keeps apart, checked from the code: the api-gateway stays the public
data plane alone, small enough to read whole (at most 4,500 lines of Python), and the admin console
reaches the platform's data only through the admin API (its code reads and writes no table)."""

from __future__ import annotations

from tests.contract import ownership

GATEWAY_MAX_LINES = 4_500


def test_the_api_gateway_stays_under_its_size() -> None:
    package = ownership.SERVICES_DIR / "api-gateway"
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in package.rglob("*.py"))
    assert lines <= GATEWAY_MAX_LINES, (
        f"services/api-gateway has {lines} lines of Python, over {GATEWAY_MAX_LINES}: move what is not "
        "the public data plane to the service it belongs to, or fold repeated code"
    )


def test_the_admin_console_touches_no_table() -> None:
    console = ownership.service_packages()["admin-console"]
    assert sorted({f"{a.kind} {a.table} at {a.where}" for a in ownership.service_accesses(console)}) == []
