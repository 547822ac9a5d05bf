"""A static reading of the code for the ownership test: which tables each service writes or reads,
and which packages it imports.

A service's code is its package (``services/<name>/src/notify_<name>``) plus every module of
``notify_common`` it imports, directly or through other ``notify_common`` modules: a write in a
shared module counts against every service that imports it.

Writes are found two ways:

* SQLAlchemy Core on the ``Table`` objects the services declare (``notify_<service>.tables``): ``insert(t)``, ``update(t)``,
  ``delete(t)`` (``postgresql.insert`` too), ``t.insert()``/``t.update()``/``t.delete()``, and
  ``select(t)....with_for_update()`` (a row lock, counted as a write);
* a claims table handed to the shared sender framework, ``ClaimStore(engine, t)``, which claims
  and settles in it;
* raw SQL in string literals (f-strings included): ``INSERT INTO t``, ``UPDATE t``,
  ``DELETE FROM t``, ``TRUNCATE t``, ``LOCK TABLE t``, ``COPY t``, and ``FOR UPDATE``/``FOR SHARE``
  locks of the tables the statement selects from.

Reads are found in ``select(...)`` of those ``Table`` objects, in raw SQL (``FROM t``, ``JOIN t``),
and in every import of a ``Table`` object from a ``tables`` module or ``notify_common.db`` (a module
that imports a table reads or writes it; an alias, ``import x as y``, is followed in that module). The read contracts'
views (``notify_common.db.contracts``) count like tables.

Only names of the platform's tables and views count. A write whose table is a variable (``insert(table)``,
an f-string's ``{table}``) cannot be read statically: it is reported as unresolved, not failed.
Docstrings are skipped.

Who owns a table is read from where it is declared: every ``Table`` of a service's ``tables``
module (or of the modules of its ``tables`` package) is that service's (``TABLE_OWNERS``).
"""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from sqlalchemy import Table

from notify_common.db import contracts, owners

ROOT = Path(__file__).resolve().parents[2]
SERVICES_DIR = ROOT / "services"
COMMON_DIR = ROOT / "libs" / "notify-common" / "src"

WRITE_KINDS = ("insert", "update", "delete", "lock")


@dataclass(frozen=True)
class Access:
    table: str  # "?" when it cannot be read statically
    kind: str  # insert | update | delete | lock | read
    where: str  # path:line, relative to the repository

    @property
    def is_write(self) -> bool:
        return self.kind in WRITE_KINDS


@dataclass(frozen=True)
class Import:
    module: str
    where: str


def service_packages() -> dict[str, Path]:
    """Service name (its folder under services/) → its package directory."""
    found: dict[str, Path] = {}
    for service in sorted(p for p in SERVICES_DIR.iterdir() if (p / "src").is_dir()):
        [package] = [p for p in (service / "src").iterdir() if p.name.startswith("notify_")]
        found[service.name] = package
    return found


def table_modules() -> dict[str, list[ModuleType]]:
    """Service name → the modules that declare its tables: ``notify_<service>.tables``, or every
    module of that package."""
    found: dict[str, list[ModuleType]] = {}
    for service, package in service_packages().items():
        if not (package / "tables.py").is_file() and not (package / "tables").is_dir():
            continue
        module = importlib.import_module(f"{package.name}.tables")
        found[service] = [module] + [
            importlib.import_module(f"{module.__name__}.{info.name}")
            for info in pkgutil.iter_modules(getattr(module, "__path__", []))
        ]
    return found


def declarations() -> list[tuple[str, str, str]]:
    """(service, Python name, table name) of every ``Table`` the services declare."""
    return sorted(
        {
            (service, name, value.name)
            for service, modules in table_modules().items()
            for module in modules
            for name, value in vars(module).items()
            if isinstance(value, Table)
        }
    )


def declared_tables() -> dict[str, str]:
    """Python name of every declared ``Table`` → the table's name."""
    return {name: table for _, name, table in declarations()}


# Each table's owner: the service that declares it (a table declared by two services fails
# test_table_ownership's first test).
TABLE_OWNERS: dict[str, str] = {table: service for service, _, table in declarations()}


