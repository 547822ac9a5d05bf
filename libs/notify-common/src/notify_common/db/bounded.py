"""An async engine whose every database call finishes within a bound, or raises
``DatabaseUnavailable``: a request never waits longer than that on a frozen or unreachable
PostgreSQL.

The bound is the pool's ``pool_timeout``: waiting for a pooled connection, opening one, each
statement (``execute`` and what is built on it, ``run_sync``) and each transaction's begin, commit
and rollback are each bounded by it (``stream`` is not: only long reports use it).
A call past the bound is not cancelled in the caller: psycopg answers a cancellation by asking the
server to cancel the query and waiting up to ten seconds for it, which is the wait being avoided.
The call is cancelled in the background instead, and its connection is invalidated (dropped
from the pool) once that is over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

log = logging.getLogger(__name__)
T = TypeVar("T")
# Calls given up on, kept referenced until they end so they are not collected mid-flight.
_abandoned: set[asyncio.Task[Any]] = set()


class DatabaseUnavailable(Exception):
    """PostgreSQL did not answer within the bound, or could not be reached."""


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be reached (not that it refused a statement)."""
    if isinstance(exc, DatabaseUnavailable | PoolTimeoutError | InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class BoundedConnection(AsyncConnection):
    _given_up = False

    def _bound(self) -> float:
        timeout = getattr(self.sync_engine.pool, "timeout", None)
        return float(timeout()) if callable(timeout) else 30.0

    async def _within(self, awaitable: Awaitable[T], then_drop: bool = True) -> T:
        if self._given_up:
            raise DatabaseUnavailable("the connection was given up after a timeout")
        task = asyncio.ensure_future(awaitable)
        try:
            done, _ = await asyncio.wait({task}, timeout=self._bound())
        except asyncio.CancelledError:
            task.cancel()
            raise
        if done:
            return task.result()
        self._given_up = True
        task.cancel()
        background = asyncio.ensure_future(self._drop_after(task) if then_drop else _settle(task))
        _abandoned.add(background)
        background.add_done_callback(_abandoned.discard)
        raise DatabaseUnavailable("PostgreSQL did not answer in time")

    async def _drop_after(self, task: asyncio.Task[Any]) -> None:
        await _settle(task)
        try:
            await super().invalidate()
            await super().close()
        except Exception as exc:  # the connection is gone either way
            log.debug("abandoned connection not closed cleanly", extra={"error": type(exc).__name__})

    def begin(self) -> AsyncTransaction:
        return BoundedTransaction(self)

    def begin_nested(self) -> AsyncTransaction:
        return BoundedTransaction(self, nested=True)

    async def start(self, is_ctxmanager: bool = False) -> AsyncConnection:
        await self._within(super().start(is_ctxmanager), then_drop=True)
        return self

    async def execute(self, *args: Any, **kw: Any) -> Any:
        return await self._within(super().execute(*args, **kw))

    async def exec_driver_sql(self, *args: Any, **kw: Any) -> Any:
        return await self._within(super().exec_driver_sql(*args, **kw))

    async def run_sync(self, *args: Any, **kw: Any) -> Any:
        return await self._within(super().run_sync(*args, **kw))

    async def commit(self) -> None:
        await self._within(super().commit())

    async def rollback(self) -> None:
        await self._within(super().rollback())

    async def close(self) -> None:
        if self._given_up:  # closed in the background once the abandoned call has ended
            return
        await self._within(super().close())


class BoundedTransaction(AsyncTransaction):
    """A transaction of a ``BoundedConnection``: beginning, committing and rolling back are bounded
    too, and a connection given up on is not rolled back (it is dropped in the background)."""

    __slots__ = ()

    def _bounded(self) -> BoundedConnection:
        assert isinstance(self.connection, BoundedConnection)
        return self.connection

    async def start(self, is_ctxmanager: bool = False) -> AsyncTransaction:
        await self._bounded()._within(super().start(is_ctxmanager))
        return self

    async def commit(self) -> None:
        await self._bounded()._within(super().commit())

    async def rollback(self) -> None:
        if not self._bounded()._given_up:
            await self._bounded()._within(super().rollback())

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        if not self._bounded()._given_up:
            await self._bounded()._within(super().__aexit__(type_, value, traceback))


async def _settle(task: asyncio.Task[Any]) -> None:
    try:
        await task
    except BaseException as exc:
        log.debug("abandoned database call ended", extra={"error": type(exc).__name__})


class BoundedEngine(AsyncEngine):
    """``AsyncEngine`` whose connections are ``BoundedConnection``s."""

    __slots__ = ()
    _connection_cls = BoundedConnection
