"""Commands of an asyncio Redis client packed by hiredis, in C.

redis-py's synchronous connections pack each command into the Redis protocol with
``hiredis.pack_command`` when hiredis is installed (``redis.connection.HiredisRespSerializer``); its
asyncio connections always pack in Python, growing one ``bytes`` by a join per argument (redis-py
issue #4176). The api-gateway's admission script takes some twenty arguments a send: a turn of seven
sends took 97 µs to pack in Python against 18 µs through hiredis (``timeit``), and
``bench/ingest/admit.py --batch 8`` spent a median 41 against 44 µs of CPU an admission
(``tests/unit/common/test_redis_packing.py`` checks that the bytes are the same).

``packed_in_c`` gives a client's pool a connection class whose ``pack_command`` is redis-py's own
hiredis serializer, so the arguments are checked as the synchronous client checks them (a type it
cannot send raises ``DataError``). Pipelines pack each of their commands through it too. Without
hiredis the client is left as it is.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.connection import HiredisRespSerializer  # type: ignore[attr-defined]  # not in types-redis
from redis.utils import HIREDIS_AVAILABLE

_PACKER = HiredisRespSerializer() if HIREDIS_AVAILABLE else None
ClientT = TypeVar("ClientT", bound="Redis[Any]")


@functools.cache
def _packing(connection_class: type[AbstractConnection]) -> type[AbstractConnection]:
    assert _PACKER is not None
    pack = _PACKER.pack

    def pack_command(self: AbstractConnection, *args: Any) -> list[bytes]:
        return pack(*args)  # type: ignore[no-any-return]

    name = f"HiredisPacked{connection_class.__name__}"
    return type(name, (connection_class,), {"pack_command": pack_command})


def packed_in_c(client: ClientT) -> ClientT:
    """``client``, its commands packed by hiredis from its next connection on (call it before the
    first command: connections already made keep packing in Python)."""
    if _PACKER is not None:
        pool = client.connection_pool
        pool.connection_class = _packing(pool.connection_class)
    return client


def redis_from_url(url: str, **options: Any) -> Redis[bytes]:
    """``Redis.from_url(url, **options)``, its commands packed by hiredis."""
    client: Redis[bytes] = Redis.from_url(url, **options)
    return packed_in_c(client)