def writers_of(table: str) -> tuple[str, ...]:
    """The service allowed to write ``table`` (none, for a view)."""
    return (TABLE_OWNERS[table],) if table in TABLE_OWNERS else ()


def owners_of(view: str) -> tuple[str, ...]:
    """The services that own the tables a read contract shows (they maintain it with their
    migrations)."""
    return tuple(dict.fromkeys(TABLE_OWNERS[table] for table in contracts.BY_VIEW[view].shows))


def readers_of(view: str) -> tuple[str, ...]:
    """The services allowed to read a read contract: its declared readers and the owners of what it
    shows."""
    return (*owners_of(view), *contracts.BY_VIEW[view].readers)


VARIABLES = {**declared_tables(), **{c.view.name: c.view.name for c in contracts.CONTRACTS}}
# Views count too: a write to one is a write nobody owns; a read of one reads what it shows.
TABLES = frozenset(VARIABLES.values()) | frozenset(owners.VIEWS)

_NAME = r"(?:\w+\.)?\"?(\w+)\"?"  # schema-qualified or quoted names count by their table name
# SQL in this repository is written in capitals, which keeps prose ("a copy {n}") out.
_WRITES = (
    ("insert", re.compile(rf"\bINSERT\s+INTO\s+{_NAME}")),
    ("update", re.compile(rf"\bUPDATE\s+(?:ONLY\s+)?{_NAME}\s+(?:AS\s+\w+\s+|\w+\s+)?SET\b")),
    ("delete", re.compile(rf"\bDELETE\s+FROM\s+(?:ONLY\s+)?{_NAME}")),
    ("delete", re.compile(rf"\bTRUNCATE\s+(?:TABLE\s+)?{_NAME}")),
    ("lock", re.compile(rf"\bLOCK\s+TABLE\s+{_NAME}")),
    ("insert", re.compile(rf"\bCOPY\s+{_NAME}")),
)
_READS = re.compile(rf"\b(?:FROM|JOIN)\s+{_NAME}")
_ROW_LOCK = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b")
_DYNAMIC = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE|LOCK\s+TABLE|COPY)\s+[\w.]*\{\}")


def sql_accesses(sql: str) -> Iterator[tuple[str, str]]:
    """(kind, table) for every table the SQL text writes, locks or reads."""
    written: set[str] = set()
    for kind, pattern in _WRITES:
        for match in pattern.finditer(sql):
            if match.group(1) in TABLES:
                written.add(match.group(1))
                yield kind, match.group(1)
    if _DYNAMIC.search(sql):
        yield "write", "?"
    locked = bool(_ROW_LOCK.search(sql))
    for match in _READS.finditer(sql):
        table = match.group(1)
        if table in TABLES and table not in written:
            yield ("lock" if locked else "read"), table


def _string_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)  # type: ignore[misc]
    return None


