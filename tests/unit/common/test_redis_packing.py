"""``packed_in_c``: an asyncio Redis client's commands packed by hiredis are byte for byte what
redis-py's own Python packing writes, for every kind of argument the services send."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import DataError

from notify_common.ratelimit import _pack, _Send
from notify_common.redis_packing import packed_in_c, redis_from_url


def python_packed(*args: Any) -> bytes:
    return b"".join(Connection().pack_command(*args))


def c_packed(*args: Any) -> bytes:
    connection = packed_in_c(Redis.from_url("redis://127.0.0.1:1/0")).connection_pool.make_connection()
    return b"".join(connection.pack_command(*args))


def admission(sends: int) -> tuple[Any, ...]:
    """An admission script call as the api-gateway makes it: a batch of sends of one service."""
    service = str(uuid.uuid4())
    batch = []
    for _ in range(sends):
        nid = str(uuid.uuid4())
        row = orjson.dumps({"id": nid, "service_id": service, "to": "07700 900123", "body": "Ŵelsh ✓ " * 20})
        counters = [
            (f"daily:{{{service}}}:sms", 1, 250_000, 90_000),
            (f"annual:{{{service}}}:sms:2026", 1, 100_000, 34_560_000),
        ]
        store = [(f"recent:{{{service}}}:{nid}", row)]
        batch.append(_Send(service, f"rate:{{{service}}}", 3000.0, 3000, counters, 600, store))
    keys, args = _pack(batch)
    return ("EVALSHA", "a" * 40, len(keys), *keys, *args)


@pytest.mark.parametrize(
    "command",
    [
        admission(1),
        admission(12),
        ("SCRIPT LOAD", "return redis.call('GET', KEYS[1])"),  # a name of two words
        (b"CLIENT SETNAME", "gateway"),
        ("SET", "key", b"\x00\xffbytes", "EX", 600),
        ("INCRBY", "counter", -17),
        ("ZADD", "z", 0.1, "a", 3000.0, "b", 1e-7, "c", 1e20, "d", -2.5, "e", 123456789.123456789, "f"),
        ("SET", "ünïcode ✓", "välue ✓"),
        ("SET", "empty", ""),
        ("SET", "view", memoryview(b"from a view")),
        ("GET", "x" * 10_000),  # past the Python packer's buffer cutoff
    ],
    ids=lambda c: str(c[0]) + f"-{len(c)}",
)
def test_hiredis_writes_the_bytes_python_writes(command: tuple[Any, ...]) -> None:
    assert c_packed(*command) == python_packed(*command)


def test_a_pipeline_packs_each_command_the_same() -> None:
    commands = [admission(3), ("INCRBY", "counter", 5), ("EXPIRE", "counter", 90_000)]
    connection = packed_in_c(Redis.from_url("redis://127.0.0.1:1/0")).connection_pool.make_connection()
    assert b"".join(connection.pack_commands(commands)) == b"".join(Connection().pack_commands(commands))


@pytest.mark.parametrize("bad", [None, {"a": 1}, ["a"], object()])
def test_an_argument_redis_cannot_take_is_refused_as_before(bad: Any) -> None:
    with pytest.raises(DataError):
        python_packed("SET", "key", bad)
    with pytest.raises(DataError):
        c_packed("SET", "key", bad)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("redis://127.0.0.1:6379/0", Connection),
        ("rediss://127.0.0.1:6380/0", SSLConnection),
        ("unix:///tmp/redis.sock", UnixDomainSocketConnection),
    ],
)
def test_the_url_still_chooses_the_connection(url: str, kind: type[Connection]) -> None:
    client = Redis.from_url(url)
    assert packed_in_c(client) is client
    made = client.connection_pool.make_connection()
    assert isinstance(made, kind)
    assert type(made) is not kind  # the subclass that packs in C
    assert made.pack_command("GET", "k") == [b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"]


def test_the_api_gateways_client_packs_in_c() -> None:
    from notify_api_gateway.redis_client import TimedRedis, connect

    client = connect("redis://127.0.0.1:1/0", timeout=1.0)
    assert isinstance(client, TimedRedis)
    made = client.connection_pool.make_connection()
    assert type(made).pack_command is not Connection.pack_command
    command = admission(5)
    assert b"".join(made.pack_command(*command)) == python_packed(*command)


def test_redis_from_url_packs_in_c_and_keeps_the_options() -> None:
    client = redis_from_url("redis://127.0.0.1:1/3", socket_timeout=0.5, socket_connect_timeout=0.25)
    made = client.connection_pool.make_connection()
    assert isinstance(made, Connection)
    assert type(made).pack_command is not Connection.pack_command
    assert (made.db, made.socket_timeout, made.socket_connect_timeout) == (3, 0.5, 0.25)
    command = admission(12)
    assert b"".join(made.pack_command(*command)) == python_packed(*command)
