"""Records land on the partition every Kafka client would give them: the fast murmur2 agrees with
aiokafka's (a port of the Java client's) for every length and byte, and with known values."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as reference
from hypothesis import given, settings
from hypothesis import strategies as st

from notify_common.partitioner import KeyPartitioner, murmur2


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=80))
def test_murmur2_agrees_with_the_reference_for_any_bytes(data: bytes) -> None:
    assert murmur2(data) == reference(data)


def test_every_tail_length_and_high_bytes_agree() -> None:
    for length in range(0, 41):
        for fill in (0x00, 0x7F, 0x80, 0xFF):
            data = bytes([fill]) * length
            assert murmur2(data) == reference(data), (length, fill)


# The Java client's Utils.murmur2 of these keys, as signed 32-bit values (Kafka's UtilsTest).
JAVA = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


def test_the_java_clients_values() -> None:
    for key, value in JAVA.items():
        assert murmur2(key) == value & 0xFFFFFFFF, key


def test_a_keyed_record_gets_the_same_partition_as_with_aiokafka() -> None:
    ours, theirs = KeyPartitioner(), DefaultPartitioner()
    for partitions in (1, 3, 12, 50):
        every = list(range(partitions))
        for _ in range(300):
            key = str(uuid.uuid4()).encode()
            assert ours(key, every, every) == theirs(key, every, every)


def test_an_unkeyed_record_goes_to_an_available_partition() -> None:
    ours = KeyPartitioner()
    assert {ours(None, [0, 1, 2], [2]) for _ in range(50)} == {2}
    assert {ours(None, [0, 1, 2], []) for _ in range(200)} == {0, 1, 2}