def _docstrings(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and _string_of(body[0].value) is not None:
                ids.add(id(body[0].value))
    return ids


def _table_of(node: ast.AST, names: dict[str, str] = VARIABLES) -> str | None:
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "tables":
        return VARIABLES.get(node.attr)
    return None


def _selected_tables(node: ast.AST, names: dict[str, str] = VARIABLES) -> list[str]:
    """The tables a ``select(...)`` chain reads, from its arguments and their columns."""
    found: list[str] = []
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "select":
            for arg in inner.args:
                for part in ast.walk(arg):
                    table = _table_of(part, names)
                    if table is not None and table not in found:
                        found.append(table)
    return found


_CORE_WRITES = {"insert": "insert", "pg_insert": "insert", "update": "update", "delete": "delete"}


def _call_accesses(call: ast.Call, names: dict[str, str] = VARIABLES) -> Iterator[tuple[str, str]]:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if (
        name in _CORE_WRITES
        and call.args
        and not (isinstance(func, ast.Attribute) and _table_of(func.value, names))
    ):
        # insert(t) / postgresql.insert(t); dict.update(x) and the like name no table and are skipped
        table = _table_of(call.args[0], names)
        if table is not None:
            yield _CORE_WRITES[name], table
        elif isinstance(call.args[0], ast.Name) and call.args[0].id in ("table", "target"):
            yield "write", "?"
    elif isinstance(func, ast.Attribute) and name in ("insert", "update", "delete") and not call.args:
        table = _table_of(func.value, names)
        if table is not None:
            yield name, table
    elif name == "ClaimStore" and len(call.args) >= 2:
        table = _table_of(call.args[1], names)
        yield ("update", table) if table is not None else ("write", "?")
    elif isinstance(func, ast.Attribute) and name == "with_for_update":
        tables = _selected_tables(func.value, names)
        yield from (("lock", t) for t in tables)
        if not tables:
            yield "lock", "?"
    elif isinstance(func, ast.Name) and name == "select":
        for table in _selected_tables(call, names):
            yield "read", table


def _imported_tables(tree: ast.Module) -> tuple[dict[str, str], list[tuple[str, int]]]:
    """The module's names for the tables and views it imports from ``notify_common.db`` or a
    ``tables`` module (aliases followed), and each import as (table, line)."""
    names = dict(VARIABLES)
    imported: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _declares_tables(node.module or ""):
            for alias in node.names:
                if alias.name in VARIABLES:
                    names[alias.asname or alias.name] = VARIABLES[alias.name]
                    imported.append((VARIABLES[alias.name], node.lineno))
    return names, imported


def _declares_tables(module: str) -> bool:
    parts = module.split(".")
    return module.startswith("notify_common.db") or "tables" in parts[1:]


@functools.cache
def file_accesses(path: Path) -> list[Access]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    where = str(path.relative_to(ROOT))
    names, imported = _imported_tables(tree)
    found = [Access(table, "read", f"{where}:{line}") for table, line in imported]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Call):
            found += [Access(t, k, f"{where}:{node.lineno}") for k, t in _call_accesses(node, names)]
        elif isinstance(node, ast.JoinedStr) or (
            isinstance(node, ast.Constant) and isinstance(node.value, str)
        ):
            text = _string_of(node)
            if text:
                found += [Access(t, k, f"{where}:{node.lineno}") for k, t in sql_accesses(text)]
    return found


@functools.cache
def file_imports(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = str(path.relative_to(ROOT))
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(a.name, f"{where}:{node.lineno}") for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(Import(node.module, f"{where}:{node.lineno}"))
            found += [Import(f"{node.module}.{a.name}", f"{where}:{node.lineno}") for a in node.names]
    return found


def common_module_file(module: str) -> Path | None:
    base = COMMON_DIR.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def common_closure(start: list[Path]) -> set[Path]:
    """Every ``notify_common`` module the files import, directly or through each other (with the
    packages whose ``__init__`` runs on the way)."""
    seen: set[Path] = set()
    todo = list(start)
    while todo:
        path = todo.pop()
        for imported in file_imports(path):
            if not imported.module.startswith("notify_common"):
                continue
            parts = imported.module.split(".")
            for n in range(1, len(parts) + 1):
                found = common_module_file(".".join(parts[:n]))
                if found is not None and found not in seen and "migrations" not in found.parts:
                    seen.add(found)
                    todo.append(found)
    return seen


def service_files(package: Path) -> list[Path]:
    return sorted(package.rglob("*.py"))


def service_accesses(package: Path) -> list[Access]:
    """Every table access of the service's own code and of the shared modules it imports."""
    own = service_files(package)
    accesses: list[Access] = []
    for path in own + sorted(common_closure(own)):
        accesses += file_accesses(path)
    return accesses


def main() -> None:
    """Print what each service writes and reads, by table."""
    for service, package in service_packages().items():
        accesses = service_accesses(package)
        for label, chosen in (
            ("writes", {a.table for a in accesses if a.kind != "read"}),
            ("reads", {a.table for a in accesses if a.kind == "read"}),
        ):
            print(f"{service} {label}: {', '.join(sorted(chosen)) or '-'}")


if __name__ == "__main__":
    main()
