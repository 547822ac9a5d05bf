"""Every table has one owner, the only service that writes it and reads it: the service that
declares it in its ``tables`` module (``notify_common.db.owners``); another service reads what it
needs only through a read contract the owner publishes, a view declared with its readers
(``notify_common.db.contracts``); and no service imports another's package. All of it is read statically from the code (``ownership.py``; ``python
-m tests.contract.ownership`` prints what each service writes and reads).

A write whose table a static reading cannot name is listed below with what it writes, read by hand;
a listed write that no longer happens fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections import defaultdict

import pytest

from notify_common import topics
from notify_common.db.contracts import BY_VIEW, CONTRACTS
from notify_common.db.owners import VIEWS
from tests.contract.ownership import (
    COMMON_DIR,
    ROOT,
    TABLE_OWNERS,
    Access,
    _call_accesses,
    _imported_tables,
    declarations,
    declared_tables,
    file_imports,
    owners_of,
    readers_of,
    service_accesses,
    service_files,
    service_packages,
    sql_accesses,
    writers_of,
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


def _reads() -> dict[tuple[str, str], list[Access]]:
    found: dict[tuple[str, str], list[Access]] = defaultdict(list)
    for service, package in PACKAGES.items():
        for access in service_accesses(package):
            if access.kind == "read":
                found[(service, access.table)].append(access)
    return found


READS = _reads()


def test_every_declared_table_has_one_owner_and_every_view_shows_declared_tables() -> None:
    declared = set(declared_tables().values())
    declared_by: dict[str, set[str]] = defaultdict(set)
    for service, _, table in declarations():
        declared_by[table].add(service)
    assert {table: sorted(by) for table, by in declared_by.items() if len(by) > 1} == {}
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


def test_no_service_reads_a_table_it_does_not_own() -> None:
    wrong = {
        (service, table): accesses
        for (service, table), accesses in READS.items()
        if table not in BY_VIEW and any(service not in writers_of(t) for t in VIEWS.get(table, (table,)))
    }
    assert wrong == {}, "\n".join(
        f"{service} reads {table}, which it does not own (read it through a view of "
        f"notify_common.db.contracts): " + ", ".join(a.where for a in accesses)
        for (service, table), accesses in sorted(wrong.items())
    )


def test_each_read_contract_is_read_by_its_declared_readers_and_no_one_else() -> None:
    read_by: dict[str, set[str]] = {view: set() for view in BY_VIEW}
    for service, table in READS:
        if table in BY_VIEW:
            read_by[table].add(service)
    strangers = {view: sorted(found - set(readers_of(view))) for view, found in read_by.items()}
    assert {view: found for view, found in strangers.items() if found} == {}
    # A reader that no longer reads a view comes off its list, so the lists only shrink.
    idle = {c.view.name: sorted(set(c.readers) - read_by[c.view.name]) for c in CONTRACTS}
    assert {view: gone for view, gone in idle.items() if gone} == {}


def test_each_read_contract_shows_declared_tables_to_services_that_do_not_own_them() -> None:
    declared = set(declared_tables().values())
    for contract in CONTRACTS:
        assert contract.view.name not in declared | set(VIEWS)
        assert set(contract.shows) <= declared
        assert contract.readers
        assert set(contract.readers) <= set(PACKAGES)
        assert not set(contract.readers) & set(owners_of(contract.view.name))
        assert writers_of(contract.view.name) == ()


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


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("from notify_projector.tables import notifications", [("notifications", 1)]),
        ("from notify_admin_api.tables.console import console_users as users", [("console_users", 1)]),
        ("from notify_common.db.contracts import config_services", [("config_services", 1)]),
        ("from notify_common import templates", []),
        ("from notify_admin_api.store import services", []),
    ],
)
def test_an_import_of_a_declared_table_counts_as_a_read(code: str, expected: list[tuple[str, int]]) -> None:
    assert _imported_tables(ast.parse(code))[1] == expected


def test_the_shared_library_declares_no_table() -> None:
    declaring = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((COMMON_DIR / "notify_common").rglob("*.py"))
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "Table"
    ]
    assert declaring == []


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
