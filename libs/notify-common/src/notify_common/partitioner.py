"""The partition of a keyed record, as every Kafka client places it, at a fraction of the cost.

Kafka's clients place a keyed record on partition ``(murmur2(key) & 0x7fffffff) % partitions``
(MurmurHash2, seed ``0x9747b28c``, as the Java client's ``Utils.murmur2``), so a notification's
events land on the same partition whichever client or service wrote them, and keep their order
there. aiokafka's partitioner computes the hash in Python a byte at a time: about 5 µs for a
notification id, paid by every event a service publishes. The ``murmurhash2`` package computes the
same MurmurHash2 in native code, in about 0.2 µs: the same partition for every key
(``tests/unit/common/test_partitioner.py`` compares it with aiokafka's and with the Java client's
values).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from murmurhash2 import murmurhash2

SEED = 0x9747B28C


def murmur2(data: bytes) -> int:
    """MurmurHash2 of ``data`` as Kafka's clients compute it (an unsigned 32-bit value)."""
    return murmurhash2(data, SEED)


def partition_of(key: bytes, partitions: int) -> int:
    """The partition of a record keyed ``key`` in a topic of ``partitions`` partitions."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class KeyPartitioner:
    """aiokafka's ``partitioner`` argument: a keyed record's partition as every Kafka client places
    it; an unkeyed one's at random among the available partitions (all, if none is)."""

    def __call__(self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        if key is None:
            return random.choice(available or all_partitions)
        return all_partitions[partition_of(key, len(all_partitions))]
