"""Every read contract (``notify_common.db.contracts``) is a view in the migrated database with
exactly the columns its declaration names, in order and of the declared types, so a reader's
queries hold whatever its owner changes behind it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

from notify_common.db.contracts import CONTRACTS, ReadContract


@pytest.fixture(scope="module")
def migrated(database: str) -> Iterator[Engine]:
    engine = create_engine(database)
    yield engine
    engine.dispose()


def _shape(columns: Sequence[tuple[str, TypeEngine[Any]]]) -> list[tuple[str, str]]:
    """Each column's name and type as PostgreSQL spells it."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return [(name, type_.compile(dialect=dialect)) for name, type_ in columns]


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.view.name)
def test_each_read_contract_is_a_view_with_the_declared_columns(
    migrated: Engine, contract: ReadContract
) -> None:
    with migrated.connect() as conn:
        found = inspect(conn)
        assert contract.view.name in found.get_view_names()
        actual = [(c["name"], c["type"]) for c in found.get_columns(contract.view.name)]
    assert _shape(actual) == _shape([(c.name, c.type) for c in contract.view.columns])


def test_every_view_in_the_database_is_a_read_contract_or_the_claims_view_for_people(
    migrated: Engine,
) -> None:
    with migrated.connect() as conn:
        views = set(
            conn.execute(text("SELECT viewname FROM pg_views WHERE schemaname = current_schema()")).scalars()
        )
    assert views == {c.view.name for c in CONTRACTS} | {"send_claims"}
