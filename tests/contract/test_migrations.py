"""The migrations are one Alembic history in several folders: the shared baseline in
``notify_common/db/migrations/versions`` and each service's own in ``notify_<service>/migrations``
(``notify_common.db.migrate``). The runner must find every folder, and a service's migrations may
change only the tables that service owns (the owner is the service that declares the table:
``tests/contract/ownership.py``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from notify_common.db.contracts import BY_VIEW
from notify_common.db.migrate import MIGRATIONS, alembic_config, version_locations
from tests.contract.ownership import ROOT, TABLE_OWNERS, owners_of, service_packages, sql_accesses

SERVICE_FOLDERS = {
    service: package / "migrations"
    for service, package in service_packages().items()
    if (package / "migrations").is_dir()
}
# The history branched from 0001 by area before the services owned their migrations; these branch
# tips stay heads (0026 depends on them without merging them). A new migration goes on the one
# other head, so the heads never grow.
BRANCH_TIPS = {"0002_api", "0003_senders", "0004_lifecycle", "0005_jobs", "0006_legacy"}


def _migration_files() -> list[Path]:
    files = sorted((MIGRATIONS / "versions").glob("*.py"))
    for folder in SERVICE_FOLDERS.values():
        files += sorted(folder.glob("*.py"))
    return files


def _revision_of(path: Path) -> str:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "revision" for t in targets):
                assert isinstance(node.value, ast.Constant)
                return str(node.value.value)
    raise AssertionError(f"{path} names no revision")


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("postgresql+psycopg://nobody@localhost/none"))


def test_the_runner_finds_every_folder_and_every_migration_reaches_the_base() -> None:
    assert {p.resolve() for p in version_locations()} == {
        (MIGRATIONS / "versions").resolve(),
        *(folder.resolve() for folder in SERVICE_FOLDERS.values()),
    }
    in_files = [_revision_of(path) for path in _migration_files()]
    assert len(in_files) == len(set(in_files)), "two migrations share a revision id"
    script = _script()
    walked = [revision.revision for revision in script.walk_revisions("base", "heads")]
    assert sorted(walked) == sorted(in_files)
    for revision in script.walk_revisions("base", "heads"):
        assert set(revision._all_down_revisions) <= set(in_files), revision.revision
    heads = set(script.get_heads())
    assert heads >= BRANCH_TIPS
    assert len(heads - BRANCH_TIPS) == 1, f"more than one head besides the old branch tips: {heads}"


_DDL = re.compile(
    r"\b(?:CREATE\s+(?:UNLOGGED\s+)?TABLE|ALTER\s+TABLE|DROP\s+TABLE|CREATE\s+(?:UNIQUE\s+)?INDEX"
    r"(?:\s+CONCURRENTLY)?(?:\s+IF\s+NOT\s+EXISTS)?\s+\w+\s+ON|COMMENT\s+ON\s+(?:TABLE|COLUMN))"
    r"\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?(?:\w+\.)?\"?(\w+)\"?"
)
_VIEW = re.compile(r"\b(?:CREATE\s+(?:OR\s+REPLACE\s+)?VIEW|DROP\s+VIEW)\s+(?:IF\s+EXISTS\s+)?(\w+)")
# op.<name>(...) and which positional argument names the table (or a keyword: table_name and such).
_OP_TABLE_ARGUMENT = {
    "create_table": 0,
    "drop_table": 0,
    "add_column": 0,
    "drop_column": 0,
    "alter_column": 0,
    "rename_table": 0,
    "create_index": 1,
    "create_unique_constraint": 1,
    "create_check_constraint": 1,
    "create_primary_key": 1,
    "create_foreign_key": 1,
    "drop_constraint": 1,
    "bulk_insert": 0,
}


def _string(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)  # type: ignore[misc]
    return None


def touched(source: str) -> Iterator[str]:
    """The tables and views a migration's code names: in Alembic's operations, foreign keys and
    SQL text (the docstring left out)."""
    tree = ast.parse(source)
    skip = {id(tree.body[0].value)} if tree.body and isinstance(tree.body[0], ast.Expr) else set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            position = _OP_TABLE_ARGUMENT.get(name)
            argument = node.args[position] if position is not None and len(node.args) > position else None
            for keyword in node.keywords:
                if keyword.arg in ("table_name", "source_table", "referent_table", "source", "referent"):
                    found = _string(keyword.value)
                    if found:
                        yield found
            if argument is not None and (found := _string(argument)):
                yield found
            if name == "create_foreign_key" and len(node.args) > 2 and (found := _string(node.args[2])):
                yield found
        if (
            (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "ForeignKey"
            )
            and node.args
            and (target := _string(node.args[0]))
        ):
            yield target.split(".")[0]
        text = _string(node)
        if text:
            yield from (m.group(1) for m in _DDL.finditer(text))
            yield from (m.group(1) for m in _VIEW.finditer(text))
            yield from (table for _, table in sql_accesses(text))


def _foreign(service: str, name: str) -> bool:
    """Whether ``service``'s migration may not touch ``name``: another owner's table, a read
    contract over other owners' tables, or a name that is no table the platform declares."""
    if name in BY_VIEW:
        return owners_of(name) != (service,)
    return TABLE_OWNERS.get(name) != service


@pytest.mark.parametrize("service", sorted(SERVICE_FOLDERS))
def test_a_services_migrations_change_only_the_tables_it_owns(service: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted(SERVICE_FOLDERS[service].glob("*.py"))
        for name in touched(path.read_text(encoding="utf-8"))
        if _foreign(service, name)
    }
    assert sorted(wrong) == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('op.create_table("jobs", sa.Column("id", sa.Integer()))', ["jobs"]),
        ('op.add_column("services", sa.Column("x", sa.Text()))', ["services"]),
        ('op.create_index("ix", "notifications", ["id"])', ["notifications"]),
        ('op.drop_index("ix", table_name="console_users")', ["console_users"]),
        ('sa.Column("user_id", sa.ForeignKey("console_users.id"))', ["console_users"]),
        ('op.execute("ALTER TABLE IF EXISTS templates ADD COLUMN x text")', ["templates"]),
        ('op.execute("CREATE INDEX ix_a ON receipt_notifications (sent_at)")', ["receipt_notifications"]),
        (
            'op.execute("CREATE OR REPLACE VIEW config_services AS SELECT id FROM services")',
            ["config_services", "services"],
        ),
        ('op.execute("UPDATE jobs SET x = 1")', ["jobs"]),
    ],
)
def test_the_tables_a_migration_touches_are_found(code: str, expected: list[str]) -> None:
    assert list(dict.fromkeys(touched(f'"""A docstring naming FROM api_keys."""\n{code}\n'))) == expected
