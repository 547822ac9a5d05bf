"""Every table has one owner, the only service that writes it (``notify_common.db.owners``), and no
service imports another's package: both read statically from the code (``ownership.py``).

Reads of other services' tables are reported (run with ``-s``, or ``python -m
tests.contract.ownership``) but do not fail: the data plane still reads configuration and
projections directly. Writes fail, except those listed below as not fixed yet, each with why; a
listed write that no longer happens fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections import defaultdict

import pytest

from notify_common import topics
from notify_common.db.owners import TABLE_OWNERS, VIEWS, declared_tables, writers_of
from tests.contract.ownership import (
    COMMON_DIR,
    ROOT,
    Access,
    _call_accesses,
    file_imports,
    service_accesses,
    service_files,
    service_packages,
    sql_accesses,
)

PACKAGES = service_packages()
# Writes whose table is a variable, which a static reading cannot name; each was read by hand.
READ_BY_HAND: dict[str, str] = {
    "services/projector/src/notify_projector/bulk.py": "COPY into the projector's own staging tables",
    "services/projector/src/notify_projector/horizon.py": "the projector's own projections, by name",
    "services/projector/src/notify_projector/shadow.py": "the projector's own projections, swapped",
    "services/projector/src/notify_projector/sql.py": "the projector's own projections, per schema",
    "services/admin-api/src/notify_admin_api/store.py": "sms senders and reply-to addresses",
    "services/admin-api/src/notify_admin_api/console_accounts.py": "console_password_resets",
    "libs/notify-common/src/notify_common/send_claims.py": "the claims table each sender hands its ClaimStore",
}


def _writes() -> dict[tuple[str, str], list[Access]]:
    found: dict[tuple[str, str], list[Access]] = defaultdict(list)
    for service, package in PACKAGES.items():
        for access in service_accesses(package):
            if access.is_write or access.kind == "write":
                found[(service, access.table)].append(access)
    return found


WRITES = _writes()


def test_every_declared_table_has_one_owner_and_every_view_shows_declared_tables() -> None:
    declared = set(declared_tables().values())
    assert set(TABLE_OWNERS) == declared
    assert set(TABLE_OWNERS.values()) <= set(PACKAGES)
    assert all(set(shown) <= declared and view not in declared for view, shown in VIEWS.items())
    assert all(writers_of(view) == () for view in VIEWS)


@pytest.mark.parametrize("sender", ["sms-sender", "email-sender", "letter-sender"])
def test_each_sender_claims_in_its_own_table_and_no_other(sender: str) -> None:
    claimed = {
        a.table for a in service_accesses(PACKAGES[sender]) if a.is_write and a.table.endswith("_send_claims")
    }
    assert claimed == {f"{sender.removesuffix('-sender')}_send_claims"}
    assert writers_of(f"{sender.removesuffix('-sender')}_send_claims") == (sender,)


def test_no_service_imports_another_services_package_and_the_shared_library_imports_none() -> None:
    package_service = {package.name: service for service, package in PACKAGES.items()}
    crossings = [
        f"{imported.where}: {service} imports {imported.module}"
        for service, package in PACKAGES.items()
        for path in service_files(package)
        for imported in file_imports(path)
        if package_service.get(imported.module.split(".")[0], service) != service
    ]
    crossings += [
        f"{imported.where}: notify_common imports {imported.module}"
        for path in sorted((COMMON_DIR / "notify_common").rglob("*.py"))
        for imported in file_imports(path)
        if imported.module.split(".")[0] in package_service
    ]
    assert crossings == []


def test_no_service_writes_a_table_it_does_not_own() -> None:
    wrong = {
        key: accesses
        for key, accesses in WRITES.items()
        if key[1] != "?" and key[0] not in writers_of(key[1])
    }
    assert wrong == {}, "\n".join(
        f"{service} writes {table}, owned by {' and '.join(writers_of(table))}: "
        + ", ".join(f"{a.kind} at {a.where}" for a in accesses)
        for (service, table), accesses in sorted(wrong.items())
    )


def test_every_write_that_cannot_be_read_statically_was_read_by_hand() -> None:
    unresolved = {
        a.where.rsplit(":", 1)[0] for (_, table), accesses in WRITES.items() if table == "?" for a in accesses
    }
    assert sorted(unresolved - set(READ_BY_HAND)) == []
    assert sorted(set(READ_BY_HAND) - unresolved) == [], (
        "no longer unresolved: take these out of READ_BY_HAND"
    )


def test_reads_of_other_services_tables_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    reads: dict[str, set[str]] = defaultdict(set)
    for service, package in PACKAGES.items():
        for access in service_accesses(package):
            for table in VIEWS.get(access.table, (access.table,)):
                if access.kind == "read" and table in TABLE_OWNERS and service not in writers_of(table):
                    reads[service].add(table)
    with capsys.disabled():
        print("\nreads of tables other services own (reported, not failed):")
        for service, tables in sorted(reads.items()):
            print(f"  {service}: {', '.join(sorted(tables))}")
    # Nothing reads the job-splitter's working state but the API and the admin, which answer with it.
    readers = {service for service, tables in reads.items() if "job_splitter_jobs" in tables}
    assert readers <= {"api-gateway", "admin-api"}


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("INSERT INTO send_claims (notification_id) VALUES (:id)", [("insert", "send_claims")]),
        ("UPDATE notifications SET status = :s WHERE id = :id", [("update", "notifications")]),
        ("UPDATE notify_live.jobs AS j SET status = 'x'", [("update", "jobs")]),
        ("DELETE FROM provider_references WHERE sent_at < :t", [("delete", "provider_references")]),
        ("SELECT * FROM job_splitter_jobs WHERE job_id = :id FOR UPDATE", [("lock", "job_splitter_jobs")]),
        ("SELECT * FROM job_splitter_jobs WHERE job_id = :id", [("read", "job_splitter_jobs")]),
        (
            "INSERT INTO jobs (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET status = 'x'",
            [("insert", "jobs")],
        ),
        ("LOCK TABLE {}.{} IN ACCESS EXCLUSIVE MODE", [("write", "?")]),
        ("a copy {} of the folder", []),
        ("INSERT INTO somewhere_else (id) VALUES (1)", []),
    ],
)
def test_writes_locks_and_reads_are_found_in_sql_text(sql: str, expected: list[tuple[str, str]]) -> None:
    assert list(sql_accesses(sql)) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("insert(services).values(id=1)", [("insert", "services")]),
        ("pg_insert(team_members).values()", [("insert", "team_members")]),
        ("postgresql.insert(guest_list)", [("insert", "guest_list")]),
        ("update(templates).where(templates.c.id == 1)", [("update", "templates")]),
        ("delete(api_keys)", [("delete", "api_keys")]),
        ("templates.update()", [("update", "templates")]),
        (
            "select(console_users).where(console_users.c.id == 1).with_for_update()",
            [("lock", "console_users"), ("read", "console_users")],
        ),
        ("select(templates.c.id)", [("read", "templates")]),
        ("known.update(other)", []),
        ("insert(table)", [("write", "?")]),
        ("ClaimStore(engine, email_send_claims, lease_s=5)", [("update", "email_send_claims")]),
    ],
)
def test_sqlalchemy_core_writes_locks_and_reads_are_found(code: str, expected: list[tuple[str, str]]) -> None:
    found = [
        access
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call)
        for access in _call_accesses(node)
    ]
    assert found == expected


def test_no_two_modules_of_a_service_share_a_name() -> None:
    shared: set[tuple[str, str]] = set()
    for service, package in PACKAGES.items():
        seen: set[str] = set()
        for path in service_files(package):
            if path.stem in seen and path.stem not in ("__init__", "__main__"):
                shared.add((service, path.stem))
            seen.add(path.stem)
    assert sorted(shared) == []


def test_the_architecture_page_names_every_main_topic_and_every_table_with_its_owner() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in page.splitlines() if line.startswith("| ")}
    missing_topics = [
        t.name
        for t in topics.TOPICS
        if not t.name.startswith(("notify.retry.", "notify.dlq.")) and t.name not in page
    ]
    assert missing_topics == []
    misplaced = [
        table
        for table in declared_tables().values()
        if not any(
            f"`{table}`" in rows.get(owner, "")
            for owner in (*writers_of(table), ", ".join(writers_of(table)))
        )
    ]
    assert misplaced == []
