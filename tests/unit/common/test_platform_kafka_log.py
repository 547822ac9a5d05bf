"""bench/platform's account of what each topic adds to Kafka's log: the bytes of every partition's
segments summed per topic (every node's copy, as the total is)."""

from __future__ import annotations

from pathlib import Path

from bench.platform.run import kafka_log_bytes_by_topic


def segment(root: Path, directory: str, name: str, size: int) -> None:
    (root / directory).mkdir(parents=True, exist_ok=True)
    (root / directory / name).write_bytes(b"x" * size)


def test_log_bytes_are_summed_per_topic_over_its_partitions_and_segments(tmp_path: Path) -> None:
    data = tmp_path / "kafka" / "data"
    segment(data, "notify.sms.requested-0", "00000000000000000000.log", 100)
    segment(data, "notify.sms.requested-0", "00000000000000000042.log", 20)
    segment(data, "notify.sms.requested-11", "00000000000000000000.log", 3)
    segment(data, "notify.sms.requested-0", "00000000000000000000.index", 1000)
    segment(data, "__consumer_offsets-7", "00000000000000000000.log", 5)
    segment(
        tmp_path / "kafka" / "cluster" / "node-2", "notify.sms.requested-0", "00000000000000000000.log", 7
    )
    assert kafka_log_bytes_by_topic(tmp_path / "kafka") == {
        "notify.sms.requested": 130,
        "__consumer_offsets": 5,
    }
